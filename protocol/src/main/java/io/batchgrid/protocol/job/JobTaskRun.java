package io.batchgrid.protocol.job;

import io.batchgrid.protocol.FailureInfo;

/**
 * One node's run of a job preparation or release task, as {@code jobPreparationTaskExecutionInfo}
 * and {@code jobReleaseTaskExecutionInfo} report it. {@code attempt} numbers the launches on that
 * node, so that a report of an abandoned launch is ignored; {@code exitCode} and
 * {@code failureInfo} are those of the last completed attempt.
 */
public record JobTaskRun(boolean running, int attempt, int retryCount, long startTimeMs, long endTimeMs,
    Integer exitCode, FailureInfo failureInfo, long lastRetryTimeMs) {

  static JobTaskRun started(int attempt, int retryCount, long timeMs, long lastRetryTimeMs) {
    return new JobTaskRun(true, attempt, retryCount, timeMs, 0, null, null, lastRetryTimeMs);
  }

  public boolean succeeded() {
    return !running && failureInfo == null && exitCode != null && exitCode == 0;
  }

  /** The run this outcome ends, if it reports the attempt running now. */
  public boolean isCurrent(TaskOutcome o) {
    return running && attempt == o.attempt();
  }

  /** The outcome ends the run; a non-zero exit is a failure with Azure's FailureExitCode, as for tasks. */
  JobTaskRun completed(TaskOutcome o) {
    FailureInfo failure = o.failureInfo();
    if (failure == null && o.exitCode() != null && o.exitCode() != 0) {
      failure = FailureInfo.user("FailureExitCode", "The task exited with an exit code representing a failure");
    }
    return new JobTaskRun(false, attempt, retryCount, o.startTimeMs() > 0 ? o.startTimeMs() : startTimeMs,
        o.endTimeMs(), o.exitCode(), failure, lastRetryTimeMs);
  }
}
