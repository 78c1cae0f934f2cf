package io.batchgrid.protocol.job;

import io.batchgrid.protocol.FailureInfo;

/**
 * How one attempt of a task ended on a node. {@code exitCode} is null when the process never started
 * (then {@code failureInfo} says why); {@code failureInfo} is also set when the node ended the
 * process itself (wall-clock limit). {@code instance} is {@link #TASK} for the task's own outcome,
 * or the index of a multi-instance task's instance whose coordination command ended (the task goes
 * on: its application command runs once every instance's coordination succeeded).
 */
public record TaskOutcome(
    String taskId, int attempt, Integer exitCode, long startTimeMs, long endTimeMs, FailureInfo failureInfo,
    int instance) {

  /** {@link #instance} of the outcome of the task itself. */
  public static final int TASK = -1;

  public TaskOutcome(String taskId, int attempt, Integer exitCode, long startTimeMs, long endTimeMs, FailureInfo failureInfo) {
    this(taskId, attempt, exitCode, startTimeMs, endTimeMs, failureInfo, TASK);
  }

  public boolean succeeded() {
    return failureInfo == null && exitCode != null && exitCode == 0;
  }

  /** True when this reports a coordination command of a multi-instance task, not the end of the task. */
  public boolean coordination() {
    return instance != TASK;
  }
}
