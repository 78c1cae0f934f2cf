package io.batchgrid.coordinator.job;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.node.RunningTask;

/**
 * What the job's record makes of its nodes coming and going: a node that registers again says
 * which of the job's attempts it still runs and which ended with their reports still to come, and
 * the record is reconciled with that; a node lost, or not back in time after a coordinator restart,
 * takes its running attempts with it. Worker processes outlive a coordinator (DESIGN rule 4), so
 * nothing is requeued on a restart before its node had its say.
 *
 * <p>Pure decisions over the job record returning the events to persist. {@code runningThere} is
 * what the entity counts as running on the node: its tasks, and the multi-instance tasks with an
 * instance there (live knowledge of the entity).
 */
final class Reconciliation {
  private Reconciliation() {}

  /**
   * After a restart, the nodes to wait for before requeueing anything: those recorded running the
   * job's tasks or its preparation task.
   */
  static Set<String> awaitedAfterRestart(JobRecord s) {
    Set<String> nodes = new HashSet<>();
    for (TaskRecord t : s.allTasks()) {
      if (t.state() == TaskState.RUNNING) {
        nodes.add(t.nodeId());
      }
    }
    nodes.addAll(s.preparationsRunning());
    return nodes;
  }

  /** Attempts the node still runs that are no longer current (requeued meanwhile): nobody counts them, so they are stopped there. */
  static List<RunningTask> stale(JobRecord s, String nodeId, List<RunningTask> running) {
    List<RunningTask> out = new ArrayList<>();
    for (RunningTask r : running) {
      JobTaskKind kind = s.jobTaskKindOf(r.taskId());
      boolean current = kind != null ? PreparationGate.isCurrentRun(s, kind, nodeId, r.attempt())
          : isCurrent(s.task(r.taskId()), r);
      if (!current) {
        out.add(r);
      }
    }
    return out;
  }

  private static boolean isCurrent(TaskRecord t, RunningTask r) {
    return t != null && t.state() == TaskState.RUNNING && t.attempt() == r.attempt();
  }

  /**
   * A node awaited since the restart is back: the attempts recorded running there that it neither
   * runs nor reports were lost with it and go back to the queue (no retry spent); so was a
   * preparation it neither runs nor reports, which runs again before the job's next task there.
   * The attempts it does report stay running: their outcomes count once, as any.
   */
  static List<JobEvent> rejoined(JobRecord s, String nodeId, List<TaskRecord> runningThere, List<RunningTask> running,
      List<RunningTask> ended, long now) {
    Set<String> alive = new HashSet<>();
    running.forEach(r -> alive.add(attemptKey(r.taskId(), r.attempt())));
    ended.forEach(r -> alive.add(attemptKey(r.taskId(), r.attempt())));
    List<JobEvent> events = new ArrayList<>();
    List<String> lost = runningThere.stream().filter(t -> !alive.contains(attemptKey(t.id(), t.attempt())))
        .map(TaskRecord::id).toList();
    if (!lost.isEmpty()) {
      events.add(new JobEvent.TasksRequeued(lost, "NodeRestarted", now));
    }
    if (s.preparationsRunning().contains(nodeId) && !alive.contains(
        attemptKey(s.jobTaskId(JobTaskKind.PREPARATION), s.nodeJobTasks(nodeId).preparation().attempt()))) {
      events.add(new JobEvent.JobTaskReset(JobTaskKind.PREPARATION, nodeId, now));
    }
    return events;
  }

  private static String attemptKey(String taskId, int attempt) {
    return Ids.key(taskId) + "#" + attempt;
  }

  /**
   * The node left or died: what ran there goes back to the queue (no retry spent), and its
   * preparation runs again should it come back (see {@link PreparationGate#resetWhenLost}).
   */
  static List<JobEvent> lost(JobRecord s, String nodeId, List<TaskRecord> runningThere, long now) {
    List<JobEvent> events = new ArrayList<>();
    if (!runningThere.isEmpty()) {
      events.add(new JobEvent.TasksRequeued(runningThere.stream().map(TaskRecord::id).toList(), "NodeLost", now));
    }
    JobEvent prepareAgain = PreparationGate.resetWhenLost(s, nodeId, now);
    if (prepareAgain != null) {
      events.add(prepareAgain);
    }
    return events;
  }

  /**
   * The nodes awaited since the restart that did not come back in time: the tasks recorded running
   * there are requeued, and the preparations that ran there run again (a new attempt) before the
   * job's next task on their node.
   */
  static List<JobEvent> notReturned(JobRecord s, List<TaskRecord> running, Set<String> awaited, long now) {
    List<JobEvent> events = new ArrayList<>();
    if (!s.exists()) {
      return events;
    }
    List<String> orphans = running.stream().filter(t -> awaited.contains(t.nodeId())).map(TaskRecord::id).toList();
    if (!orphans.isEmpty()) {
      events.add(new JobEvent.TasksRequeued(orphans, "CoordinatorRestart", now));
    }
    s.preparationsRunning().stream().filter(awaited::contains)
        .forEach(node -> events.add(new JobEvent.JobTaskReset(JobTaskKind.PREPARATION, node, now)));
    return events;
  }

  /**
   * After a restart: which instance of a multi-instance task had coordinated died with the old
   * incarnation, so such tasks start again (their nodes stop the old instances on rejoining).
   */
  static List<JobEvent> restartGangs(List<TaskRecord> running, long now) {
    List<String> gangs = running.stream().filter(TaskRecord::multiInstance).map(TaskRecord::id).toList();
    return gangs.isEmpty() ? List.of() : List.of(new JobEvent.TasksRequeued(gangs, "CoordinatorRestart", now));
  }
}
