package io.batchgrid.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.TaskCounts;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.spec.JobConstraints;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskSpec;

class JobRecordTest {
  private static TaskSpec task(String id) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("true").build();
  }

  private static JobRecord job(JobSpec spec, TaskSpec... tasks) {
    return JobRecord.empty().apply(new JobEvent.JobCreated(spec, 1)).apply(new JobEvent.TasksAdded(List.of(tasks), 2));
  }

  private static List<String> queuedIds(JobRecord r) {
    List<String> ids = new ArrayList<>();
    r.queued().forEachRemaining(t -> ids.add(t.id()));
    return ids;
  }

  @Test
  void anAttemptIsCountedOnceAndStaleReportsAreIgnored() {
    JobRecord r = job(JobSpec.newBuilder().setId("j").setPoolId("p").build(), task("a"), task("b"));
    r = r.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("a", "n1", 1, "d")), 3));
    TaskOutcome ok = new TaskOutcome("a", 1, 0, 3, 4, null);
    r = r.apply(new JobEvent.TasksFinished("n1", List.of(ok), 5));
    r = r.apply(new JobEvent.TasksFinished("n1", List.of(ok), 6)); // the same report again
    assertEquals(new TaskCounts(1, 0, 1, 1, 0), r.taskCounts());
    assertEquals("success", r.task("A").result());
    assertEquals(5, r.task("a").stateTransitionTimeMs());
  }

  @Test
  void aFailingTaskSpendsRetriesThenFails() {
    TaskSpec t = task("a").toBuilder().setConstraints(TaskConstraints.newBuilder().setMaxTaskRetryCount(1)).build();
    JobRecord r = job(JobSpec.newBuilder().setId("j").setPoolId("p").build(), t);
    r = r.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("a", "n", 1, "d")), 3));
    r = r.apply(new JobEvent.TasksFinished("n", List.of(new TaskOutcome("a", 1, 2, 3, 4, null)), 4));
    assertEquals(TaskState.ACTIVE, r.task("a").state());
    assertEquals(1, r.task("a").retryCount());
    assertEquals(List.of("a"), queuedIds(r));
    r = r.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("a", "n", 2, "d")), 5));
    // a late report of the first attempt changes nothing
    r = r.apply(new JobEvent.TasksFinished("n", List.of(new TaskOutcome("a", 1, 0, 3, 4, null)), 6));
    assertEquals(TaskState.RUNNING, r.task("a").state());
    r = r.apply(new JobEvent.TasksFinished("n", List.of(new TaskOutcome("a", 2, 2, 5, 7, null)), 7));
    TaskRecord done = r.task("a");
    assertEquals(TaskState.COMPLETED, done.state());
    assertEquals("failure", done.result());
    assertEquals("FailureExitCode", done.failureInfo().code());
    assertEquals(new TaskCounts(0, 0, 1, 0, 1), r.taskCounts());
  }

  @Test
  void theJobsRetryLimitAppliesWhenTheTaskHasNone() {
    JobSpec spec = JobSpec.newBuilder().setId("j").setPoolId("p")
        .setConstraints(JobConstraints.newBuilder().setMaxTaskRetryCount(3)).build();
    JobRecord r = job(spec, task("a"));
    assertEquals(3, r.maxTaskRetryCount(r.task("a")));
  }

  @Test
  void requeueSpendsNoRetryAndPutsTheTaskFirst() {
    JobRecord r = job(JobSpec.newBuilder().setId("j").setPoolId("p").build(), task("a"), task("b"));
    r = r.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("b", "n", 1, "d")), 3));
    r = r.apply(new JobEvent.TasksRequeued(List.of("b"), "NodeLost", 4));
    assertEquals(0, r.task("b").retryCount());
    assertEquals(1, r.task("b").requeueCount());
    assertEquals(List.of("b", "a"), queuedIds(r));
  }

  @Test
  void aJobWithoutTasksCountsAsComplete() {
    JobRecord r = JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("j").build(), 1));
    assertTrue(r.allTasksComplete());
    r = r.apply(new JobEvent.TasksAdded(List.of(task("x")), 2));
    assertFalse(r.allTasksComplete());
    r = r.apply(new JobEvent.TaskTerminated("x", FailureInfo.user("TaskEnded", "ended"), 3));
    assertTrue(r.allTasksComplete());
    r = r.apply(new JobEvent.JobDeleted(4));
    assertFalse(r.exists());
  }

  private static TaskSpec dependent(String id, String... on) {
    return task(id).toBuilder().setDependsOn(io.batchgrid.protocol.spec.TaskDependencies.newBuilder()
        .addAllTaskIds(List.of(on))).build();
  }

  private static JobRecord finish(JobRecord r, String id, int exitCode) {
    int attempt = r.task(id).attempt() + 1;
    r = r.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch(id, "n", attempt, "d")), 10));
    return r.apply(new JobEvent.TasksFinished("n", List.of(new TaskOutcome(id, attempt, exitCode, 10, 11, null)), 11));
  }

  @Test
  void dependentTasksWaitForTheirDependenciesIncludingOnesNotAddedYet() {
    JobSpec spec = JobSpec.newBuilder().setId("j").setPoolId("p").setUsesTaskDependencies(true).build();
    JobRecord r = job(spec, task("a"), dependent("b", "a", "later"),
        task("c").toBuilder().setDependsOn(io.batchgrid.protocol.spec.TaskDependencies.newBuilder()
            .addTaskIdRanges(io.batchgrid.protocol.spec.TaskIdRange.newBuilder().setStart(1).setEnd(2))).build());
    assertEquals(List.of("a"), queuedIds(r));
    assertTrue(r.isBlocked("b"));
    assertEquals(3, r.taskCounts().active(), "blocked tasks count as active, as in Azure Batch");
    r = finish(r, "a", 0);
    assertEquals(List.of(), queuedIds(r), "b still waits for 'later'");
    r = r.apply(new JobEvent.TasksAdded(List.of(task("later"), task("1"), task("2")), 12));
    r = finish(r, "later", 0);
    assertEquals(List.of("1", "2", "b"), queuedIds(r).stream().sorted().toList());
    r = finish(r, "1", 0);
    r = finish(r, "2", 0);
    assertTrue(queuedIds(r).contains("c"));
  }

  @Test
  void aFailedDependencyBlocksUnlessItsExitConditionsSaySatisfy() {
    JobSpec spec = JobSpec.newBuilder().setId("j").setPoolId("p").setUsesTaskDependencies(true).build();
    TaskSpec satisfying = task("s").toBuilder().setExitConditions(io.batchgrid.protocol.spec.ExitConditions.newBuilder()
        .addExitCodes(io.batchgrid.protocol.spec.ExitCodeMapping.newBuilder().setCode(3)
            .setExitOptions(io.batchgrid.protocol.spec.ExitOptions.newBuilder().setDependencyAction("satisfy")))).build();
    JobRecord r = job(spec, task("f"), satisfying, dependent("after-f", "f"), dependent("after-s", "s"));
    r = finish(r, "f", 1);
    r = finish(r, "s", 3);
    assertEquals(List.of("after-s"), queuedIds(r));
    assertTrue(r.isBlocked("after-f"));
  }

  @Test
  void aSnapshotKeepsTasksBlocked() {
    JobSpec spec = JobSpec.newBuilder().setId("j").setPoolId("p").setUsesTaskDependencies(true).build();
    JobRecord r = job(spec, task("a"), dependent("b", "a"));
    JobRecord restored = JobRecord.restore(r.spec(), r.state(), null, 1, 1, 0, 1, 1, 1, 0, null, r.allTasks());
    assertEquals(List.of("a"), queuedIds(restored));
    restored = finish(restored, "a", 0);
    assertEquals(List.of("b"), queuedIds(restored));
  }

  @Test
  void aReactivatedFailedTaskRunsAgainWithItsRetriesRestored() {
    JobRecord r = job(JobSpec.newBuilder().setId("j").setPoolId("p").build(), task("a"));
    r = finish(r, "a", 5);
    assertEquals("failure", r.task("a").result());
    r = r.apply(new JobEvent.TaskReactivated("a", 20));
    assertEquals(TaskState.ACTIVE, r.task("a").state());
    assertEquals(0, r.task("a").retryCount());
    assertEquals(null, r.task("a").exitCode());
    assertEquals(List.of("a"), queuedIds(r));
    assertEquals(new TaskCounts(1, 0, 0, 0, 0), r.taskCounts());
  }

  private static TaskRecord completed(TaskSpec spec, Integer exitCode, io.batchgrid.protocol.FailureInfo failure) {
    return new TaskRecord(spec, io.batchgrid.protocol.job.TaskState.COMPLETED, null, 1, 2, 1, 2, 3, 1, 0, 0, "n1", null,
        1, 2, exitCode, failure, 0, 0);
  }

  private static io.batchgrid.protocol.spec.ExitOptions action(String jobAction) {
    return io.batchgrid.protocol.spec.ExitOptions.newBuilder().setJobAction(jobAction).build();
  }

  /** Azure's precedence among exitCodes, preProcessingError, fileUploadError and default. */
  @Test
  void exitConditionsApplyInAzuresOrder() {
    JobRecord r = job(JobSpec.newBuilder().setId("j").setPoolId("p").setOnTaskFailure("performexitoptionsjobaction").build());
    TaskSpec spec = TaskSpec.newBuilder().setId("t").setCommandLine("x")
        .setExitConditions(io.batchgrid.protocol.spec.ExitConditions.newBuilder()
            .addExitCodes(io.batchgrid.protocol.spec.ExitCodeMapping.newBuilder().setCode(3).setExitOptions(action("none")))
            .setPreProcessingError(action("disable"))
            .setFileUploadError(action("none"))
            .setDefault(action("terminate")))
        .build();
    io.batchgrid.protocol.FailureInfo download = io.batchgrid.protocol.FailureInfo.user("BlobNotFound", "gone");
    io.batchgrid.protocol.FailureInfo upload = io.batchgrid.protocol.FailureInfo.user("FileUploadMiscError", "403");
    assertEquals("disable", r.jobActionFor(completed(spec, null, download)), "pre-processing error");
    assertEquals("none", r.jobActionFor(completed(spec, 0, upload)), "upload failed after exit 0: fileUploadError");
    assertEquals("none", r.jobActionFor(completed(spec, 3, null)), "a listed exit code");
    assertEquals("terminate", r.jobActionFor(completed(spec, 4, null)), "anything else: default");
    assertEquals("none", r.jobActionFor(completed(spec, 0, null)), "success");

    // A listed exit code wins over fileUploadError; without their own property both failures take default.
    TaskSpec codeWins = spec.toBuilder().setExitConditions(spec.getExitConditions().toBuilder()
        .setExitCodes(0, io.batchgrid.protocol.spec.ExitCodeMapping.newBuilder().setCode(3).setExitOptions(action("disable"))))
        .build();
    assertEquals("disable", r.jobActionFor(completed(codeWins, 3, upload)));
    TaskSpec defaultsOnly = TaskSpec.newBuilder().setId("t").setCommandLine("x")
        .setExitConditions(io.batchgrid.protocol.spec.ExitConditions.newBuilder().setDefault(action("disable"))).build();
    assertEquals("disable", r.jobActionFor(completed(defaultsOnly, null, download)));
    assertEquals("disable", r.jobActionFor(completed(defaultsOnly, 0, upload)));
    // Without exit conditions: terminate after any failure, Azure's default.
    assertEquals("terminate", r.jobActionFor(completed(task("t"), null, download)));
  }
}
