package io.batchgrid.coordinator.autoscale;

import java.util.Optional;

/** The methods of a metric service variable such as {@code $CPUPercent}. */
public enum SampleMethod {
    /**
     * GetSample(double count), GetSample(start [, double percent]), GetSample(start, end [, double percent]),
     * where start and end are timeintervals (looking back from now) or timestamps: a doubleVec.
     */
    GET_SAMPLE("GetSample"),
    /** GetSamplePeriod(): the timeinterval between samples. */
    GET_SAMPLE_PERIOD("GetSamplePeriod"),
    /** Count(): the number of samples in the whole history. */
    COUNT("Count"),
    /** HistoryBeginTime(): the timestamp of the oldest sample. */
    HISTORY_BEGIN_TIME("HistoryBeginTime"),
    /** GetSamplePercent(start [, end]): the percentage of the expected samples that the window holds. */
    GET_SAMPLE_PERCENT("GetSamplePercent");

    private final String formulaName;

    SampleMethod(String formulaName) {
        this.formulaName = formulaName;
    }

    public String formulaName() {
        return formulaName;
    }

    /** The method with that name, ignoring case. */
    public static Optional<SampleMethod> byName(String name) {
        for (SampleMethod m : values()) {
            if (m.formulaName.equalsIgnoreCase(name)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
