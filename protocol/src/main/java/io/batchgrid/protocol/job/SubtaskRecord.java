package io.batchgrid.protocol.job;

import io.batchgrid.protocol.FailureInfo;

/**
 * A subtask of a multi-instance task (instance {@code id}, 1..n-1; the primary is the task itself):
 * the node it ran on and how its coordination command went. It is running from its start until the
 * task ends, when it is completed; {@code exitCode} is its coordination command's.
 */
public record SubtaskRecord(int id, String nodeId, boolean completed, long startTimeMs, long endTimeMs,
    Integer exitCode, FailureInfo failureInfo, long stateTransitionTimeMs) {

  public String result() {
    if (!completed) {
      return null;
    }
    return failureInfo == null && exitCode != null && exitCode == 0 ? "success" : "failure";
  }
}
