package io.batchgrid.protocol.job;

import io.batchgrid.protocol.spec.JobSpec;

/** A job's own properties without its tasks: what {@code GET /jobs/{id}} shows. */
public record JobSummary(
    JobSpec spec,
    JobState state,
    JobState previousState,
    long creationTimeMs,
    long stateTransitionTimeMs,
    long previousStateTransitionTimeMs,
    long lastModifiedMs,
    long version,
    long startTimeMs,
    long endTimeMs,
    String terminateReason,
    TaskCounts taskCounts,
    TaskCounts taskSlotCounts) {}
