package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.spec.ExitCodeMapping;
import io.batchgrid.protocol.spec.ExitConditions;
import io.batchgrid.protocol.spec.ExitOptions;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.TaskSpec;

/** Which tasks stop and how, and how the job ends, decided over job records built from events (no actor system). */
class EndingsTest {
  private static TaskSpec task(String id, int slots) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("/bin/true").setRequiredSlots(slots).build();
  }

  /** Tasks old (running since 3), young (running since 4, 2 slots) and queued. */
  private static JobRecord job(JobSpec.Builder spec) {
    return JobRecord.empty().apply(new JobEvent.JobCreated(spec.setId("J").setPoolId("p").build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(task("old", 1), task("young", 2), task("queued", 4)), 2))
        .apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("old", "n1", 1, "d/old")), 3))
        .apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("young", "n2", 1, "d/young")), 4));
  }

  private static JobRecord job() {
    return job(JobSpec.newBuilder());
  }

  private static List<Class<?>> kinds(List<JobEvent> events) {
    return events.stream().<Class<?>>map(Object::getClass).toList();
  }

  private static List<String> ids(List<TaskRecord> tasks) {
    return tasks.stream().map(TaskRecord::id).toList();
  }

  @Test
  void terminatingEndsTheRunningTasksAndCompletesAJobWithoutReleases() {
    Endings.Stop end = Endings.terminate(job(), "UserTerminate", 9);
    assertEquals(List.of(JobEvent.JobTerminating.class, JobEvent.TaskTerminated.class, JobEvent.TaskTerminated.class,
        JobEvent.JobCompleted.class), kinds(end.events()));
    assertEquals(List.of("old", "young"), ids(end.stop()));
    assertEquals(Endings.ENDED_WITH_JOB, ((JobEvent.TaskTerminated) end.events().get(1)).failureInfo());
  }

  @Test
  void aJobWithReleasesStaysTerminatingAndAnActiveOneBeingDeletedRunsThemToo() {
    JobRecord s = job(JobSpec.newBuilder()
        .setJobPreparationTask(JobTaskSpec.newBuilder().setId("prep").setCommandLine("/bin/true"))
        .setJobReleaseTask(JobTaskSpec.newBuilder().setId("rel").setCommandLine("/bin/true")))
        .apply(new JobEvent.JobTaskStarted(JobTaskKind.PREPARATION, "p", "n1", 1, 2))
        .apply(new JobEvent.JobTaskFinished(JobTaskKind.PREPARATION, "n1", new TaskOutcome("prep", 1, 0, 2, 3, null), 3));
    List<JobEvent> terminate = Endings.terminate(s, "UserTerminate", 9).events();
    assertInstanceOf(JobEvent.JobTaskStarted.class, terminate.get(terminate.size() - 1));
    List<JobEvent> delete = Endings.delete(s, 9).events();
    assertEquals(List.of(JobEvent.JobDeleting.class, JobEvent.TaskTerminated.class, JobEvent.TaskTerminated.class,
        JobEvent.JobTaskStarted.class), kinds(delete));
    // A completed job ran its releases when it completed: deleting it runs none.
    s.apply(new JobEvent.JobCompleted("done", 10));
    assertEquals(List.of(JobEvent.JobDeleting.class, JobEvent.TaskTerminated.class, JobEvent.TaskTerminated.class),
        kinds(Endings.delete(s, 11).events()));
  }

  @Test
  void disablingRequeuesByDefaultTerminatesOnRequestAndLetsTasksFinishWhenAskedToWait() {
    Endings.Stop requeue = Endings.disable(job(), null, 9);
    assertEquals(List.of(JobEvent.JobDisabled.class, JobEvent.TasksRequeued.class), kinds(requeue.events()));
    assertEquals("requeue", ((JobEvent.JobDisabled) requeue.events().get(0)).disableTasks());
    Endings.Stop terminate = Endings.disable(job(), "Terminate", 9);
    assertEquals(Endings.ENDED_WITH_JOB_DISABLED, ((JobEvent.TaskTerminated) terminate.events().get(1)).failureInfo());
    Endings.Stop wait = Endings.disable(job(), "wait", 9);
    assertEquals(List.of(JobEvent.JobDisabled.class), kinds(wait.events()));
    assertEquals(List.of(), wait.stop());
  }

  @Test
  void preemptionStopsTheNewestTasksWorthTheSlotsAskedFor() {
    Endings.Stop one = Endings.preempt(job(), 1, 9);
    assertEquals(List.of("young"), ids(one.stop()));
    JobEvent.TasksRequeued requeued = (JobEvent.TasksRequeued) one.events().get(0);
    assertEquals(Endings.PREEMPTED, requeued.reason());
    assertEquals(List.of("young", "old"), ids(Endings.preempt(job(), 3, 9).stop()));
    JobRecord idle = JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p").build(), 1));
    assertEquals(List.of(), Endings.preempt(idle, 1, 9).events());
  }

  @Test
  void aDisabledNodesTasksFailOrGoBackToTheQueue() {
    JobRecord s = job();
    List<TaskRecord> there = List.of(s.task("old"));
    assertEquals(Endings.ENDED_WITH_NODE_DISABLED,
        ((JobEvent.TaskTerminated) Endings.nodeDisabled(there, "terminate", 9).events().get(0)).failureInfo());
    assertEquals(List.of("old"), ((JobEvent.TasksRequeued) Endings.nodeDisabled(there, "requeue", 9).events().get(0)).taskIds());
  }

  @Test
  void queuedTasksThatNeedMoreSlotsThanANodeHasFail() {
    List<JobEvent> events = Endings.tooBig(job(), "p", 3, 9);
    assertEquals(1, events.size());
    JobEvent.TaskTerminated t = (JobEvent.TaskTerminated) events.get(0);
    assertEquals("queued", t.taskId());
    assertEquals("TaskRequiredSlotsExceedNodeSlots", t.failureInfo().code());
    assertEquals(List.of(), Endings.tooBig(job(), "p", 4, 9));
  }

  @Test
  void terminateOutranksDisableAmongTheCompletedTasksExitOptions() {
    JobSpec.Builder spec = JobSpec.newBuilder().setOnTaskFailure("performExitOptionsJobAction");
    JobRecord s = JobRecord.empty().apply(new JobEvent.JobCreated(spec.setId("J").setPoolId("p").build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(exiting("d", 2, "disable"), exiting("t", 3, "terminate"),
            exiting("ok", 0, "none")), 2))
        .apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("d", "n", 1, "x"), new TaskDispatch("t", "n", 1, "y"),
            new TaskDispatch("ok", "n", 1, "z")), 3));
    TaskOutcome d = new TaskOutcome("d", 1, 2, 3, 4, null);
    TaskOutcome t = new TaskOutcome("t", 1, 3, 3, 4, null);
    TaskOutcome ok = new TaskOutcome("ok", 1, 0, 3, 4, null);
    s.apply(new JobEvent.TasksFinished("n", List.of(d, t, ok), 4));
    assertEquals("disable", Endings.jobAction(s, List.of(ok, d)));
    assertEquals("terminate", Endings.jobAction(s, List.of(d, t)));
    assertEquals("none", Endings.jobAction(s, List.of(ok)));
    JobRecord ignoring = JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p")
        .setOnTaskFailure("noaction").build(), 1));
    assertEquals("none", Endings.jobAction(ignoring, List.of(t)));
  }

  private static TaskSpec exiting(String id, int code, String action) {
    return task(id, 1).toBuilder().setExitConditions(ExitConditions.newBuilder().addExitCodes(ExitCodeMapping.newBuilder()
        .setCode(code).setExitOptions(ExitOptions.newBuilder().setJobAction(action)))).build();
  }
}
