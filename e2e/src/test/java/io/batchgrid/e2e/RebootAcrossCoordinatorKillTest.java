package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeRebootOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.StartTask;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskExecutionResult;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

/**
 * "A 2xx means persisted", for a node reboot: the server acknowledges a reboot and is killed with
 * SIGKILL before the node's worker process has heard of it (with taskcompletion the worker is told
 * only when its running task ends, and that task waits for a file the test writes after the kill).
 * The worker outlives the server; the server started again on the same data directory shows the
 * node rebooting and carries the reboot out: the worker process is replaced and the start task runs
 * again, once the task the worker runs has ended (taskcompletion), so the task completes once where
 * it ran. Without the persisted request the node would come back idle, as the same process.
 */
class RebootAcrossCoordinatorKillTest {
  @TempDir
  Path data;

  @TempDir
  Path shared;

  @AfterEach
  void noWorkerOutlivesTheTest() {
    String dir = data.toString();
    ProcessHandle.allProcesses().filter(h -> h.info().arguments()
            .map(a -> List.of(a).contains("worker") && String.join(" ", a).contains(dir)).orElse(false))
        .forEach(h -> {
          h.descendants().forEach(ProcessHandle::destroyForcibly);
          h.destroyForcibly();
        });
  }

  private static BatchClient client(ServerProcess server) {
    return BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
  }

  private long pid(String nodeId) throws Exception {
    Path file = data.resolve("nodes").resolve(nodeId).resolve("agent.pid");
    return Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : -1;
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static String nodeFile(BatchClient client, String poolId, String nodeId, String path) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.fileOperations().getFileFromComputeNode(poolId, nodeId, path, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anAcknowledgedRebootIsCarriedOutAfterTheServerIsKilled() throws Exception {
    Path go = shared.resolve("go");
    Path ledger = shared.resolve("ledger");
    String nodeId;
    long before;
    try (ServerProcess first = new ServerProcess(data).withArgs("--node-provider", "local-process").start()) {
      BatchClient client = client(first);
      client.poolOperations().createPool(new PoolAddParameter().withId("k9-pool").withVmSize("standard_d2s_v3")
          .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
              .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy").withSku("22_04-lts"))
              .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
          .withTargetDedicatedNodes(1).withTaskSlotsPerNode(1)
          .withStartTask(new StartTask().withCommandLine("/bin/sh -c 'echo boot >> $AZ_BATCH_NODE_SHARED_DIR/boots'")));
      await().atMost(Duration.ofSeconds(120)).until(() -> {
        List<ComputeNode> nodes = client.computeNodeOperations().listComputeNodes("k9-pool");
        return nodes.size() == 1 && nodes.get(0).state() == ComputeNodeState.IDLE;
      });
      nodeId = client.computeNodeOperations().listComputeNodes("k9-pool").get(0).id();
      before = pid(nodeId);
      client.jobOperations().createJob("k9-job", new PoolInformation().withPoolId("k9-pool"));
      client.taskOperations().createTask("k9-job", new TaskAddParameter().withId("hold").withCommandLine(
          "/bin/sh -c 'while [ ! -f " + go + " ]; do sleep 0.1; done; echo $AZ_BATCH_TASK_ID >> " + ledger + "'"));
      await().atMost(Duration.ofSeconds(60)).until(() -> client.taskOperations().getTask("k9-job", "hold").state() == TaskState.RUNNING);

      client.computeNodeOperations().rebootComputeNode("k9-pool", nodeId, ComputeNodeRebootOption.TASK_COMPLETION);
      first.kill9();
    }
    assertTrue(alive(before), "the worker outlived the server without having been told to reboot");
    assertEquals("boot\n", Files.readString(data.resolve("nodes").resolve(nodeId).resolve("shared/boots")));

    try (ServerProcess second = new ServerProcess(data).withArgs("--node-provider", "local-process").start()) {
      BatchClient client = client(second);
      // The node cannot be back yet: its old worker has to find the new server first.
      assertEquals(ComputeNodeState.REBOOTING, client.computeNodeOperations().getComputeNode("k9-pool", nodeId).state());

      // taskcompletion still holds: the task the old worker runs ends there, once, and only then
      // does the worker restart.
      Files.writeString(go, "");
      await().atMost(Duration.ofSeconds(60)).until(() -> client.taskOperations().getTask("k9-job", "hold").state() == TaskState.COMPLETED);
      CloudTask t = client.taskOperations().getTask("k9-job", "hold");
      assertEquals(TaskExecutionResult.SUCCESS, t.executionInfo().result());
      assertEquals(0, t.executionInfo().retryCount());
      assertEquals(0, t.executionInfo().requeueCount(), "it ran to its end on the old worker");
      assertEquals(List.of("hold"), Files.readAllLines(ledger), "completed once");
      assertEquals(1, client.jobOperations().getTaskCounts("k9-job").completed());

      try {
        await().atMost(Duration.ofSeconds(120)).until(() ->
            client.computeNodeOperations().getComputeNode("k9-pool", nodeId).state() == ComputeNodeState.IDLE
                && pid(nodeId) != before && alive(pid(nodeId)));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        Path log = data.resolve("nodes").resolve(nodeId).resolve("agent.log");
        throw new AssertionError("node " + client.computeNodeOperations().getComputeNode("k9-pool", nodeId).state()
            + ", worker " + before + (alive(before) ? " alive" : " gone") + ", pid now " + pid(nodeId)
            + "\n--- server:\n" + second.output() + "\n--- agent.log:\n"
            + (Files.exists(log) ? Files.readString(log) : "none"), e);
      }
      assertFalse(alive(before), "the worker process that outlived the server was replaced");
      assertEquals("boot\nboot\n", nodeFile(client, "k9-pool", nodeId, "shared/boots"), "the start task ran again");
    }
  }
}
