package io.batchgrid.protocol.node;

/** A task attempt a node is running, as it tells its pool when it (re-)registers and in its status. */
public record RunningTask(String jobId, String taskId, int attempt, long startTimeMs) {}
