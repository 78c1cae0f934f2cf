package io.batchgrid.coordinator.autoscale;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable {@link SampleSource} holding everything in memory: for tests, for evaluating a formula
 * against a snapshot of a pool, and as an example of the contract. Scalars not given are 0; metrics
 * not given have no samples.
 */
public final class InMemorySampleSource implements SampleSource {

    private final Instant now;
    private final Duration samplePeriod;
    private final Map<ServiceVariable, Double> scalars;
    private final Map<ServiceVariable, SampleSeries> series;

    private InMemorySampleSource(Builder b) {
        this.now = b.now;
        this.samplePeriod = b.samplePeriod;
        this.scalars = new EnumMap<>(b.scalars);
        this.series = new EnumMap<>(b.series);
    }

    /** A builder whose "now" is {@code now} and whose sample period is 30 seconds, as in Azure. */
    public static Builder at(Instant now) {
        return new Builder(now);
    }

    @Override
    public Instant now() {
        return now;
    }

    @Override
    public Duration samplePeriod() {
        return samplePeriod;
    }

    @Override
    public SampleSeries series(ServiceVariable metric) {
        return series.getOrDefault(metric, SampleSeries.empty());
    }

    @Override
    public double scalar(ServiceVariable variable) {
        return scalars.getOrDefault(variable, 0.0);
    }

    public static final class Builder {
        private final Instant now;
        private Duration samplePeriod = Duration.ofSeconds(30);
        private final Map<ServiceVariable, Double> scalars = new EnumMap<>(ServiceVariable.class);
        private final Map<ServiceVariable, SampleSeries> series = new EnumMap<>(ServiceVariable.class);

        private Builder(Instant now) {
            this.now = Objects.requireNonNull(now, "now");
        }

        public Builder samplePeriod(Duration period) {
            if (period.isZero() || period.isNegative()) {
                throw new IllegalArgumentException("sample period must be positive: " + period);
            }
            this.samplePeriod = period;
            return this;
        }

        /** Sets a scalar variable, or the initial value of a target. */
        public Builder scalar(ServiceVariable variable, double value) {
            if (variable.kind() == ServiceVariable.Kind.METRIC) {
                throw new IllegalArgumentException(variable.formulaName() + " is a metric; give it a series");
            }
            scalars.put(variable, value);
            return this;
        }

        public Builder series(ServiceVariable metric, SampleSeries history) {
            if (metric.kind() != ServiceVariable.Kind.METRIC) {
                throw new IllegalArgumentException(metric.formulaName() + " is not a metric");
            }
            series.put(metric, Objects.requireNonNull(history, "history"));
            return this;
        }

        /**
         * Gives a metric a pool-wide history of {@code count} samples, one per sample period, the newest at
         * "now", taking {@code values} in turn, oldest first.
         */
        public Builder regular(ServiceVariable metric, int count, double... values) {
            return series(metric, ArraySampleSeries.regular(now, samplePeriod, count, values));
        }

        public InMemorySampleSource build() {
            return new InMemorySampleSource(this);
        }
    }
}
