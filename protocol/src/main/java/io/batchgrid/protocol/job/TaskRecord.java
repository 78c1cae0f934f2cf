package io.batchgrid.protocol.job;

import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * Everything the service knows of one task: its spec, where it is in its life, and how its last
 * attempt went. Immutable; the job record replaces it on every change.
 *
 * @param attempt how many times it has been dispatched; the current dispatch carries this number
 * @param version bumped on every change: the task's ETag
 */
public record TaskRecord(
    TaskSpec spec,
    TaskState state,
    TaskState previousState,
    long creationTimeMs,
    long stateTransitionTimeMs,
    long previousStateTransitionTimeMs,
    long lastModifiedMs,
    long version,
    int attempt,
    int retryCount,
    int requeueCount,
    String nodeId,
    String taskRootDirectory,
    long startTimeMs,
    long endTimeMs,
    Integer exitCode,
    FailureInfo failureInfo,
    long lastRetryTimeMs,
    long lastRequeueTimeMs) {

  public static TaskRecord added(TaskSpec spec, long timeMs) {
    return new TaskRecord(spec, TaskState.ACTIVE, null, timeMs, timeMs, 0, timeMs, 1, 0, 0, 0,
        null, null, 0, 0, null, null, 0, 0);
  }

  public String id() {
    return spec.getId();
  }

  /** A multi-instance task: it runs on {@link #instances()} nodes at once. */
  public boolean multiInstance() {
    return spec.hasMultiInstanceSettings();
  }

  /** How many nodes the task runs on at once (1 unless multi-instance). */
  public int instances() {
    return multiInstance() ? Math.max(1, spec.getMultiInstanceSettings().getNumberOfInstances()) : 1;
  }

  public int requiredSlots() {
    return Math.max(1, spec.getRequiredSlots());
  }

  /** Succeeded means completed with exit code 0 and no failure. */
  public boolean succeeded() {
    return state == TaskState.COMPLETED && failureInfo == null && exitCode != null && exitCode == 0;
  }

  public String result() {
    if (state != TaskState.COMPLETED) {
      return null;
    }
    return succeeded() ? "success" : "failure";
  }

  private TaskRecord moveTo(TaskState next, long timeMs) {
    return new TaskRecord(spec, next, state, creationTimeMs, timeMs, stateTransitionTimeMs, timeMs,
        version + 1, attempt, retryCount, requeueCount, nodeId, taskRootDirectory, startTimeMs,
        endTimeMs, exitCode, failureInfo, lastRetryTimeMs, lastRequeueTimeMs);
  }

  TaskRecord dispatched(TaskDispatch d, long timeMs) {
    return new TaskRecord(spec, TaskState.RUNNING, state, creationTimeMs, timeMs,
        stateTransitionTimeMs, timeMs, version + 1, d.attempt(), retryCount, requeueCount,
        d.nodeId(), d.taskRootDirectory(), timeMs, 0, null, null, lastRetryTimeMs, lastRequeueTimeMs);
  }

  TaskRecord completed(TaskOutcome o, long timeMs) {
    TaskRecord moved = moveTo(TaskState.COMPLETED, timeMs);
    return new TaskRecord(spec, moved.state, moved.previousState, creationTimeMs,
        moved.stateTransitionTimeMs, moved.previousStateTransitionTimeMs, timeMs, moved.version,
        attempt, retryCount, requeueCount, nodeId, taskRootDirectory,
        o.startTimeMs() > 0 ? o.startTimeMs() : startTimeMs, o.endTimeMs(), o.exitCode(),
        failureOf(o), lastRetryTimeMs, lastRequeueTimeMs);
  }

  /** A failed attempt with retries left: back to the queue, one retry spent. */
  TaskRecord retried(TaskOutcome o, long timeMs) {
    TaskRecord moved = moveTo(TaskState.ACTIVE, timeMs);
    return new TaskRecord(spec, moved.state, moved.previousState, creationTimeMs,
        moved.stateTransitionTimeMs, moved.previousStateTransitionTimeMs, timeMs, moved.version,
        attempt, retryCount + 1, requeueCount, nodeId, taskRootDirectory, startTimeMs,
        o.endTimeMs(), o.exitCode(), failureOf(o), timeMs, lastRequeueTimeMs);
  }

  /** Lost through no fault of its own (node gone, service restarted): back to the queue, no retry spent. */
  TaskRecord requeued(long timeMs) {
    TaskRecord moved = moveTo(TaskState.ACTIVE, timeMs);
    return new TaskRecord(spec, moved.state, moved.previousState, creationTimeMs,
        moved.stateTransitionTimeMs, moved.previousStateTransitionTimeMs, timeMs, moved.version,
        attempt, retryCount, requeueCount + 1, nodeId, taskRootDirectory, startTimeMs, endTimeMs,
        exitCode, failureInfo, lastRetryTimeMs, timeMs);
  }

  TaskRecord terminated(FailureInfo why, long timeMs) {
    TaskRecord moved = moveTo(TaskState.COMPLETED, timeMs);
    return new TaskRecord(spec, moved.state, moved.previousState, creationTimeMs,
        moved.stateTransitionTimeMs, moved.previousStateTransitionTimeMs, timeMs, moved.version,
        attempt, retryCount, requeueCount, nodeId, taskRootDirectory, startTimeMs,
        state == TaskState.RUNNING ? timeMs : endTimeMs, exitCode, why, lastRetryTimeMs,
        lastRequeueTimeMs);
  }

  TaskRecord reactivated(long timeMs) {
    TaskRecord moved = moveTo(TaskState.ACTIVE, timeMs);
    return new TaskRecord(spec, moved.state, moved.previousState, creationTimeMs,
        moved.stateTransitionTimeMs, moved.previousStateTransitionTimeMs, timeMs, moved.version,
        attempt, 0, requeueCount, nodeId, taskRootDirectory, startTimeMs, endTimeMs, null, null,
        lastRetryTimeMs, lastRequeueTimeMs);
  }

  /** New constraints; the state stays, the ETag changes. */
  TaskRecord updated(io.batchgrid.protocol.spec.TaskConstraints constraints, long timeMs) {
    TaskSpec changed = constraints == null ? spec.toBuilder().clearConstraints().build()
        : spec.toBuilder().setConstraints(constraints).build();
    return new TaskRecord(changed, state, previousState, creationTimeMs, stateTransitionTimeMs,
        previousStateTransitionTimeMs, timeMs, version + 1, attempt, retryCount, requeueCount, nodeId,
        taskRootDirectory, startTimeMs, endTimeMs, exitCode, failureInfo, lastRetryTimeMs, lastRequeueTimeMs);
  }

  private static FailureInfo failureOf(TaskOutcome o) {
    if (o.failureInfo() != null) {
      return o.failureInfo();
    }
    if (o.exitCode() != null && o.exitCode() != 0) {
      return FailureInfo.user("FailureExitCode", "The task exited with an exit code representing a failure");
    }
    return null;
  }
}
