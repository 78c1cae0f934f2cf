package io.batchgrid.coordinator.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskRecord;

/**
 * A node's report of finished attempts, sorted into what counts: each outcome counts once, and only
 * for the attempt current in the job's record (a resent report, or one of an attempt requeued
 * meanwhile, changes nothing). Outcomes of the job's preparation and release tasks are left to
 * {@link PreparationGate#finished}.
 *
 * <p>A multi-instance task's coordination commands report per instance: they go to the live
 * {@link MultiInstanceRuns}, and the task ends here only when one of them failed; when all
 * succeeded, the primary starts the application (returned, for the entity to send).
 */
final class Outcomes {
  private Outcomes() {}

  /**
   * The outcomes that count, in the report's order; the slots they free per node; and the
   * multi-instance applications to start now.
   */
  record Intake(List<TaskOutcome> current, Map<String, Integer> freed, List<MultiInstanceRuns.StartApplication> starts) {}

  /** Sorts a report. Coordination outcomes of the current attempts are recorded in {@code gangs}. */
  static Intake sort(JobRecord s, List<TaskOutcome> outcomes, MultiInstanceRuns gangs) {
    List<TaskOutcome> current = new ArrayList<>(outcomes.size());
    Map<String, Integer> freed = new HashMap<>();
    List<MultiInstanceRuns.StartApplication> starts = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (TaskOutcome reported : outcomes) {
      if (s.jobTaskKindOf(reported.taskId()) != null) {
        continue;
      }
      TaskRecord t = s.task(reported.taskId());
      TaskOutcome o = reported;
      if (o.coordination()) {
        MultiInstanceRuns.Next next = s.isCurrentAttempt(t, o) ? gangs.coordinated(o) : new MultiInstanceRuns.Wait();
        if (next instanceof MultiInstanceRuns.StartApplication start) {
          starts.add(start);
        }
        if (!(next instanceof MultiInstanceRuns.Fail fail)) {
          continue;
        }
        o = fail.outcome();
      }
      if (s.isCurrentAttempt(t, o) && seen.add(Ids.key(o.taskId()))) {
        current.add(o);
        freed.merge(t.nodeId(), t.requiredSlots(), Integer::sum);
      }
    }
    return new Intake(current, freed, starts);
  }

  /**
   * The events of the outcomes that count: the tasks finished, and for each multi-instance task among
   * them its subtasks as they ended. None when nothing counts.
   */
  static List<JobEvent> finished(JobRecord s, String nodeId, List<TaskOutcome> current, MultiInstanceRuns gangs,
      long now) {
    List<JobEvent> events = new ArrayList<>();
    if (current.isEmpty()) {
      return events;
    }
    events.add(new JobEvent.TasksFinished(nodeId, current, now));
    for (TaskOutcome o : current) {
      TaskRecord t = s.task(o.taskId());
      if (t.multiInstance()) {
        events.add(new JobEvent.SubtasksRecorded(t.id(), gangs.completed(t.id(), now), now));
      }
    }
    return events;
  }
}
