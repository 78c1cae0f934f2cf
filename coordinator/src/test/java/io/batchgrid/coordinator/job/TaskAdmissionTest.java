package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.TaskDependencies;
import io.batchgrid.protocol.spec.TaskIdRange;
import io.batchgrid.protocol.spec.TaskSpec;

/** Which tasks a job takes, each on its own, and paging through them (no actor system). */
class TaskAdmissionTest {
  private static JobRecord job(boolean usesDependencies) {
    return JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p")
        .setUsesTaskDependencies(usesDependencies)
        .setJobPreparationTask(JobTaskSpec.newBuilder().setId("prep").setCommandLine("/bin/true")).build(), 1));
  }

  private static TaskSpec task(String id) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("/bin/true").build();
  }

  private static TaskSpec dependent(String id, TaskDependencies.Builder on) {
    return task(id).toBuilder().setDependsOn(on).build();
  }

  private static List<ErrorCode> codes(TaskAdmission.Admitted a) {
    return a.errors().stream().map(e -> e == null ? null : e.code()).toList();
  }

  @Test
  void eachTaskIsRefusedAloneAndTheRestAreTaken() {
    JobRecord s = job(false).apply(new JobEvent.TasksAdded(List.of(task("a")), 2));
    TaskAdmission.Admitted a = TaskAdmission.admit(s, List.of(task("A"), task("b"), task("B"), task("PREP"),
        dependent("c", TaskDependencies.newBuilder().addTaskIds("b")), task("d")));
    assertEquals(Arrays.asList(ErrorCode.TASK_EXISTS, null, ErrorCode.TASK_EXISTS,
        ErrorCode.TASK_ID_SAME_AS_JOB_PREPARATION_TASK, ErrorCode.TASK_DEPENDENCIES_NOT_SPECIFIED_ON_JOB, null), codes(a));
    assertEquals(List.of("b", "d"), a.accepted().stream().map(TaskSpec::getId).toList());
  }

  @Test
  void dependenciesMustBeWellFormedAndWithinTheLimits() {
    JobRecord s = job(true);
    assertNull(TaskAdmission.dependencyError(s, dependent("x", TaskDependencies.newBuilder().addTaskIds("a")
        .addTaskIdRanges(TaskIdRange.newBuilder().setStart(1).setEnd(10)))));
    assertNull(TaskAdmission.dependencyError(s, dependent("x", TaskDependencies.newBuilder())));
    BatchException backwards = TaskAdmission.dependencyError(s, dependent("x", TaskDependencies.newBuilder()
        .addTaskIdRanges(TaskIdRange.newBuilder().setStart(5).setEnd(4))));
    assertEquals(ErrorCode.INVALID_PROPERTY_VALUE, backwards.code());
    BatchException tooMany = TaskAdmission.dependencyError(s, dependent("x", TaskDependencies.newBuilder()
        .addTaskIdRanges(TaskIdRange.newBuilder().setStart(0).setEnd((int) TaskAdmission.MAX_DEPENDENCIES))));
    assertEquals(ErrorCode.TASK_DEPENDENCY_LIST_TOO_LONG, tooMany.code());
    BatchException tooLong = TaskAdmission.dependencyError(s, dependent("x", TaskDependencies.newBuilder()
        .addTaskIds("i".repeat(TaskAdmission.MAX_DEPENDENCY_ID_CHARS + 1))));
    assertEquals(ErrorCode.TASK_DEPENDENCY_LIST_TOO_LONG, tooLong.code());
  }

  @Test
  void pagesFollowTheIdOrderAndEndWithoutANextKey() {
    JobRecord s = job(false).apply(new JobEvent.TasksAdded(List.of(task("c"), task("a"), task("b")), 2));
    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      JobEntity.TaskPage page = TaskAdmission.page(s, after, 2);
      page.tasks().stream().map(TaskRecord::id).forEach(seen::add);
      after = page.nextKey();
      pages++;
    } while (after != null);
    assertEquals(List.of("a", "b", "c"), seen);
    assertEquals(2, pages);
    assertEquals(1, TaskAdmission.page(s, null, 0).tasks().size());
  }
}
