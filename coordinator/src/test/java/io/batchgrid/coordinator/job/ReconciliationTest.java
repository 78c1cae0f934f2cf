package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.MultiInstanceSettings;
import io.batchgrid.protocol.spec.TaskSpec;

/** How the job's record is reconciled with nodes coming back, leaving, or not coming back (no actor system). */
class ReconciliationTest {
  /** A job with tasks a (attempt 1 on n1), b (attempt 1 on n1), c (attempt 1 on n2) and a preparation running on n1. */
  private static JobRecord job() {
    return JobRecord.empty()
        .apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p")
            .setJobPreparationTask(JobTaskSpec.newBuilder().setId("prep").setCommandLine("/bin/true")
                .setWaitForSuccess(false)).build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(task("a"), task("b"), task("c")), 1))
        .apply(new JobEvent.JobTaskStarted(JobTaskKind.PREPARATION, "p", "n1", 1, 2))
        .apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("a", "n1", 1, "d/a"),
            new TaskDispatch("b", "n1", 1, "d/b"), new TaskDispatch("c", "n2", 1, "d/c")), 3));
  }

  private static TaskSpec task(String id) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("/bin/true").build();
  }

  private static List<TaskRecord> on(JobRecord s, String node) {
    return s.allTasks().stream().filter(t -> node.equals(t.nodeId())).toList();
  }

  private static RunningTask attempt(String taskId, int attempt) {
    return new RunningTask("J", taskId, attempt, 1);
  }

  @Test
  void aNodeBackAfterARestartKeepsWhatItRunsOrReportsAndTheRestIsRequeued() {
    JobRecord s = job();
    // a still runs, b ended (its report to come); the preparation is gone.
    List<JobEvent> events = Reconciliation.rejoined(s, "n1", on(s, "n1"), List.of(attempt("A", 1)), List.of(), 5);
    assertEquals(2, events.size());
    JobEvent.TasksRequeued requeued = assertInstanceOf(JobEvent.TasksRequeued.class, events.get(0));
    assertEquals(List.of("b"), requeued.taskIds());
    assertEquals("NodeRestarted", requeued.reason());
    assertInstanceOf(JobEvent.JobTaskReset.class, events.get(1));

    List<JobEvent> none = Reconciliation.rejoined(s, "n1", on(s, "n1"), List.of(attempt("a", 1), attempt("prep", 1)),
        List.of(attempt("b", 1)), 5);
    assertEquals(List.of(), none);
  }

  @Test
  void afterARestartTheJobWaitsForTheNodesThatRanItsTasksOrItsPreparation() {
    JobRecord s = job().apply(new JobEvent.JobTaskStarted(JobTaskKind.PREPARATION, "p", "n3", 1, 4));
    assertEquals(Set.of("n1", "n2", "n3"), Reconciliation.awaitedAfterRestart(s));
    s.apply(new JobEvent.TasksRequeued(List.of("c"), "NodeLost", 5));
    assertEquals(Set.of("n1", "n3"), Reconciliation.awaitedAfterRestart(s));
  }

  @Test
  void attemptsANodeRunsThatAreNoLongerCurrentAreStopped() {
    JobRecord s = job().apply(new JobEvent.TasksRequeued(List.of("b"), "NodeLost", 4));
    List<RunningTask> stale = Reconciliation.stale(s, "n1",
        List.of(attempt("a", 1), attempt("b", 1), attempt("gone", 1), attempt("prep", 1), attempt("prep", 0)));
    assertEquals(List.of("b", "gone", "prep"), stale.stream().map(RunningTask::taskId).toList());
    assertEquals(0, stale.get(2).attempt());
  }

  @Test
  void aLostNodeRequeuesWhatRanThereAndItsPreparationRunsAgain() {
    JobRecord s = job();
    List<JobEvent> events = Reconciliation.lost(s, "n1", on(s, "n1"), 5);
    assertEquals(List.of("a", "b"), assertInstanceOf(JobEvent.TasksRequeued.class, events.get(0)).taskIds());
    assertInstanceOf(JobEvent.JobTaskReset.class, events.get(1));
    assertEquals(List.of(), Reconciliation.lost(s, "n3", List.of(), 5));
  }

  @Test
  void onlyNodesThatDidNotComeBackLoseTheirTasks() {
    JobRecord s = job();
    List<TaskRecord> running = List.copyOf(s.allTasks());
    List<JobEvent> events = Reconciliation.notReturned(s, running, Set.of("n1"), 9);
    JobEvent.TasksRequeued requeued = assertInstanceOf(JobEvent.TasksRequeued.class, events.get(0));
    assertEquals(List.of("a", "b"), requeued.taskIds());
    assertEquals("CoordinatorRestart", requeued.reason());
    assertEquals("n1", assertInstanceOf(JobEvent.JobTaskReset.class, events.get(1)).nodeId());
    assertEquals(List.of(), Reconciliation.notReturned(s, running, Set.of(), 9));
  }

  @Test
  void multiInstanceTasksStartAgainAfterARestart() {
    JobRecord s = job().apply(new JobEvent.TasksAdded(List.of(TaskSpec.newBuilder().setId("mpi").setCommandLine("x")
            .setMultiInstanceSettings(MultiInstanceSettings.newBuilder().setNumberOfInstances(2)).build()), 4))
        .apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("mpi", "n2", 1, "d/mpi")), 5));
    List<JobEvent> events = Reconciliation.restartGangs(List.copyOf(s.allTasks()), 6);
    assertEquals(List.of("mpi"), assertInstanceOf(JobEvent.TasksRequeued.class, events.get(0)).taskIds());
    assertEquals(List.of(), Reconciliation.restartGangs(on(s, "n1"), 6));
  }
}
