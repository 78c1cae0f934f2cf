package io.batchgrid.protocol.node;

import io.batchgrid.protocol.FailureInfo;

/**
 * How the pool's start task went on a node since the node last (re)started: Azure's
 * {@code StartTaskInformation}, plus whether the node waits for it ({@code waitForSuccess} of the
 * spec it ran). The node keeps it and tells it in every registration, so a pool that restarts
 * learns it again from the node rather than from its journal.
 *
 * @param state NONE when the pool had no start task as the node joined; RUNNING while an attempt
 *     runs or a retry is due; COMPLETED after success, or failure with no retry left
 * @param exitCode the last attempt's exit code; null while running, or when it could not start
 * @param failureInfo why the last completed run failed; null on success or while running
 * @param retryCount how many times it was retried after a non-zero exit
 * @param lastRetryTimeMs when the last retry started; 0 when it was not retried
 */
public record StartTaskInfo(State state, boolean waitForSuccess, long startTimeMs, long endTimeMs, Integer exitCode,
    FailureInfo failureInfo, int retryCount, long lastRetryTimeMs) {

  public enum State { NONE, RUNNING, COMPLETED }

  /** The node joined a pool without a start task. */
  public static final StartTaskInfo NONE = new StartTaskInfo(State.NONE, false, 0, 0, null, null, 0, 0);

  public static StartTaskInfo started(boolean waitForSuccess, long nowMs) {
    return new StartTaskInfo(State.RUNNING, waitForSuccess, nowMs, 0, null, null, 0, 0);
  }

  /** Another attempt after a non-zero exit: the previous exit code and end time stay visible. */
  public StartTaskInfo retried(long nowMs) {
    return new StartTaskInfo(State.RUNNING, waitForSuccess, nowMs, endTimeMs, exitCode, null, retryCount + 1, nowMs);
  }

  /** The attempt that just ended, still running as far as Azure shows it when a retry follows. */
  public StartTaskInfo attemptEnded(Integer exit, FailureInfo failure, long nowMs, boolean last) {
    return new StartTaskInfo(last ? State.COMPLETED : State.RUNNING, waitForSuccess, startTimeMs, nowMs, exit,
        last ? failure : null, retryCount, lastRetryTimeMs);
  }

  public boolean succeeded() {
    return state == State.COMPLETED && failureInfo == null;
  }

  public boolean failed() {
    return state == State.COMPLETED && failureInfo != null;
  }

  /** Whether the pool may give the node's slots to jobs: it does not wait, or what it waits for succeeded. */
  public boolean letsTasksRun() {
    return state == State.NONE || !waitForSuccess || succeeded();
  }

  /** The node's state while the start task holds it, or {@code otherwise} (idle or running). */
  public NodeState nodeState(NodeState otherwise) {
    if (!waitForSuccess || state == State.NONE) {
      return otherwise;
    }
    return state == State.RUNNING ? NodeState.WAITINGFORSTARTTASK : failed() ? NodeState.STARTTASKFAILED : otherwise;
  }

  /** Azure's {@code result}: success or failure once completed, null before. */
  public String result() {
    return state != State.COMPLETED ? null : failureInfo == null ? "success" : "failure";
  }
}
