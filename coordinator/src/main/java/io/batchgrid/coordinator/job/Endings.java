package io.batchgrid.coordinator.job;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;

/**
 * How running tasks stop, and how the job ends, when a client, the pool, a node or the tasks' own
 * exit conditions say so: which tasks stop, whether each goes back to the queue (no retry spent) or
 * completes as failed, and with which failure. Pure decisions over the job record; the entity
 * persists the events and then stops the {@link Stop#stop() tasks} on their nodes.
 */
final class Endings {
  static final FailureInfo ENDED_BY_USER = FailureInfo.user("TaskEnded", "Task Was Ended by User Request");
  static final FailureInfo ENDED_WITH_JOB = FailureInfo.user("TaskEnded", "The task was ended because its job was terminated");
  static final FailureInfo ENDED_WITH_NODE_DISABLED = FailureInfo.user("TaskEnded",
      "The task was ended because its compute node was disabled, rebooted, reimaged, deallocated or removed"
          + " with the terminate option");
  static final FailureInfo ENDED_WITH_JOB_DISABLED = FailureInfo.user("TaskEnded",
      "The task was ended because its job was disabled");
  static final String PREEMPTED = "Preempted";

  private Endings() {}

  /** The events to persist, and the running tasks to stop on their nodes once they are. */
  record Stop(List<JobEvent> events, List<TaskRecord> stop) {}

  /** Every running task of the job, multi-instance ones included. */
  static List<TaskRecord> running(JobRecord s) {
    List<TaskRecord> out = new ArrayList<>();
    if (s.runningCount() == 0) {
      return out;
    }
    for (TaskRecord t : s.allTasks()) {
      if (t.state() == TaskState.RUNNING) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * Terminating ends the running tasks and completes the job; queued tasks stay active, as in Azure
   * Batch. With a release task, the job stays terminating until it has run on every node where the
   * preparation task completed.
   */
  static Stop terminate(JobRecord s, String reason, long now) {
    List<JobEvent> events = new ArrayList<>();
    events.add(new JobEvent.JobTerminating(reason, now));
    List<TaskRecord> running = running(s);
    running.forEach(t -> events.add(new JobEvent.TaskTerminated(t.id(), ENDED_WITH_JOB, now)));
    events.addAll(PreparationGate.releasesToStart(s, now));
    if (events.stream().noneMatch(e -> e instanceof JobEvent.JobTaskStarted)) {
      events.add(new JobEvent.JobCompleted(reason, now));
    }
    return new Stop(events, running);
  }

  /** Deleting ends the running tasks; an active job runs its release tasks first, as terminating it does (a completed job ran them). */
  static Stop delete(JobRecord s, long now) {
    List<JobEvent> events = new ArrayList<>();
    events.add(new JobEvent.JobDeleting(now));
    List<TaskRecord> running = running(s);
    running.forEach(t -> events.add(new JobEvent.TaskTerminated(t.id(), ENDED_WITH_JOB, now)));
    if (s.state() == JobState.ACTIVE || s.state() == JobState.DISABLED) {
      events.addAll(PreparationGate.releasesToStart(s, now));
    }
    return new Stop(events, running);
  }

  /**
   * Disabling stops dispatching. {@code disableTasks}: requeue (default; running tasks are ended and
   * go back to the queue, no retry spent), terminate (running tasks are ended and fail), wait
   * (running tasks finish).
   */
  static Stop disable(JobRecord s, String disableTasks, long now) {
    String option = disableTasks == null ? "requeue" : disableTasks.toLowerCase(Locale.ROOT);
    List<JobEvent> events = new ArrayList<>();
    events.add(new JobEvent.JobDisabled(option, now));
    List<TaskRecord> running = "wait".equals(option) ? List.of() : running(s);
    if ("requeue".equals(option) && !running.isEmpty()) {
      events.add(new JobEvent.TasksRequeued(running.stream().map(TaskRecord::id).toList(), "JobDisabled", now));
    } else if ("terminate".equals(option)) {
      running.forEach(t -> events.add(new JobEvent.TaskTerminated(t.id(), ENDED_WITH_JOB_DISABLED, now)));
    }
    return new Stop(events, running);
  }

  /**
   * Scheduling was disabled on a node: its running tasks ({@code there}) complete as failed with
   * {@code terminate}, and otherwise go back to the queue (no retry spent).
   */
  static Stop nodeDisabled(List<TaskRecord> there, String option, long now) {
    List<JobEvent> events = new ArrayList<>();
    if ("terminate".equals(option)) {
      there.forEach(t -> events.add(new JobEvent.TaskTerminated(t.id(), ENDED_WITH_NODE_DISABLED, now)));
    } else {
      events.add(new JobEvent.TasksRequeued(there.stream().map(TaskRecord::id).toList(), "NodeSchedulingDisabled", now));
    }
    return new Stop(events, there);
  }

  /**
   * The pool takes {@code slots} slots back for a job of higher priority: the newest running tasks
   * worth that many slots are stopped and requeued without spending a retry (their next attempt
   * starts afresh). No events when nothing runs.
   */
  static Stop preempt(JobRecord s, int slots, long now) {
    List<TaskRecord> running = running(s);
    running.sort(Comparator.comparingLong(TaskRecord::stateTransitionTimeMs).reversed());
    List<TaskRecord> stop = new ArrayList<>();
    int taken = 0;
    for (TaskRecord t : running) {
      if (taken >= slots) {
        break;
      }
      stop.add(t);
      taken += t.multiInstance() ? t.instances() : t.requiredSlots();
    }
    return new Stop(stop.isEmpty() ? List.of()
        : List.of(new JobEvent.TasksRequeued(stop.stream().map(TaskRecord::id).toList(), PREEMPTED, now)), stop);
  }

  /** The pool's nodes have only {@code slotsPerNode} slots: the queued tasks that need more can never run, and fail. */
  static List<JobEvent> tooBig(JobRecord s, String poolId, int slotsPerNode, long now) {
    List<JobEvent> events = new ArrayList<>();
    FailureInfo why = FailureInfo.user("TaskRequiredSlotsExceedNodeSlots", "The task needs more task slots ("
        + "requiredSlots) than a node of pool " + poolId + " has (" + slotsPerNode + "): it can never run.");
    for (Iterator<TaskRecord> it = s.queued(); it.hasNext();) {
      TaskRecord t = it.next();
      if (t.requiredSlots() > slotsPerNode) {
        events.add(new JobEvent.TaskTerminated(t.id(), why, now));
      }
    }
    return events;
  }

  /**
   * With onTaskFailure performExitOptionsJobAction, the job action these completed tasks' exit
   * options ask for: terminate outranks disable; "none" when they ask for nothing.
   */
  static String jobAction(JobRecord s, List<TaskOutcome> outcomes) {
    if (!"performexitoptionsjobaction".equalsIgnoreCase(s.spec().getOnTaskFailure())) {
      return "none";
    }
    String action = "none";
    for (TaskOutcome o : outcomes) {
      TaskRecord t = s.task(o.taskId());
      String a = t == null ? "none" : s.jobActionFor(t);
      if ("terminate".equals(a) || ("disable".equals(a) && "none".equals(action))) {
        action = a;
      }
    }
    return action;
  }
}
