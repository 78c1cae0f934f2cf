package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.AllocationState;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.ComputeNodeDeallocateOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeRebootOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeReimageOption;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.EnvironmentSetting;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.StartTask;
import com.microsoft.azure.batch.protocol.models.StartTaskInformation;
import com.microsoft.azure.batch.protocol.models.StartTaskState;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskExecutionResult;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

/**
 * A compute node's lifecycle through the official Java SDK against the packaged server: the pool's
 * start task and its startTaskInfo, reboot, reimage, deallocate and start.
 */
class NodeLifecycleTest {
  @TempDir
  static Path data;
  static ServerProcess server;
  static BatchClient client;

  @BeforeAll
  static void start() throws Exception {
    server = new ServerProcess(data).start();
    client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static void createPool(String id, int nodes, StartTask startTask) throws Exception {
    client.poolOperations().createPool(new PoolAddParameter().withId(id).withVmSize("standard_d2s_v3")
        .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
            .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy").withSku("22_04-lts"))
            .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
        .withTargetDedicatedNodes(nodes).withTaskSlotsPerNode(1).withStartTask(startTask));
    await().atMost(Duration.ofSeconds(60)).until(() ->
        client.poolOperations().getPool(id).allocationState() == AllocationState.STEADY);
  }

  static List<ComputeNode> nodes(String poolId) throws Exception {
    return client.computeNodeOperations().listComputeNodes(poolId);
  }

  static String nodeFile(String poolId, String nodeId, String path) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.fileOperations().getFileFromComputeNode(poolId, nodeId, path, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theStartTaskRunsOnEveryNodeBeforeItTakesTasks() throws Exception {
    createPool("st-pool", 2, new StartTask()
        .withCommandLine("/bin/sh -c 'sleep 1; echo \"$PHASE on $AZ_BATCH_NODE_ID\" | tee $AZ_BATCH_NODE_SHARED_DIR/ready'")
        .withEnvironmentSettings(List.of(new EnvironmentSetting().withName("PHASE").withValue("prepared"))));
    assertEquals(Boolean.TRUE, client.poolOperations().getPool("st-pool").startTask().waitForSuccess(), "Azure's default");

    client.jobOperations().createJob("st-job", new PoolInformation().withPoolId("st-pool"));
    // Each task reads what the start task wrote on its node: it fails if it runs before the start task ended.
    for (int i = 0; i < 4; i++) {
      client.taskOperations().createTask("st-job", new TaskAddParameter().withId("t" + i)
          .withCommandLine("/bin/sh -c 'cat $AZ_BATCH_NODE_SHARED_DIR/ready'"));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> client.jobOperations().getTaskCounts("st-job").completed() == 4);
    for (int i = 0; i < 4; i++) {
      CloudTask t = client.taskOperations().getTask("st-job", "t" + i);
      assertEquals(TaskState.COMPLETED, t.state());
      assertEquals(TaskExecutionResult.SUCCESS, t.executionInfo().result(), "t" + i + " ran after the start task");
    }

    for (ComputeNode node : nodes("st-pool")) {
      assertEquals(ComputeNodeState.IDLE, node.state());
      assertEquals("/bin/sh -c 'sleep 1; echo \"$PHASE on $AZ_BATCH_NODE_ID\" | tee $AZ_BATCH_NODE_SHARED_DIR/ready'",
          node.startTask().commandLine());
      StartTaskInformation info = node.startTaskInfo();
      assertEquals(StartTaskState.COMPLETED, info.state());
      assertEquals(Integer.valueOf(0), info.exitCode());
      assertEquals(TaskExecutionResult.SUCCESS, info.result());
      assertEquals(0, info.retryCount());
      assertNull(info.failureInfo());
      assertNotNull(info.startTime());
      assertTrue(!info.endTime().isBefore(info.startTime()));
      // Its output is a node file under startup/, as on Azure.
      assertEquals("prepared on " + node.id() + "\n", nodeFile("st-pool", node.id(), "startup/stdout.txt"));
    }
  }

  static final StartTask COUNT_BOOTS = new StartTask().withCommandLine("/bin/sh -c 'echo boot >> $AZ_BATCH_NODE_SHARED_DIR/boots'");

  /** Runs until it is requeued; its next attempt sees the mark the first left in shared/ and succeeds. */
  static final String SECOND_ATTEMPT_SUCCEEDS = "/bin/sh -c 'if [ -f $AZ_BATCH_NODE_SHARED_DIR/mark ]; "
      + "then exit 0; fi; touch $AZ_BATCH_NODE_SHARED_DIR/mark; sleep 600'";

  static boolean nodeFileExists(String poolId, String nodeId, String path) throws Exception {
    try {
      client.fileOperations().getFilePropertiesFromComputeNode(poolId, nodeId, path);
      return true;
    } catch (BatchErrorException e) {
      if (e.response().code() == 404) { // a HEAD: no body
        return false;
      }
      throw e;
    }
  }

  @Test
  void aRebootWithRequeueRequeuesTheRunningTaskWithoutARetryAndTheTaskCompletes() throws Exception {
    createPool("rb-pool", 1, COUNT_BOOTS);
    String nodeId = nodes("rb-pool").get(0).id();
    client.jobOperations().createJob("rb-job", new PoolInformation().withPoolId("rb-pool"));
    client.taskOperations().createTask("rb-job", new TaskAddParameter().withId("long").withCommandLine(SECOND_ATTEMPT_SUCCEEDS));
    await().atMost(Duration.ofSeconds(60)).until(() ->
        client.taskOperations().getTask("rb-job", "long").state() == TaskState.RUNNING
            && nodeFileExists("rb-pool", nodeId, "shared/mark"));

    client.computeNodeOperations().rebootComputeNode("rb-pool", nodeId, ComputeNodeRebootOption.REQUEUE);

    await().atMost(Duration.ofSeconds(60)).until(() -> client.taskOperations().getTask("rb-job", "long").state() == TaskState.COMPLETED);
    CloudTask t = client.taskOperations().getTask("rb-job", "long");
    assertEquals(TaskExecutionResult.SUCCESS, t.executionInfo().result());
    assertEquals(0, t.executionInfo().retryCount(), "a reboot spends no retry");
    assertEquals(1, t.executionInfo().requeueCount());
    assertEquals("boot\nboot\n", nodeFile("rb-pool", nodeId, "shared/boots"), "the start task ran again, the files stayed");
    await().atMost(Duration.ofSeconds(30)).until(() ->
        client.computeNodeOperations().getComputeNode("rb-pool", nodeId).state() == ComputeNodeState.IDLE);
  }

  @Test
  void aReimageStartsTheNodeWithEmptyDirectoriesAndRunsTheStartTaskAgain() throws Exception {
    createPool("ri-pool", 1, COUNT_BOOTS);
    await().atMost(Duration.ofSeconds(60)).until(() -> nodes("ri-pool").get(0).state() == ComputeNodeState.IDLE);
    ComputeNode before = nodes("ri-pool").get(0);
    client.jobOperations().createJob("ri-job", new PoolInformation().withPoolId("ri-pool"));
    client.taskOperations().createTask("ri-job", new TaskAddParameter().withId("write")
        .withCommandLine("/bin/sh -c 'echo data > $AZ_BATCH_NODE_SHARED_DIR/data'"));
    await().atMost(Duration.ofSeconds(60)).until(() -> client.taskOperations().getTask("ri-job", "write").state() == TaskState.COMPLETED);
    assertTrue(nodeFileExists("ri-pool", before.id(), "shared/data"));

    client.computeNodeOperations().reimageComputeNode("ri-pool", before.id(), ComputeNodeReimageOption.TASK_COMPLETION);
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      ComputeNode n = client.computeNodeOperations().getComputeNode("ri-pool", before.id());
      return n.state() == ComputeNodeState.IDLE && n.startTaskInfo() != null
          && n.startTaskInfo().state() == StartTaskState.COMPLETED
          && n.startTaskInfo().startTime().isAfter(before.startTaskInfo().startTime());
    });
    assertEquals("boot\n", nodeFile("ri-pool", before.id(), "shared/boots"), "one boot since the reimage");
    assertFalse(nodeFileExists("ri-pool", before.id(), "shared/data"));
    assertFalse(nodeFileExists("ri-pool", before.id(), "workitems/ri-job"));
  }

  @Test
  void aDeallocatedNodeHasNoProcessUntilItIsStartedAgain() throws Exception {
    createPool("da-pool", 1, COUNT_BOOTS);
    String nodeId = nodes("da-pool").get(0).id();
    client.jobOperations().createJob("da-job", new PoolInformation().withPoolId("da-pool"));
    client.taskOperations().createTask("da-job", new TaskAddParameter().withId("long").withCommandLine(SECOND_ATTEMPT_SUCCEEDS));
    await().atMost(Duration.ofSeconds(60)).until(() ->
        client.taskOperations().getTask("da-job", "long").state() == TaskState.RUNNING
            && nodeFileExists("da-pool", nodeId, "shared/mark"));

    client.computeNodeOperations().deallocateComputeNode("da-pool", nodeId, ComputeNodeDeallocateOption.REQUEUE);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        client.computeNodeOperations().getComputeNode("da-pool", nodeId).state() == ComputeNodeState.DEALLOCATED);
    CloudTask waiting = client.taskOperations().getTask("da-job", "long");
    assertEquals(TaskState.ACTIVE, waiting.state(), "requeued, and no node to run it");
    assertEquals(1, waiting.executionInfo().requeueCount());
    assertEquals(1, client.poolOperations().getPool("da-pool").currentDedicatedNodes(), "it keeps its place");

    client.computeNodeOperations().startComputeNode("da-pool", nodeId);
    await().atMost(Duration.ofSeconds(60)).until(() -> client.taskOperations().getTask("da-job", "long").state() == TaskState.COMPLETED);
    assertEquals(TaskExecutionResult.SUCCESS, client.taskOperations().getTask("da-job", "long").executionInfo().result());
    assertEquals("boot\nboot\n", nodeFile("da-pool", nodeId, "shared/boots"));
  }

  @Test
  void nodeOperationsOnMissingNodesOrWithBadOptionsAnswerAzureErrors() throws Exception {
    Pools.create(client, "err-pool", 0, 1);
    BatchErrorException missing = assertThrows(BatchErrorException.class, () ->
        client.computeNodeOperations().rebootComputeNode("err-pool", "tvmps_none_d", ComputeNodeRebootOption.REQUEUE));
    assertEquals("NodeNotFound", missing.body().code());
    BatchErrorException noPool = assertThrows(BatchErrorException.class, () ->
        client.computeNodeOperations().reimageComputeNode("no-pool", "tvmps_none_d", ComputeNodeReimageOption.REQUEUE));
    assertEquals("PoolNotFound", noPool.body().code());
  }

  @Test
  void aStartTaskThatKeepsFailingLeavesTheNodeStartTaskFailed() throws Exception {
    createPool("st-failing", 1, new StartTask().withCommandLine("/bin/sh -c 'echo no >&2; exit 7'")
        .withMaxTaskRetryCount(1).withWaitForSuccess(true));
    await().atMost(Duration.ofSeconds(60)).until(() -> nodes("st-failing").get(0).state() == ComputeNodeState.START_TASK_FAILED);
    ComputeNode node = nodes("st-failing").get(0);
    StartTaskInformation info = node.startTaskInfo();
    assertEquals(StartTaskState.COMPLETED, info.state());
    assertEquals(Integer.valueOf(7), info.exitCode());
    assertEquals(1, info.retryCount());
    assertNotNull(info.lastRetryTime());
    assertEquals(TaskExecutionResult.FAILURE, info.result());
    assertEquals("FailureExitCode", info.failureInfo().code());
    assertEquals("no\n", nodeFile("st-failing", node.id(), "startup/stderr.txt"));
    assertEquals(1, client.poolOperations().getPool("st-failing").currentDedicatedNodes());
  }
}
