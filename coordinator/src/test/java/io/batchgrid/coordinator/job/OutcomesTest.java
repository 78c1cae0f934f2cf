package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.SubtaskRecord;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.MultiInstanceSettings;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * A node's report sorted into what counts, and a multi-instance task's coordination through
 * {@link MultiInstanceRuns}: without an actor system (the instances' agents are not needed to decide).
 */
class OutcomesTest {
  private static TaskSpec task(String id, int slots) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("/bin/true").setRequiredSlots(slots).build();
  }

  private static TaskSpec gang(String id) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("mpirun app")
        .setMultiInstanceSettings(MultiInstanceSettings.newBuilder().setNumberOfInstances(3)
            .setCoordinationCommandLine("setup")).build();
  }

  private static JobRecord job() {
    return JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p").build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(task("a", 1), task("b", 2), gang("mpi")), 2))
        .apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("a", "n1", 1, "d/a"),
            new TaskDispatch("b", "n1", 1, "d/b"), new TaskDispatch("mpi", "n1", 1, "d/mpi")), 3));
  }

  /** The gang of "mpi" attempt 1 on n1 (primary), n2, n3. */
  private static MultiInstanceRuns gangs(JobRecord s) {
    MultiInstanceRuns gangs = new MultiInstanceRuns();
    gangs.start("J", "mpi", 1, s.task("mpi").spec(), List.of(), "", List.of("n1", "n2", "n3"),
        Arrays.asList(null, null, null), 3);
    return gangs;
  }

  private static TaskOutcome coordinated(int instance, int exitCode) {
    return new TaskOutcome("mpi", 1, exitCode, 4, 5, null, instance);
  }

  @Test
  void eachCurrentOutcomeCountsOnceAndFreesItsSlots() {
    JobRecord s = job();
    TaskOutcome a = new TaskOutcome("A", 1, 0, 3, 4, null);
    TaskOutcome b = new TaskOutcome("b", 1, 1, 3, 4, null);
    TaskOutcome staleB = new TaskOutcome("b", 0, 0, 3, 4, null);
    TaskOutcome unknown = new TaskOutcome("zz", 1, 0, 3, 4, null);
    Outcomes.Intake intake = Outcomes.sort(s, List.of(a, staleB, b, a, unknown), new MultiInstanceRuns());
    assertEquals(List.of(a, b), intake.current());
    assertEquals(Map.of("n1", 3), intake.freed());
    List<JobEvent> events = Outcomes.finished(s, "n1", intake.current(), new MultiInstanceRuns(), 9);
    assertEquals(1, events.size());
    assertEquals(List.of(a, b), assertInstanceOf(JobEvent.TasksFinished.class, events.get(0)).outcomes());
    assertEquals(List.of(), Outcomes.finished(s, "n1", List.of(), new MultiInstanceRuns(), 9));
  }

  @Test
  void theApplicationStartsOnceEveryInstanceCoordinatedAndTheTaskEndsWithIt() {
    JobRecord s = job();
    MultiInstanceRuns gangs = gangs(s);
    Outcomes.Intake first = Outcomes.sort(s, List.of(coordinated(0, 0), coordinated(2, 0)), gangs);
    assertEquals(List.of(), first.current());
    assertEquals(List.of(), first.starts());
    // The running subtasks show what has coordinated so far.
    List<SubtaskRecord> live = gangs.subtasks("mpi");
    assertNull(live.get(0).exitCode());
    assertEquals(0, live.get(1).exitCode());

    Outcomes.Intake last = Outcomes.sort(s, List.of(coordinated(1, 0), coordinated(1, 0)), gangs);
    assertEquals(1, last.starts().size());
    assertTrue(last.starts().get(0).launch().instance().application());

    TaskOutcome done = new TaskOutcome("mpi", 1, 0, 4, 8, null);
    Outcomes.Intake end = Outcomes.sort(s, List.of(done), gangs);
    assertEquals(List.of(done), end.current());
    List<JobEvent> events = Outcomes.finished(s, "n1", end.current(), gangs, 9);
    JobEvent.SubtasksRecorded subtasks = assertInstanceOf(JobEvent.SubtasksRecorded.class, events.get(1));
    assertEquals(List.of(1, 2), subtasks.subtasks().stream().map(SubtaskRecord::id).toList());
    assertTrue(subtasks.subtasks().stream().allMatch(x -> x.completed() && "success".equals(x.result())));
  }

  @Test
  void aFailedCoordinationEndsTheTaskWithItsExitCodeAndItsSubtaskFails() {
    JobRecord s = job();
    MultiInstanceRuns gangs = gangs(s);
    Outcomes.Intake intake = Outcomes.sort(s, List.of(coordinated(2, 7)), gangs);
    assertEquals(1, intake.current().size());
    TaskOutcome ended = intake.current().get(0);
    assertEquals("mpi", ended.taskId());
    assertEquals(7, ended.exitCode());
    assertEquals(TaskOutcome.TASK, ended.instance());
    assertEquals(Map.of("n1", 1), intake.freed());
    List<SubtaskRecord> subtasks = ((JobEvent.SubtasksRecorded) Outcomes.finished(s, "n1", intake.current(), gangs, 9)
        .get(1)).subtasks();
    assertEquals("failure", subtasks.get(1).result());
    assertEquals("FailureExitCode", subtasks.get(1).failureInfo().code());
    assertNull(subtasks.get(0).exitCode()); // never coordinated
  }

  @Test
  void coordinationOfAnAttemptNoLongerCurrentIsIgnored() {
    JobRecord s = job();
    MultiInstanceRuns gangs = gangs(s);
    TaskOutcome old = new TaskOutcome("mpi", 0, 9, 4, 5, null, 1);
    Outcomes.Intake intake = Outcomes.sort(s, List.of(old), gangs);
    assertEquals(List.of(), intake.current());
    assertNull(gangs.subtasks("mpi").get(0).exitCode());
  }
}
