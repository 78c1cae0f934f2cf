package io.batchgrid.coordinator.autoscale;

import java.time.Duration;
import java.time.Instant;

/**
 * What the service supplies to one evaluation: the current time, the pool's scalar variables and the
 * sample history of each metric. The evaluator calls each method at most once per variable per
 * evaluation, on the evaluating thread, and keeps nothing after it returns.
 */
public interface SampleSource {

    /** The evaluation's "now": {@code time()}, and the end of every look-back window. */
    Instant now();

    /**
     * The nominal time between two samples of a metric ({@code GetSamplePeriod()}); also what
     * {@code GetSamplePercent} and the percentage of {@code GetSample} count the expected samples of a
     * window by. Azure samples every 30 seconds; batchgrid may sample much more often.
     */
    Duration samplePeriod();

    /**
     * The history of a {@link ServiceVariable.Kind#METRIC} variable, oldest first; an empty series when
     * there is none yet. Samples later than {@link #now()} are ignored by time windows.
     */
    SampleSeries series(ServiceVariable metric);

    /**
     * The value of a {@link ServiceVariable.Kind#SCALAR} variable ({@code $CurrentDedicatedNodes},
     * {@code $CurrentLowPriorityNodes}, {@code $TaskSlotsPerNode}, {@code $UsableNodeCount}), or the
     * pool's current target for {@link ServiceVariable#TARGET_DEDICATED_NODES} and
     * {@link ServiceVariable#TARGET_LOW_PRIORITY_NODES}: what the formula reads before it assigns them.
     */
    double scalar(ServiceVariable variable);
}
