package io.batchgrid.coordinator.job;

import java.util.EnumSet;
import java.util.Set;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;

/**
 * Why the job refuses a client's request, as the Azure Batch error to answer: the job or task does
 * not exist, a conditional write's condition does not hold, or the job's state does not allow it.
 * Conditions are checked in the handling that persists the write, so that nothing lands in between.
 * Each check returns null when the request may go ahead.
 */
final class Refusals {
  /** States in which the job and its tasks can still change (not completed, terminating or being deleted). */
  static final Set<JobState> CHANGEABLE = EnumSet.complementOf(
      EnumSet.of(JobState.COMPLETED, JobState.TERMINATING, JobState.DELETING));
  /** States a job can be terminated or disabled from, and whose end runs the release tasks. */
  static final Set<JobState> RUNNABLE = EnumSet.of(JobState.ACTIVE, JobState.DISABLED);

  private Refusals() {}

  /** A write to the job: it exists, its conditions hold, and its state is one of {@code allowed}. */
  static BatchException jobWrite(JobRecord s, Precondition p, Set<JobState> allowed) {
    if (!s.exists()) {
      return jobNotFound();
    }
    BatchException unmet = p.violation(s.creationTimeMs(), s.version(), s.lastModifiedMs());
    if (unmet != null) {
      return unmet;
    }
    return allowed.contains(s.state()) ? null : notActive(s);
  }

  /** A read or write of one task: the job and the task exist and the task's own conditions hold. */
  static BatchException task(JobRecord s, String taskId, Precondition p) {
    if (!s.exists()) {
      return jobNotFound();
    }
    TaskRecord t = s.task(taskId);
    if (t == null) {
      return BatchException.of(ErrorCode.TASK_NOT_FOUND, "The specified task does not exist.");
    }
    return p.violation(t.creationTimeMs(), t.version(), t.lastModifiedMs());
  }

  /** Reactivating a task: the job can still change, and the task completed with a failure. */
  static BatchException reactivation(JobRecord s, TaskRecord t) {
    if (!CHANGEABLE.contains(s.state())) {
      return notActive(s);
    }
    if (t.state() != TaskState.COMPLETED || t.succeeded()) {
      return BatchException.of(ErrorCode.TASK_NOT_REACTIVATABLE, "Only a task that completed with a failure can be reactivated.");
    }
    return null;
  }

  /** Changing a task's constraints: the job can still change, and the task has not completed (they could change nothing; Azure refuses them too). */
  static BatchException taskUpdate(JobRecord s, TaskRecord t) {
    if (!CHANGEABLE.contains(s.state())) {
      return notActive(s);
    }
    if (t.state() == TaskState.COMPLETED) {
      return BatchException.of(ErrorCode.TASK_COMPLETED, "The specified task is already completed.");
    }
    return null;
  }

  /** The job's preparation and release status: the job exists and has a preparation task. */
  static BatchException preparationStatus(JobRecord s) {
    if (!s.exists()) {
      return jobNotFound();
    }
    return s.hasPreparation() ? null : BatchException.of(ErrorCode.JOB_PREPARATION_TASK_NOT_SPECIFIED,
        "The specified job does not have a job preparation task.", "JobId", s.id());
  }

  static BatchException jobNotFound() {
    return BatchException.of(ErrorCode.JOB_NOT_FOUND, "The specified job does not exist.");
  }

  /** The job exists but its state refuses the request: the error names the state. */
  static BatchException notActive(JobRecord s) {
    switch (s.state()) {
      case COMPLETED:
        return BatchException.of(ErrorCode.JOB_COMPLETED, "The specified job is already in a completed state.");
      case DELETING:
        return BatchException.of(ErrorCode.JOB_BEING_DELETED,
            "The specified job has been marked for deletion and is being garbage collected.");
      case TERMINATING:
        return BatchException.of(ErrorCode.JOB_BEING_TERMINATED, "The specified job is being terminated.");
      default:
        return BatchException.of(ErrorCode.JOB_NOT_ACTIVE, "The specified job is not active.");
    }
  }

  /** Creating a job whose id is taken: it exists, or is still being deleted. */
  static BatchException exists(JobRecord s) {
    return s.state() == JobState.DELETING ? notActive(s)
        : BatchException.of(ErrorCode.JOB_EXISTS, "The specified job already exists.");
  }
}
