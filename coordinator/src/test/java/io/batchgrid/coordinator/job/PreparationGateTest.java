package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskSpec;

/** The preparation and release decisions alone, over job records built from events (no actor system). */
class PreparationGateTest {
  private static JobRecord job(JobTaskSpec.Builder prep) {
    return JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p")
        .setJobPreparationTask(prep)
        .setJobReleaseTask(JobTaskSpec.newBuilder().setId("rel").setCommandLine("/bin/true")).build(), 1));
  }

  private static JobRecord job() {
    return job(JobTaskSpec.newBuilder().setId("prep").setCommandLine("/bin/true"));
  }

  private static JobEvent started(JobTaskKind kind, String node, int attempt) {
    return new JobEvent.JobTaskStarted(kind, "p", node, attempt, 2);
  }

  private static JobEvent finished(JobTaskKind kind, String node, int attempt, int exit) {
    return new JobEvent.JobTaskFinished(kind, node, new TaskOutcome(kind == JobTaskKind.PREPARATION ? "prep" : "rel",
        attempt, exit, 2, 3, null), 3);
  }

  @Test
  void preparationStartsOnceOnEachNewNodeAndAgainAfterTheNodeWasLost() {
    JobRecord s = job();
    List<JobEvent.JobTaskStarted> first = PreparationGate.preparationsToStart(s, List.of("n1", "n2"), 5);
    assertEquals(List.of("n1", "n2"), first.stream().map(JobEvent.JobTaskStarted::nodeId).toList());
    assertEquals(1, first.get(0).attempt());
    assertTrue(PreparationGate.preparationDue(s, List.of("n1")));

    s.apply(started(JobTaskKind.PREPARATION, "n1", 1)).apply(finished(JobTaskKind.PREPARATION, "n1", 1, 0));
    assertEquals(List.of(), PreparationGate.preparationsToStart(s, List.of("n1"), 5));
    assertFalse(PreparationGate.preparationDue(s, List.of("n1")));

    // rerunOnNodeRebootAfterSuccess defaults to true: a lost node prepares again, under the next attempt.
    JobEvent reset = PreparationGate.resetWhenLost(s, "n1", 6);
    assertInstanceOf(JobEvent.JobTaskReset.class, reset);
    s.apply(reset);
    assertEquals(2, PreparationGate.preparationsToStart(s, List.of("n1"), 7).get(0).attempt());
  }

  @Test
  void aSucceededPreparationStaysWhenTheJobSaysNotToRerunItAfterAReboot() {
    JobRecord s = job(JobTaskSpec.newBuilder().setId("prep").setCommandLine("/bin/true")
        .setRerunOnNodeRebootAfterSuccess(false));
    s.apply(started(JobTaskKind.PREPARATION, "n1", 1)).apply(finished(JobTaskKind.PREPARATION, "n1", 1, 0));
    assertNull(PreparationGate.resetWhenLost(s, "n1", 5));
    assertNull(PreparationGate.resetWhenLost(s, "unknown", 5));
    // One still running goes again whatever the job says.
    s.apply(started(JobTaskKind.PREPARATION, "n2", 1));
    assertInstanceOf(JobEvent.JobTaskReset.class, PreparationGate.resetWhenLost(s, "n2", 5));
  }

  @Test
  void onlyTheCurrentAttemptsOutcomeCountsAndOnlyOnce() {
    JobRecord s = job().apply(started(JobTaskKind.PREPARATION, "n1", 2));
    assertTrue(PreparationGate.isCurrentRun(s, JobTaskKind.PREPARATION, "n1", 2));
    assertFalse(PreparationGate.isCurrentRun(s, JobTaskKind.PREPARATION, "n1", 1));
    assertFalse(PreparationGate.isCurrentRun(s, JobTaskKind.RELEASE, "n1", 2));
    assertFalse(PreparationGate.isCurrentRun(s, JobTaskKind.PREPARATION, "n2", 2));

    TaskOutcome current = new TaskOutcome("PREP", 2, 0, 1, 2, null); // ids compare case-insensitively
    TaskOutcome stale = new TaskOutcome("prep", 1, 0, 1, 2, null);
    TaskOutcome task = new TaskOutcome("t1", 2, 0, 1, 2, null);
    List<JobEvent.JobTaskFinished> f = PreparationGate.finished(s, "n1", List.of(current, stale, task, current), 9);
    assertEquals(1, f.size());
    assertEquals(JobTaskKind.PREPARATION, f.get(0).kind());
    assertEquals(2, f.get(0).outcome().attempt());
  }

  @Test
  void aFailedPreparationWithRetriesLeftRunsItsNextAttempt() {
    JobRecord s = job(JobTaskSpec.newBuilder().setId("prep").setCommandLine("/bin/false")
        .setConstraints(TaskConstraints.newBuilder().setMaxTaskRetryCount(1)));
    s.apply(started(JobTaskKind.PREPARATION, "n1", 1));
    List<JobEvent.JobTaskFinished> f = PreparationGate.finished(s, "n1",
        List.of(new TaskOutcome("prep", 1, 3, 1, 2, null)), 3);
    f.forEach(s::apply);
    assertEquals(List.of(new PreparationGate.Launch(JobTaskKind.PREPARATION, "n1", 2)), PreparationGate.retries(s, f));

    // The retry fails too: no retries are left, nothing runs again.
    List<JobEvent.JobTaskFinished> again = PreparationGate.finished(s, "n1",
        List.of(new TaskOutcome("prep", 2, 3, 1, 2, null)), 4);
    again.forEach(s::apply);
    assertEquals(List.of(), PreparationGate.retries(s, again));
  }

  @Test
  void releasesRunWherePreparationsCompletedAndUnreportedOnesFailAtTheDeadline() {
    JobRecord s = job().apply(started(JobTaskKind.PREPARATION, "n1", 1))
        .apply(finished(JobTaskKind.PREPARATION, "n1", 1, 0))
        .apply(started(JobTaskKind.PREPARATION, "n2", 1))
        .apply(finished(JobTaskKind.PREPARATION, "n2", 1, 0))
        .apply(started(JobTaskKind.PREPARATION, "n3", 1)); // still running: no release there
    List<JobEvent> releases = PreparationGate.releasesToStart(s, 5);
    assertEquals(List.of("n1", "n2"), releases.stream().map(e -> ((JobEvent.JobTaskStarted) e).nodeId()).toList());
    releases.forEach(s::apply);

    List<JobEvent.JobTaskFinished> n1 = List.of((JobEvent.JobTaskFinished) finished(JobTaskKind.RELEASE, "n1", 1, 0));
    n1.forEach(s::apply);
    assertFalse(PreparationGate.lastReleaseEnded(s, n1));

    List<JobEvent> late = PreparationGate.releasesNotReported(s, 99);
    assertEquals(1, late.size());
    JobEvent.JobTaskFinished n2 = (JobEvent.JobTaskFinished) late.get(0);
    assertEquals("n2", n2.nodeId());
    assertEquals("JobReleaseTaskNotReported", n2.outcome().failureInfo().code());
    s.apply(n2);
    assertTrue(PreparationGate.lastReleaseEnded(s, List.of(n2)));
    assertEquals(List.of(), PreparationGate.releasesNotReported(s, 100));
  }

  @Test
  void theReleaseGetsAzuresDefaultWallClockAndTheJobWaitsThatLongAndAGrace() {
    JobRecord s = job();
    assertEquals(PreparationGate.RELEASE_WALL_CLOCK_DEFAULT.toMillis(),
        PreparationGate.launch(s, JobTaskKind.RELEASE, 1).spec().getConstraints().getMaxWallClockTimeMs());
    assertEquals(PreparationGate.RELEASE_WALL_CLOCK_DEFAULT.plus(PreparationGate.RELEASE_REPORT_GRACE),
        PreparationGate.releaseDeadline(s));
    assertFalse(PreparationGate.launch(s, JobTaskKind.PREPARATION, 1).spec().getConstraints().hasMaxWallClockTimeMs());
    assertEquals("prep", PreparationGate.launch(s, JobTaskKind.RELEASE, 1).jobPreparationTaskId());
  }

  @Test
  void tasksCannotTakeThePreparationOrReleaseTaskId() {
    JobRecord s = job();
    assertEquals(ErrorCode.TASK_ID_SAME_AS_JOB_PREPARATION_TASK,
        PreparationGate.idClash(s, TaskSpec.newBuilder().setId("Prep").build()).code());
    assertEquals(ErrorCode.TASK_ID_SAME_AS_JOB_RELEASE_TASK,
        PreparationGate.idClash(s, TaskSpec.newBuilder().setId("rel").build()).code());
    assertNull(PreparationGate.idClash(s, TaskSpec.newBuilder().setId("t1").build()));
  }
}
