package io.batchgrid.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.node.InProcessNodeProvider;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskCounts;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.pool.AllocationState;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.PoolSpec;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * Pools, jobs and in-process nodes together in one cluster member, running real processes: tasks
 * are placed on slots, run, and are counted exactly once.
 */
class SchedulingIntegrationTest {
  private static final Duration ASK = Duration.ofSeconds(10);
  private static Path dir;
  private static final ActorTestKit testKit;

  static {
    try {
      dir = Files.createTempDirectory("batchgrid-scheduling");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    testKit = ActorTestKit.create("SchedulingIntegrationTest", TestCluster.config(dir.resolve("snapshots")));
    TestCluster.join(testKit.system());
    CoordinatorRole.start(testKit.system(),
        InProcessNodeProvider.start(testKit.system(), dir.resolve("nodes"), "acct", null));
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(ASK.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
  }

  private static void createPool(String id, int nodes, int slots) throws Exception {
    await(PoolEntity.ref(testKit.system(), id).<PoolEntity.PoolView>askWithStatus(r -> new PoolEntity.Create(PoolSpec.newBuilder()
        .setId(id).setVmSize("standard_a1").setTargetDedicatedNodes(nodes).setTaskSlotsPerNode(slots).build(), r), ASK));
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), () -> {
      try {
        PoolEntity.PoolView v = await(PoolEntity.ref(testKit.system(), id).askWithStatus(PoolEntity.Get::new, ASK));
        assertEquals(AllocationState.STEADY, v.record().allocationState());
        return null;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  private static TaskCounts counts(String jobId) throws Exception {
    JobSummary s = await(JobEntity.ref(testKit.system(), jobId).askWithStatus(JobEntity.Get::new, ASK));
    return s.taskCounts();
  }

  @Test
  void twoHundredTasksOnTwoNodesCompleteOnceEach() throws Exception {
    createPool("pool-a", 2, 2);
    await(JobEntity.ref(testKit.system(), "job-a").<JobSummary>askWithStatus(r -> new JobEntity.Create(
        JobSpec.newBuilder().setId("job-a").setPoolId("pool-a").build(), r), ASK));
    for (int batch = 0; batch < 2; batch++) {
      List<TaskSpec> tasks = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        String id = "t" + (batch * 100 + i);
        tasks.add(TaskSpec.newBuilder().setId(id).setCommandLine("/bin/sh -c 'echo $AZ_BATCH_TASK_ID'").build());
      }
      List<JobEntity.AddTaskResult> results = await(JobEntity.ref(testKit.system(), "job-a")
          .<List<JobEntity.AddTaskResult>>askWithStatus(r -> new JobEntity.AddTasks(tasks, r), ASK));
      assertTrue(results.stream().allMatch(r -> r.error() == null));
    }
    TestCluster.eventually(testKit, Duration.ofSeconds(60), () -> {
      assertEquals(new TaskCounts(0, 0, 200, 200, 0), counts("job-a"));
    });
    TaskRecord t = await(JobEntity.ref(testKit.system(), "job-a").<TaskRecord>askWithStatus(r -> new JobEntity.GetTask("t42", r), ASK));
    assertEquals(0, t.exitCode());
    assertEquals(1, t.attempt());
    assertNotNull(t.nodeId());
    Path stdout = dir.resolve("nodes").resolve(t.nodeId()).resolve(t.taskRootDirectory()).resolve("stdout.txt");
    assertEquals("t42\n", Files.readString(stdout));
  }

  @Test
  void aFailingTaskIsRetriedThenReportedAsFailed() throws Exception {
    createPool("pool-b", 1, 1);
    await(JobEntity.ref(testKit.system(), "job-b").<JobSummary>askWithStatus(r -> new JobEntity.Create(
        JobSpec.newBuilder().setId("job-b").setPoolId("pool-b").build(), r), ASK));
    TaskSpec failing = TaskSpec.newBuilder().setId("f").setCommandLine("/bin/sh -c 'exit 3'")
        .setConstraints(TaskConstraints.newBuilder().setMaxTaskRetryCount(2)).build();
    await(JobEntity.ref(testKit.system(), "job-b").<List<JobEntity.AddTaskResult>>askWithStatus(r -> new JobEntity.AddTasks(List.of(failing), r), ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> {
      assertEquals(new TaskCounts(0, 0, 1, 0, 1), counts("job-b"));
    });
    TaskRecord t = await(JobEntity.ref(testKit.system(), "job-b").<TaskRecord>askWithStatus(r -> new JobEntity.GetTask("f", r), ASK));
    assertEquals(3, t.exitCode());
    assertEquals(2, t.retryCount());
    assertEquals("failure", t.result());
  }

  @Test
  void twoJobsShareOnePool() throws Exception {
    createPool("pool-c", 1, 2);
    for (String job : List.of("job-c1", "job-c2")) {
      await(JobEntity.ref(testKit.system(), job).<JobSummary>askWithStatus(r -> new JobEntity.Create(
          JobSpec.newBuilder().setId(job).setPoolId("pool-c").build(), r), ASK));
      List<TaskSpec> tasks = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        tasks.add(TaskSpec.newBuilder().setId("t" + i).setCommandLine("/bin/true").build());
      }
      await(JobEntity.ref(testKit.system(), job).<List<JobEntity.AddTaskResult>>askWithStatus(r -> new JobEntity.AddTasks(tasks, r), ASK));
    }
    TestCluster.eventually(testKit, Duration.ofSeconds(60), () -> {
      assertEquals(new TaskCounts(0, 0, 30, 30, 0), counts("job-c1"));
      assertEquals(new TaskCounts(0, 0, 30, 30, 0), counts("job-c2"));
    });
  }

  @Test
  void aChainOfDependentTasksRunsInOrder() throws Exception {
    createPool("pool-d", 2, 2);
    await(JobEntity.ref(testKit.system(), "job-d").<JobSummary>askWithStatus(r -> new JobEntity.Create(
        JobSpec.newBuilder().setId("job-d").setPoolId("pool-d").setUsesTaskDependencies(true).build(), r), ASK));
    List<TaskSpec> chain = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      TaskSpec.Builder t = TaskSpec.newBuilder().setId("link-" + i).setCommandLine("/bin/true");
      if (i > 0) {
        t.setDependsOn(io.batchgrid.protocol.spec.TaskDependencies.newBuilder().addTaskIds("link-" + (i - 1)));
      }
      chain.add(0, t.build()); // added last-first: every task but the head waits when it arrives
    }
    await(JobEntity.ref(testKit.system(), "job-d").<List<JobEntity.AddTaskResult>>askWithStatus(
        r -> new JobEntity.AddTasks(chain, r), ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> {
      assertEquals(new TaskCounts(0, 0, 20, 20, 0), counts("job-d"));
    });
    long previousEnd = 0;
    for (int i = 0; i < 20; i++) {
      String id = "link-" + i;
      TaskRecord t = await(JobEntity.ref(testKit.system(), "job-d").<TaskRecord>askWithStatus(r -> new JobEntity.GetTask(id, r), ASK));
      assertTrue(t.startTimeMs() >= previousEnd, id + " started before its dependency ended");
      previousEnd = t.endTimeMs();
    }
  }

  @Test
  void dependenciesNeedAJobThatUsesThem() throws Exception {
    await(JobEntity.ref(testKit.system(), "job-nodeps").<JobSummary>askWithStatus(r -> new JobEntity.Create(
        JobSpec.newBuilder().setId("job-nodeps").setPoolId("pool-none").build(), r), ASK));
    TaskSpec t = TaskSpec.newBuilder().setId("x").setCommandLine("/bin/true")
        .setDependsOn(io.batchgrid.protocol.spec.TaskDependencies.newBuilder().addTaskIds("y")).build();
    List<JobEntity.AddTaskResult> results = await(JobEntity.ref(testKit.system(), "job-nodeps")
        .<List<JobEntity.AddTaskResult>>askWithStatus(r -> new JobEntity.AddTasks(List.of(t), r), ASK));
    assertEquals(io.batchgrid.protocol.ErrorCode.TASK_DEPENDENCIES_NOT_SPECIFIED_ON_JOB, results.get(0).error().code());
  }

  @Test
  void aTaskThatNeedsMoreSlotsThanANodeHasFailsInsteadOfWaiting() throws Exception {
    createPool("pool-small", 1, 2);
    await(JobEntity.ref(testKit.system(), "job-big").<JobSummary>askWithStatus(r -> new JobEntity.Create(
        JobSpec.newBuilder().setId("job-big").setPoolId("pool-small").build(), r), ASK));
    await(JobEntity.ref(testKit.system(), "job-big").<List<JobEntity.AddTaskResult>>askWithStatus(r -> new JobEntity.AddTasks(List.of(
        TaskSpec.newBuilder().setId("big").setCommandLine("/bin/true").setRequiredSlots(3).build(),
        TaskSpec.newBuilder().setId("fits").setCommandLine("/bin/true").setRequiredSlots(2).build()), r), ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(20), () ->
        assertEquals(new TaskCounts(0, 0, 2, 1, 1), counts("job-big")));
    TaskRecord big = await(JobEntity.ref(testKit.system(), "job-big").<TaskRecord>askWithStatus(r -> new JobEntity.GetTask("big", r), ASK));
    assertEquals("TaskRequiredSlotsExceedNodeSlots", big.failureInfo().code());
  }

  private static TaskRecord task(String jobId, String taskId) throws Exception {
    return await(JobEntity.ref(testKit.system(), jobId).<TaskRecord>askWithStatus(r -> new JobEntity.GetTask(taskId, r), ASK));
  }

  private static void createJob(String id, String pool, int priority, boolean allowPreemption, TaskSpec... tasks) throws Exception {
    await(JobEntity.ref(testKit.system(), id).<JobSummary>askWithStatus(r -> new JobEntity.Create(JobSpec.newBuilder()
        .setId(id).setPoolId(pool).setPriority(priority).setAllowTaskPreemption(allowPreemption).build(), r), ASK));
    await(JobEntity.ref(testKit.system(), id).<List<JobEntity.AddTaskResult>>askWithStatus(
        r -> new JobEntity.AddTasks(List.of(tasks), r), ASK));
  }

  /** Waits until the task's process has really started (it creates {@code ran} in its working directory). */
  private static void awaitStarted(String jobId, String taskId) {
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> {
      TaskRecord t = task(jobId, taskId);
      assertNotNull(t.nodeId());
      assertTrue(Files.exists(dir.resolve("nodes").resolve(t.nodeId()).resolve(t.taskRootDirectory()).resolve("wd/ran")));
    });
  }

  /** Its first attempt runs for ten minutes; a later one (the working directory is kept) ends at once. */
  private static TaskSpec longFirstAttempt(String id) {
    return TaskSpec.newBuilder().setId(id).setCommandLine(
        "/bin/sh -c 'if [ -e ran ]; then echo again; exit 0; fi; touch ran; echo first; exec sleep 600'").build();
  }

  @Test
  void aHigherPriorityJobPreemptsTheTaskOfAJobThatAllowsIt() throws Exception {
    createPool("pool-preempt", 1, 1);
    createJob("job-lenient", "pool-preempt", -100, true, longFirstAttempt("long"));
    awaitStarted("job-lenient", "long");
    createJob("job-urgent", "pool-preempt", 100, false, TaskSpec.newBuilder().setId("now").setCommandLine("/bin/true").build());

    // The urgent task runs on the only slot; the preempted one runs again after it, without
    // spending a retry, and is counted once.
    TestCluster.eventually(testKit, Duration.ofSeconds(60), () -> {
      assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("job-urgent"));
      assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("job-lenient"));
    });
    TaskRecord preempted = task("job-lenient", "long");
    assertEquals(1, preempted.requeueCount());
    assertEquals(0, preempted.retryCount());
    assertEquals(2, preempted.attempt());
    assertEquals(0, preempted.exitCode());
    assertEquals("again\n", Files.readString(
        dir.resolve("nodes").resolve(preempted.nodeId()).resolve(preempted.taskRootDirectory()).resolve("stdout.txt")));
    TaskRecord urgent = task("job-urgent", "now");
    assertTrue(urgent.startTimeMs() <= preempted.startTimeMs(), "the preempted task ran again after the urgent one");
  }

  @Test
  void aJobThatDoesNotAllowPreemptionKeepsItsSlotUntilItsTaskEnds() throws Exception {
    createPool("pool-keep", 1, 1);
    createJob("job-strict", "pool-keep", -100, false, TaskSpec.newBuilder().setId("short")
        .setCommandLine("/bin/sh -c 'touch ran; sleep 2'").build());
    awaitStarted("job-strict", "short");
    createJob("job-waits", "pool-keep", 100, false, TaskSpec.newBuilder().setId("next").setCommandLine("/bin/true").build());
    TestCluster.eventually(testKit, Duration.ofSeconds(60), () -> {
      assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("job-waits"));
      assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("job-strict"));
    });
    TaskRecord strict = task("job-strict", "short");
    assertEquals(0, strict.requeueCount());
    assertEquals(1, strict.attempt());
    assertTrue(task("job-waits", "next").startTimeMs() >= strict.endTimeMs(), "the urgent task waited for the slot");
  }

  @Test
  void aJobOfEqualPriorityGetsItsTurnWhileAnotherStillHasWork() throws Exception {
    createPool("pool-turns", 1, 2);
    TaskSpec[] many = new TaskSpec[40];
    for (int i = 0; i < many.length; i++) {
      many[i] = TaskSpec.newBuilder().setId("a" + i).setCommandLine("/bin/sh -c 'touch ran; sleep 0.2'").build();
    }
    createJob("job-first", "pool-turns", 0, false, many);
    awaitStarted("job-first", "a0");
    createJob("job-second", "pool-turns", 0, false,
        TaskSpec.newBuilder().setId("b0").setCommandLine("/bin/true").build(),
        TaskSpec.newBuilder().setId("b1").setCommandLine("/bin/true").build());
    TestCluster.eventually(testKit, Duration.ofSeconds(90), () -> {
      assertEquals(new TaskCounts(0, 0, 40, 40, 0), counts("job-first"));
      assertEquals(new TaskCounts(0, 0, 2, 2, 0), counts("job-second"));
    });
    long firstDone = 0;
    for (int i = 0; i < many.length; i++) {
      firstDone = Math.max(firstDone, task("job-first", "a" + i).endTimeMs());
    }
    // The second job held no slot while the first had work for both: it was served in turn, not
    // after the first job ran out of tasks.
    assertTrue(task("job-second", "b0").endTimeMs() < firstDone, "job-second waited for job-first to finish");
    assertTrue(task("job-second", "b1").endTimeMs() < firstDone, "job-second waited for job-first to finish");
  }
}
