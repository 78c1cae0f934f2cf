package io.batchgrid.protocol.job;

import io.batchgrid.protocol.FailureInfo;

/**
 * How one attempt of a task ended on a node. {@code exitCode} is null when the process never started
 * (then {@code failureInfo} says why); {@code failureInfo} is also set when the node ended the
 * process itself (wall-clock limit).
 */
public record TaskOutcome(
    String taskId, int attempt, Integer exitCode, long startTimeMs, long endTimeMs, FailureInfo failureInfo) {

  public boolean succeeded() {
    return failureInfo == null && exitCode != null && exitCode == 0;
  }
}
