package io.batchgrid.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.batchgrid.coordinator.autoscale.NodeDeallocationOption;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.node.InProcessNodeProvider;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskCounts;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.NodeStatus;
import io.batchgrid.protocol.node.StartTaskInfo;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.PoolSpec;
import io.batchgrid.protocol.spec.StartTaskSpec;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * A compute node's lifecycle with a pool start task, on in-process nodes running real processes:
 * a node that waits for its start task takes tasks only after it succeeded; one whose start task
 * failed takes none; one that does not wait takes tasks while it runs.
 */
class NodeLifecycleIntegrationTest {
  private static final Duration ASK = Duration.ofSeconds(10);
  private static final Path dir;
  private static final ActorTestKit testKit;

  static {
    try {
      dir = Files.createTempDirectory("batchgrid-nodelife");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    testKit = ActorTestKit.create("NodeLifecycleIntegrationTest", TestCluster.config(dir.resolve("snapshots")));
    TestCluster.join(testKit.system());
    CoordinatorRole.start(testKit.system(),
        InProcessNodeProvider.start(testKit.system(), dir.resolve("nodes"), "acct", null));
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(ASK.toSeconds(), TimeUnit.SECONDS);
  }

  private static void createPool(String id, StartTaskSpec startTask) throws Exception {
    await(PoolEntity.ref(testKit.system(), id).<PoolEntity.PoolView>askWithStatus(r -> new PoolEntity.Create(PoolSpec.newBuilder()
        .setId(id).setVmSize("standard_a1").setTargetDedicatedNodes(1).setTaskSlotsPerNode(1)
        .setStartTask(startTask).build(), r), ASK));
  }

  private static PoolEntity.NodeHandle onlyNode(String poolId) throws Exception {
    List<PoolEntity.NodeHandle> nodes = await(PoolEntity.ref(testKit.system(), poolId)
        .<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK));
    assertEquals(1, nodes.size());
    return nodes.get(0);
  }

  /** The node's own account of itself (its agent must have registered). */
  private static NodeStatus status(String poolId) throws Exception {
    PoolEntity.NodeHandle node = onlyNode(poolId);
    assertNotNull(node.agent(), "registered");
    return await(AskPattern.ask(node.agent(), NodeMessage.GetStatus::new, ASK, testKit.system().scheduler()));
  }

  private static void createJob(String jobId, String poolId, TaskSpec... tasks) throws Exception {
    await(JobEntity.ref(testKit.system(), jobId).<JobSummary>askWithStatus(r -> new JobEntity.Create(
        JobSpec.newBuilder().setId(jobId).setPoolId(poolId).build(), r), ASK));
    await(JobEntity.ref(testKit.system(), jobId).<List<JobEntity.AddTaskResult>>askWithStatus(
        r -> new JobEntity.AddTasks(List.of(tasks), r), ASK));
  }

  private static TaskRecord task(String jobId, String taskId) throws Exception {
    return await(JobEntity.ref(testKit.system(), jobId).<TaskRecord>askWithStatus(r -> new JobEntity.GetTask(taskId, r), ASK));
  }

  private static TaskCounts counts(String jobId) throws Exception {
    return await(JobEntity.ref(testKit.system(), jobId).<JobSummary>askWithStatus(JobEntity.Get::new, ASK)).taskCounts();
  }

  @Test
  void aNodeWaitingForItsStartTaskRunsTasksOnlyAfterItSucceeded() throws Exception {
    // The task succeeds only if the start task finished before it: it needs the file written last.
    createPool("st-ok", StartTaskSpec.newBuilder().setWaitForSuccess(true)
        .setCommandLine("/bin/sh -c 'sleep 1; echo \"$GREETING $AZ_BATCH_TASK_WORKING_DIR\" > $AZ_BATCH_NODE_SHARED_DIR/ready'")
        .addEnvironmentSettings(NameValue.newBuilder().setName("GREETING").setValue("prepared")).build());
    createJob("st-ok-job", "st-ok",
        TaskSpec.newBuilder().setId("after").setCommandLine("/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/ready'").build());

    TestCluster.eventually(testKit, Duration.ofSeconds(30), () ->
        assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("st-ok-job")));
    TaskRecord after = task("st-ok-job", "after");
    assertEquals(0, after.exitCode());

    NodeStatus node = status("st-ok");
    StartTaskInfo info = node.startTask();
    assertEquals(StartTaskInfo.State.COMPLETED, info.state());
    assertEquals(0, info.exitCode());
    assertNull(info.failureInfo());
    assertEquals("success", info.result());
    assertEquals(0, info.retryCount());
    assertTrue(info.endTimeMs() >= info.startTimeMs());
    assertEquals(NodeState.IDLE, node.state());
    // In the node's startup directory, its output there, its working directory startup/wd.
    Path startup = dir.resolve("nodes").resolve(onlyNode("st-ok").nodeId()).resolve("startup");
    assertTrue(Files.isRegularFile(startup.resolve("stdout.txt")));
    assertEquals("prepared " + startup.resolve("wd").toAbsolutePath().normalize() + "\n",
        Files.readString(startup.getParent().resolve("shared/ready")));
  }

  @Test
  void aFailedStartTaskIsRetriedThenLeavesTheNodeStartTaskFailedWithoutTasks() throws Exception {
    createPool("st-fail", StartTaskSpec.newBuilder().setWaitForSuccess(true).setMaxTaskRetryCount(2)
        .setCommandLine("/bin/sh -c 'echo attempt >> $AZ_BATCH_NODE_SHARED_DIR/attempts; exit 3'").build());
    createJob("st-fail-job", "st-fail", TaskSpec.newBuilder().setId("never").setCommandLine("/bin/true").build());

    TestCluster.eventually(testKit, Duration.ofSeconds(30), () ->
        assertEquals(NodeState.STARTTASKFAILED, onlyNode("st-fail").state(), "the pool's view, after the node told it"));
    NodeStatus node = status("st-fail");
    assertEquals(NodeState.STARTTASKFAILED, node.state());
    StartTaskInfo info = node.startTask();
    assertEquals(StartTaskInfo.State.COMPLETED, info.state());
    assertEquals(3, info.exitCode());
    assertEquals(2, info.retryCount());
    assertTrue(info.lastRetryTimeMs() > 0);
    assertEquals("failure", info.result());
    assertEquals("FailureExitCode", info.failureInfo().code());
    assertEquals("usererror", info.failureInfo().category());
    Path shared = dir.resolve("nodes").resolve(onlyNode("st-fail").nodeId()).resolve("shared");
    assertEquals(3, Files.readAllLines(shared.resolve("attempts")).size(), "one try and two retries");

    // The job has wanted a slot since before the node registered: none was granted.
    TaskRecord never = task("st-fail-job", "never");
    assertEquals(TaskState.ACTIVE, never.state());
    assertNull(never.nodeId());
    assertEquals(0, status("st-fail").totalTasksRun());
  }

  /** A start task that counts the node's boots in shared/boots. */
  private static final StartTaskSpec COUNT_BOOTS = StartTaskSpec.newBuilder().setWaitForSuccess(true)
      .setCommandLine("/bin/sh -c 'echo boot >> $AZ_BATCH_NODE_SHARED_DIR/boots'").build();

  private static Path nodeDir(String poolId) throws Exception {
    return dir.resolve("nodes").resolve(onlyNode(poolId).nodeId());
  }

  private static void restart(String poolId, NodeDeallocationOption option, boolean reimage) throws Exception {
    String nodeId = onlyNode(poolId).nodeId();
    await(PoolEntity.ref(testKit.system(), poolId).<org.apache.pekko.Done>askWithStatus(
        r -> new PoolEntity.RestartNode(nodeId, option, reimage, r), ASK));
  }

  /** Runs until it is requeued; its next attempt sees the mark the first left in shared/ and succeeds. */
  private static final String SECOND_ATTEMPT_SUCCEEDS = "/bin/sh -c 'if [ -f $AZ_BATCH_NODE_SHARED_DIR/mark ]; "
      + "then exit 0; fi; touch $AZ_BATCH_NODE_SHARED_DIR/mark; sleep 600'";

  @Test
  void aRebootWithRequeueRequeuesTheRunningTaskWithoutARetryAndRunsTheStartTaskAgain() throws Exception {
    createPool("rb-pool", COUNT_BOOTS);
    createJob("rb-job", "rb-pool", TaskSpec.newBuilder().setId("long").setCommandLine(SECOND_ATTEMPT_SUCCEEDS).build());
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> {
      assertEquals(TaskState.RUNNING, task("rb-job", "long").state());
      assertTrue(Files.exists(nodeDir("rb-pool").resolve("shared/mark")));
    });
    ActorRef<NodeMessage> before = onlyNode("rb-pool").agent();

    restart("rb-pool", NodeDeallocationOption.REQUEUE, false);

    TestCluster.eventually(testKit, Duration.ofSeconds(60), () ->
        assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("rb-job")));
    TaskRecord t = task("rb-job", "long");
    assertEquals(0, t.exitCode());
    assertEquals(0, t.retryCount(), "a reboot spends no retry");
    assertEquals(1, t.requeueCount());
    PoolEntity.NodeHandle node = onlyNode("rb-pool");
    assertTrue(node.agent() != null && !node.agent().equals(before), "a new agent");
    assertEquals(List.of("boot", "boot"), Files.readAllLines(nodeDir("rb-pool").resolve("shared/boots")),
        "the start task ran again; the node's files stayed");
    TestCluster.eventually(testKit, Duration.ofSeconds(10), () -> assertEquals(NodeState.IDLE, status("rb-pool").state()));
  }

  @Test
  void aRebootWithTaskCompletionLetsTheRunningTaskEndFirst() throws Exception {
    createPool("rd-pool", COUNT_BOOTS);
    createJob("rd-job", "rd-pool", TaskSpec.newBuilder().setId("wait")
        .setCommandLine("/bin/sh -c 'while [ ! -f $AZ_BATCH_NODE_SHARED_DIR/go ]; do sleep 0.1; done'").build());
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> assertEquals(TaskState.RUNNING, task("rd-job", "wait").state()));
    ActorRef<NodeMessage> before = onlyNode("rd-pool").agent();

    restart("rd-pool", NodeDeallocationOption.TASKCOMPLETION, false);
    // The task runs until the test lets it end: until then the node is rebooting and takes no task.
    assertEquals(NodeState.REBOOTING, onlyNode("rd-pool").state());
    java.util.concurrent.ExecutionException again = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> restart("rd-pool", NodeDeallocationOption.REQUEUE, true));
    assertEquals(ErrorCode.NODE_BEING_REBOOTED, ((BatchException) again.getCause()).code());
    assertEquals(TaskState.RUNNING, task("rd-job", "wait").state());
    assertEquals(before, onlyNode("rd-pool").agent());

    Files.writeString(nodeDir("rd-pool").resolve("shared/go"), "");
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () ->
        assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("rd-job")));
    assertEquals(0, task("rd-job", "wait").requeueCount());
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> {
      PoolEntity.NodeHandle node = onlyNode("rd-pool");
      assertTrue(node.agent() != null && !node.agent().equals(before), "a new agent");
      assertEquals(List.of("boot", "boot"), Files.readAllLines(nodeDir("rd-pool").resolve("shared/boots")));
      assertEquals(NodeState.IDLE, status("rd-pool").state());
    });
  }

  @Test
  void aReimageWithTerminateFailsTheRunningTaskAndStartsTheNodeWithEmptyDirectories() throws Exception {
    createPool("ri-pool", COUNT_BOOTS);
    createJob("ri-job", "ri-pool", TaskSpec.newBuilder().setId("long").setCommandLine(SECOND_ATTEMPT_SUCCEEDS).build());
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> {
      assertEquals(TaskState.RUNNING, task("ri-job", "long").state());
      assertTrue(Files.exists(nodeDir("ri-pool").resolve("shared/mark")));
    });
    Path taskDir = nodeDir("ri-pool").resolve("workitems/ri-job");
    assertTrue(Files.isDirectory(taskDir));

    restart("ri-pool", NodeDeallocationOption.TERMINATE, true);
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () ->
        assertEquals(new TaskCounts(0, 0, 1, 0, 1), counts("ri-job")));
    TestCluster.eventually(testKit, Duration.ofSeconds(60), () -> {
      assertEquals(StartTaskInfo.State.COMPLETED, status("ri-pool").startTask().state());
      assertEquals(NodeState.IDLE, status("ri-pool").state());
    });
    assertEquals(List.of("boot"), Files.readAllLines(nodeDir("ri-pool").resolve("shared/boots")),
        "the files went with the reimage; the start task ran on the new image");
    assertFalse(Files.exists(nodeDir("ri-pool").resolve("shared/mark")));
    assertFalse(Files.exists(taskDir));
  }

  @Test
  void aDeallocatedNodeKeepsItsPlaceWithoutAProcessUntilItIsStarted() throws Exception {
    createPool("da-pool", COUNT_BOOTS);
    createJob("da-job", "da-pool", TaskSpec.newBuilder().setId("long").setCommandLine(SECOND_ATTEMPT_SUCCEEDS).build());
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> {
      assertEquals(TaskState.RUNNING, task("da-job", "long").state());
      assertTrue(Files.exists(nodeDir("da-pool").resolve("shared/mark")));
    });
    String nodeId = onlyNode("da-pool").nodeId();

    await(PoolEntity.ref(testKit.system(), "da-pool").<org.apache.pekko.Done>askWithStatus(
        r -> new PoolEntity.DeallocateNode(nodeId, NodeDeallocationOption.REQUEUE, r), ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(30), () -> {
      PoolEntity.NodeHandle node = onlyNode("da-pool");
      assertEquals(NodeState.DEALLOCATED, node.state());
      assertNull(node.agent(), "no process");
    });
    assertTrue(await(PoolEntity.ref(testKit.system(), "da-pool").<PoolEntity.PoolView>askWithStatus(PoolEntity.Get::new, ASK))
        .record().deallocated(nodeId), "persisted");
    // Its task went back to the queue without a retry, and waits: the pool has no other node.
    TaskRecord waiting = task("da-job", "long");
    assertEquals(TaskState.ACTIVE, waiting.state());
    assertEquals(1, waiting.requeueCount());
    assertEquals(0, waiting.retryCount());

    await(PoolEntity.ref(testKit.system(), "da-pool").<org.apache.pekko.Done>askWithStatus(
        r -> new PoolEntity.StartNode(nodeId, r), ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(60), () ->
        assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("da-job")));
    assertEquals(List.of("boot", "boot"), Files.readAllLines(nodeDir("da-pool").resolve("shared/boots")),
        "the start task ran when the node started again; its files stayed");
  }

  @Test
  void aNodeThatDoesNotWaitRunsTasksWhileItsStartTaskRuns() throws Exception {
    // The start task outlives the test (the node kills it when it stops).
    createPool("st-nowait", StartTaskSpec.newBuilder().setWaitForSuccess(false)
        .setCommandLine("/bin/sh -c 'sleep 600'").build());
    createJob("st-nowait-job", "st-nowait", TaskSpec.newBuilder().setId("t").setCommandLine("/bin/true").build());

    TestCluster.eventually(testKit, Duration.ofSeconds(30), () ->
        assertEquals(new TaskCounts(0, 0, 1, 1, 0), counts("st-nowait-job")));
    NodeStatus node = status("st-nowait");
    assertEquals(StartTaskInfo.State.RUNNING, node.startTask().state());
    assertEquals(NodeState.IDLE, node.state(), "not waitingforstarttask: the pool does not wait for it");
  }
}
