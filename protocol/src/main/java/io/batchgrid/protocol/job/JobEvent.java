package io.batchgrid.protocol.job;

import java.util.List;

import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskSpec;

/** What happened to a job and its tasks; persisted as {@code JobEventP} (see state.proto). */
public sealed interface JobEvent {
  long timeMs();

  record JobCreated(JobSpec spec, long timeMs) implements JobEvent {}

  /** New job-level properties (priority, constraints, onAllTasksComplete, ...); the id and pool stay. */
  record JobUpdated(JobSpec spec, long timeMs) implements JobEvent {}

  /** The job takes no new tasks to nodes; {@code disableTasks} (requeue, terminate, wait) says what became of running ones. */
  record JobDisabled(String disableTasks, long timeMs) implements JobEvent {}

  record JobEnabled(long timeMs) implements JobEvent {}

  record JobTerminating(String reason, long timeMs) implements JobEvent {}

  record JobCompleted(String reason, long timeMs) implements JobEvent {}

  record JobDeleting(long timeMs) implements JobEvent {}

  /** The job is gone: the id may be used again. */
  record JobDeleted(long timeMs) implements JobEvent {}

  record TasksAdded(List<TaskSpec> tasks, long timeMs) implements JobEvent {
    public TasksAdded {
      tasks = List.copyOf(tasks);
    }
  }

  record TasksDispatched(List<TaskDispatch> dispatches, long timeMs) implements JobEvent {
    public TasksDispatched {
      dispatches = List.copyOf(dispatches);
    }
  }

  /** Attempts that ended on a node. Only outcomes of a task's current running attempt count. */
  record TasksFinished(String nodeId, List<TaskOutcome> outcomes, long timeMs) implements JobEvent {
    public TasksFinished {
      outcomes = List.copyOf(outcomes);
    }
  }

  /** Running tasks lost through no fault of their own go back to the queue without spending a retry. */
  record TasksRequeued(List<String> taskIds, String reason, long timeMs) implements JobEvent {
    public TasksRequeued {
      taskIds = List.copyOf(taskIds);
    }
  }

  record TaskTerminated(String taskId, FailureInfo failureInfo, long timeMs) implements JobEvent {}

  record TaskDeleted(String taskId, long timeMs) implements JobEvent {}

  /** A failed task made eligible to run again: active, retry count reset, its last exit code and failure gone. */
  record TaskReactivated(String taskId, long timeMs) implements JobEvent {}

  /**
   * A task's constraints replaced (Task_Update: an omitted constraints object means the defaults).
   * A running attempt keeps the wall clock it was launched with; the new one applies from the next.
   */
  record TaskUpdated(String taskId, TaskConstraints constraints, long timeMs) implements JobEvent {}

  /**
   * A job preparation or release task launched on a node, numbered {@code attempt} there (a
   * preparation that runs again after its node was lost gets a new number).
   */
  record JobTaskStarted(JobTaskKind kind, String poolId, String nodeId, int attempt, long timeMs) implements JobEvent {}

  /**
   * How a node's current attempt of a preparation or release task ended; a report of any other
   * attempt changes nothing. A preparation that failed with retries left starts its next attempt.
   */
  record JobTaskFinished(JobTaskKind kind, String nodeId, TaskOutcome outcome, long timeMs) implements JobEvent {}

  /**
   * The node was lost: its preparation must run again before the job's next task there (an attempt
   * still running is abandoned); a release that had not finished is dropped, as it cannot run.
   */
  record JobTaskReset(JobTaskKind kind, String nodeId, long timeMs) implements JobEvent {}

  /** The subtasks of a multi-instance task's attempt as it ended (they replace any recorded before). */
  record SubtasksRecorded(String taskId, List<SubtaskRecord> subtasks, long timeMs) implements JobEvent {
    public SubtasksRecorded {
      subtasks = List.copyOf(subtasks);
    }
  }
}
