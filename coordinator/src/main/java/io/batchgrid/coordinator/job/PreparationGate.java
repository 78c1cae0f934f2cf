package io.batchgrid.coordinator.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.JobTaskRun;
import io.batchgrid.protocol.job.NodeJobTasks;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * The job's preparation and release tasks, node by node: when each starts, which attempt's outcome
 * counts, when a node must prepare again, and when the job stops waiting for a release. Pure
 * decisions over the job record, returning the events to persist; the entity persists them and
 * sends the launches.
 *
 * <p>Design: the job launches its preparation task as a message of its own
 * ({@code NodeMessage.RunJobTask}), not bundled with the first task for a node. The job keeps per
 * node, persisted, which attempt of the preparation (and later the release) runs there; the node
 * reports its outcome in the job's ordinary report stream under the preparation task's id. So the
 * exactly-once accounting is the tasks' own (an outcome counts only for the attempt current on that
 * node), a task is dispatched to a node only once the preparation has let it in
 * ({@link DispatchPlanner}), and neither a task nor the node's slots are ever tied to the fate of a
 * preparation attempt.
 */
final class PreparationGate {
  /** Azure's default maxWallClockTime of a job release task. */
  static final Duration RELEASE_WALL_CLOCK_DEFAULT = Duration.ofMinutes(15);
  /** How long after a release task's wall clock the job stops waiting for a node that does not report. */
  static final Duration RELEASE_REPORT_GRACE = Duration.ofSeconds(30);

  private PreparationGate() {}

  /** A node's launch of a preparation or release task: the entity sends it to the node's agent. */
  record Launch(JobTaskKind kind, String nodeId, int attempt) {}

  /** Whether {@code attempt} is the run of that job task current on the node (only its outcome counts). */
  static boolean isCurrentRun(JobRecord s, JobTaskKind kind, String nodeId, int attempt) {
    NodeJobTasks n = s.exists() ? s.nodeJobTasks(nodeId) : null;
    if (n == null) {
      return false;
    }
    JobTaskRun run = kind == JobTaskKind.PREPARATION ? (n.preparationStale() ? null : n.preparation()) : n.release();
    return run != null && run.running() && run.attempt() == attempt;
  }

  /** The preparation starts on each of these leased nodes (that take tasks) where it has not run, or must run again. */
  static List<JobEvent.JobTaskStarted> preparationsToStart(JobRecord s, Collection<String> nodes, long now) {
    List<JobEvent.JobTaskStarted> out = new ArrayList<>();
    for (String node : nodes) {
      if (s.needsPreparation(node)) {
        NodeJobTasks n = s.nodeJobTasks(node);
        int attempt = n == null || n.preparation() == null ? 1 : n.preparation().attempt() + 1;
        out.add(new JobEvent.JobTaskStarted(JobTaskKind.PREPARATION, s.spec().getPoolId(), node, attempt, now));
      }
    }
    return out;
  }

  /** One of these leased nodes (that take tasks) waits for the preparation task to be launched there. */
  static boolean preparationDue(JobRecord s, Collection<String> nodes) {
    return s.hasPreparation() && nodes.stream().anyMatch(s::needsPreparation);
  }

  /** The job ends: the release task starts on every node where the preparation task completed. */
  static List<JobEvent> releasesToStart(JobRecord s, long now) {
    List<JobEvent> events = new ArrayList<>();
    for (String node : s.nodesToRelease()) {
      events.add(new JobEvent.JobTaskStarted(JobTaskKind.RELEASE, s.nodeJobTasks(node).poolId(), node, 1, now));
    }
    return events;
  }

  /**
   * The release deadline passed: every release still running ends as failed, so that a node that
   * left the pool does not keep the job terminating (or deleting) forever.
   */
  static List<JobEvent> releasesNotReported(JobRecord s, long now) {
    List<JobEvent> events = new ArrayList<>();
    if (!s.exists()) {
      return events;
    }
    FailureInfo why = FailureInfo.server("JobReleaseTaskNotReported", "The node did not report the job release task "
        + "within its maximum wall clock time (the node may have left the pool)");
    for (NodeJobTasks n : s.releasesRunning()) {
      events.add(new JobEvent.JobTaskFinished(JobTaskKind.RELEASE, n.nodeId(), new TaskOutcome(
          s.jobTaskId(JobTaskKind.RELEASE), n.release().attempt(), null, n.release().startTimeMs(), now, why), now));
    }
    return events;
  }

  /** How long the job waits for its release tasks: their wall clock, and a grace for the reports. */
  static Duration releaseDeadline(JobRecord s) {
    JobTaskSpec release = s.spec().getJobReleaseTask();
    Duration wallClock = release.hasConstraints() && release.getConstraints().hasMaxWallClockTimeMs()
        ? Duration.ofMillis(release.getConstraints().getMaxWallClockTimeMs()) : RELEASE_WALL_CLOCK_DEFAULT;
    return wallClock.plus(RELEASE_REPORT_GRACE);
  }

  /**
   * The node was lost. It restarts as a reboot does: a preparation that had not finished runs again
   * before the job's next task there, and one that succeeded too unless rerunOnNodeRebootAfterSuccess
   * is false. Null when nothing is to run again.
   */
  static JobEvent resetWhenLost(JobRecord s, String nodeId, long now) {
    NodeJobTasks n = s.nodeJobTasks(nodeId);
    if (n != null && n.preparation() != null && !n.preparationStale()
        && (n.preparation().running() || (n.preparation().succeeded() && s.rerunsPreparationAfterReboot()))) {
      return new JobEvent.JobTaskReset(JobTaskKind.PREPARATION, nodeId, now);
    }
    return null;
  }

  /**
   * The outcomes of preparation and release tasks among a node's report (told apart by their ids:
   * no task may have them), for the attempts current there, each once.
   */
  static List<JobEvent.JobTaskFinished> finished(JobRecord s, String nodeId, List<TaskOutcome> outcomes, long now) {
    List<JobEvent.JobTaskFinished> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (TaskOutcome o : outcomes) {
      JobTaskKind kind = s.jobTaskKindOf(o.taskId());
      if (kind != null && isCurrentRun(s, kind, nodeId, o.attempt()) && seen.add(kind + "\0" + o.attempt())) {
        out.add(new JobEvent.JobTaskFinished(kind, nodeId, o, now));
      }
    }
    return out;
  }

  /** After these outcomes were persisted: the preparations that failed with retries left run their next attempt. */
  static List<Launch> retries(JobRecord state, List<JobEvent.JobTaskFinished> finished) {
    List<Launch> out = new ArrayList<>();
    for (JobEvent.JobTaskFinished f : finished) {
      if (f.kind() != JobTaskKind.PREPARATION) {
        continue;
      }
      NodeJobTasks n = state.nodeJobTasks(f.nodeId());
      JobTaskRun prep = n == null ? null : n.preparation();
      if (prep != null && prep.running() && prep.attempt() > f.outcome().attempt()) {
        out.add(new Launch(JobTaskKind.PREPARATION, f.nodeId(), prep.attempt()));
      }
    }
    return out;
  }

  /** After these outcomes were persisted: the last release task ended (the job completes, or goes if deleted). */
  static boolean lastReleaseEnded(JobRecord state, List<JobEvent.JobTaskFinished> finished) {
    return finished.stream().anyMatch(f -> f.kind() == JobTaskKind.RELEASE) && state.releasesRunning().isEmpty();
  }

  /** No task may have the id of the job's preparation or release task: their outcomes are told apart by id. */
  static BatchException idClash(JobRecord s, TaskSpec t) {
    JobTaskKind kind = s.jobTaskKindOf(t.getId());
    if (kind == JobTaskKind.PREPARATION) {
      return BatchException.of(ErrorCode.TASK_ID_SAME_AS_JOB_PREPARATION_TASK,
          "The task id is the same as that of the job's preparation task.");
    }
    if (kind == JobTaskKind.RELEASE) {
      return BatchException.of(ErrorCode.TASK_ID_SAME_AS_JOB_RELEASE_TASK,
          "The task id is the same as that of the job's release task.");
    }
    return null;
  }

  /** The preparation or release task as a node runs it: a task in its own directory, under its own id. */
  static TaskLaunch launch(JobRecord s, JobTaskKind kind, int attempt) {
    JobTaskSpec j = kind == JobTaskKind.PREPARATION ? s.spec().getJobPreparationTask() : s.spec().getJobReleaseTask();
    TaskSpec.Builder t = TaskSpec.newBuilder().setId(j.getId()).setDisplayName(j.getDisplayName())
        .setCommandLine(j.getCommandLine()).addAllEnvironmentSettings(j.getEnvironmentSettingsList())
        .addAllResourceFiles(j.getResourceFilesList()).setRequiredSlots(1);
    if (j.hasUserIdentity()) {
      t.setUserIdentity(j.getUserIdentity());
    }
    io.batchgrid.protocol.spec.TaskConstraints.Builder c = j.getConstraints().toBuilder();
    if (kind == JobTaskKind.RELEASE && !c.hasMaxWallClockTimeMs()) {
      c.setMaxWallClockTimeMs(RELEASE_WALL_CLOCK_DEFAULT.toMillis());
    }
    t.setConstraints(c);
    return new TaskLaunch(s.id(), j.getId(), attempt, t.build(), s.spec().getCommonEnvironmentSettingsList(),
        preparationTaskId(s));
  }

  /** The id a node's tasks are told for the job's preparation task ("" without one). */
  static String preparationTaskId(JobRecord s) {
    return s.hasPreparation() ? s.jobTaskId(JobTaskKind.PREPARATION) : "";
  }
}
