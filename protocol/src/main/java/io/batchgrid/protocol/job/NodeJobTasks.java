package io.batchgrid.protocol.job;

/**
 * A job's preparation and release tasks on one node. {@code preparationStale}: the node was lost
 * (rebooted) after the preparation ran, so it runs again before the job's next task there;
 * {@code release} is null until the job ends.
 */
public record NodeJobTasks(String poolId, String nodeId, JobTaskRun preparation, boolean preparationStale,
    JobTaskRun release) {}
