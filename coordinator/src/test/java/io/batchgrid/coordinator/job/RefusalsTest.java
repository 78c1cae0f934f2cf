package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.TaskSpec;

/** Which error the job answers a request with, by its state and conditions (no actor system). */
class RefusalsTest {
  private static JobRecord job() {
    return JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p").build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(TaskSpec.newBuilder().setId("t").setCommandLine("x").build()), 2));
  }

  @Test
  void aWriteNeedsTheJobItsConditionsAndAStateThatAllowsIt() {
    assertEquals(ErrorCode.JOB_NOT_FOUND,
        Refusals.jobWrite(JobRecord.empty(), Precondition.NONE, Refusals.CHANGEABLE).code());
    JobRecord s = job();
    assertNull(Refusals.jobWrite(s, Precondition.NONE, Refusals.CHANGEABLE));
    Precondition stale = Precondition.ifMatch("\"0x0\"");
    assertEquals(ErrorCode.CONDITION_NOT_MET, Refusals.jobWrite(s, stale, Refusals.CHANGEABLE).code());
    s.apply(new JobEvent.JobDisabled("requeue", 3));
    assertEquals(ErrorCode.JOB_NOT_ACTIVE, Refusals.jobWrite(s, Precondition.NONE, Set.of(JobState.ACTIVE)).code());
    s.apply(new JobEvent.JobTerminating("x", 4));
    assertEquals(ErrorCode.JOB_BEING_TERMINATED, Refusals.jobWrite(s, Precondition.NONE, Refusals.CHANGEABLE).code());
    s.apply(new JobEvent.JobCompleted("x", 5));
    assertEquals(ErrorCode.JOB_COMPLETED, Refusals.jobWrite(s, Precondition.NONE, Refusals.RUNNABLE).code());
    s.apply(new JobEvent.JobDeleting(6));
    assertEquals(ErrorCode.JOB_BEING_DELETED, Refusals.exists(s).code());
    assertEquals(ErrorCode.JOB_EXISTS, Refusals.exists(job()).code());
  }

  @Test
  void aTaskRequestNeedsTheTaskAndItsOwnConditions() {
    JobRecord s = job();
    assertNull(Refusals.task(s, "T", Precondition.NONE));
    assertEquals(ErrorCode.TASK_NOT_FOUND, Refusals.task(s, "u", Precondition.NONE).code());
    assertEquals(ErrorCode.JOB_NOT_FOUND, Refusals.task(JobRecord.empty(), "t", Precondition.NONE).code());
    assertEquals(ErrorCode.CONDITION_NOT_MET, Refusals.task(s, "t", Precondition.ifMatch("\"0x0\"")).code());
  }

  @Test
  void onlyAFailedTaskIsReactivatedAndOnlyAnUnfinishedOneUpdated() {
    JobRecord s = job();
    assertEquals(ErrorCode.TASK_NOT_REACTIVATABLE, Refusals.reactivation(s, s.task("t")).code());
    assertNull(Refusals.taskUpdate(s, s.task("t")));
    s.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("t", "n", 1, "d")), 3))
        .apply(new JobEvent.TasksFinished("n", List.of(new TaskOutcome("t", 1, 1, 3, 4, null)), 4));
    assertNull(Refusals.reactivation(s, s.task("t")));
    assertEquals(ErrorCode.TASK_COMPLETED, Refusals.taskUpdate(s, s.task("t")).code());
    s.apply(new JobEvent.JobTerminating("x", 5));
    assertEquals(ErrorCode.JOB_BEING_TERMINATED, Refusals.reactivation(s, s.task("t")).code());
  }

  @Test
  void thePreparationStatusNeedsAPreparationTask() {
    assertEquals(ErrorCode.JOB_PREPARATION_TASK_NOT_SPECIFIED, Refusals.preparationStatus(job()).code());
    JobRecord prepared = JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p")
        .setJobPreparationTask(JobTaskSpec.newBuilder().setId("prep").setCommandLine("x")).build(), 1));
    assertNull(Refusals.preparationStatus(prepared));
  }
}
