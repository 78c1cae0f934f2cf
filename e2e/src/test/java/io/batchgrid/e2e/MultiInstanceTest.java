package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.AllocationState;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.MultiInstanceSettings;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.ResourceFile;
import com.microsoft.azure.batch.protocol.models.SubtaskInformation;
import com.microsoft.azure.batch.protocol.models.SubtaskState;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskConstraints;
import com.microsoft.azure.batch.protocol.models.TaskExecutionResult;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;
import com.sun.net.httpserver.HttpServer;

/**
 * Multi-instance tasks through the official SDK: a real MPI program (Debian's mpich) compiled on
 * every node by the coordination command and run across three nodes by the primary.
 */
class MultiInstanceTest {
  private static final String ALLREDUCE_C = String.join("\n",
      "#include <mpi.h>",
      "#include <stdio.h>",
      "int main(int argc, char **argv) {",
      "  int rank, size, sum = 0;",
      "  MPI_Init(&argc, &argv);",
      "  MPI_Comm_rank(MPI_COMM_WORLD, &rank);",
      "  MPI_Comm_size(MPI_COMM_WORLD, &size);",
      "  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);",
      "  printf(\"rank %d of %d: sum %d\\n\", rank, size, sum);",
      "  MPI_Finalize();",
      "  return 0;",
      "}", "");
  /** A background process the coordination command leaves running: it must be gone when the task ends. */
  private static final String DAEMON = "sleep 7391";

  @TempDir
  static Path data;
  static ServerProcess server;
  static BatchClient client;
  static HttpServer files;

  @BeforeAll
  static void start() throws Exception {
    assertTrue(Files.isExecutable(Path.of("/usr/bin/mpicc")) && Files.isExecutable(Path.of("/usr/bin/mpiexec")),
        "mpich is missing: run scripts/test, which installs it (apt-get install mpich libmpich-dev)");
    files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    files.createContext("/allreduce.c", exchange -> {
      byte[] body = ALLREDUCE_C.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    files.start();
    server = new ServerProcess(data).start();
    client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (files != null) {
      files.stop(0);
    }
  }

  private static void createPool(String id, int nodes, int slots, boolean interNode) throws Exception {
    client.poolOperations().createPool(new PoolAddParameter().withId(id).withVmSize("standard_d2s_v3")
        .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
            .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy").withSku("22_04-lts"))
            .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
        .withTargetDedicatedNodes(nodes).withTaskSlotsPerNode(slots).withEnableInterNodeCommunication(interNode));
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      List<ComputeNode> listed = client.computeNodeOperations().listComputeNodes(id);
      return client.poolOperations().getPool(id).allocationState() == AllocationState.STEADY
          && listed.size() == nodes && listed.stream().allMatch(n -> n.state() == ComputeNodeState.IDLE);
    });
  }

  private static String nodeFile(String pool, String node, String path) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.fileOperations().getFileFromComputeNode(pool, node, path, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static boolean daemonRunning() throws Exception {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).anyMatch(p -> {
        try {
          return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').trim().equals(DAEMON);
        } catch (Exception e) {
          return false;
        }
      });
    }
  }

  @Test
  void anMpiProgramRunsAcrossThreeNodes() throws Exception {
    createPool("mpi-pool", 3, 1, true);
    client.jobOperations().createJob("mpi-job", new PoolInformation().withPoolId("mpi-pool"));
    // Four instances can never fit on three nodes: the task waits (as on Azure) without holding
    // back the three-instance task behind it.
    client.taskOperations().createTask("mpi-job", new TaskAddParameter().withId("too-wide").withCommandLine("/bin/true")
        .withMultiInstanceSettings(new MultiInstanceSettings().withNumberOfInstances(4).withCoordinationCommandLine("/bin/true")));
    String url = "http://127.0.0.1:" + files.getAddress().getPort() + "/allreduce.c";
    client.taskOperations().createTask("mpi-job", new TaskAddParameter().withId("mpi")
        .withCommandLine("/bin/sh -c 'mpiexec -hosts $AZ_BATCH_HOST_LIST -n 3 $AZ_BATCH_TASK_SHARED_DIR/allreduce'")
        .withMultiInstanceSettings(new MultiInstanceSettings().withNumberOfInstances(3)
            .withCommonResourceFiles(List.of(new ResourceFile().withHttpUrl(url).withFilePath("allreduce.c")))
            .withCoordinationCommandLine("/bin/sh -c 'cd $AZ_BATCH_TASK_SHARED_DIR && mpicc -o allreduce allreduce.c"
                + " && echo $AZ_BATCH_IS_CURRENT_NODE_MASTER $AZ_BATCH_HOST_LIST $AZ_BATCH_NODE_LIST $AZ_BATCH_MASTER_NODE > env.txt"
                + " && (" + DAEMON + " &)'")));

    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() ->
        client.taskOperations().getTask("mpi-job", "mpi").state() == TaskState.COMPLETED);
    CloudTask mpi = client.taskOperations().getTask("mpi-job", "mpi");
    assertEquals(0, mpi.executionInfo().exitCode());
    assertEquals(TaskExecutionResult.SUCCESS, mpi.executionInfo().result());
    assertEquals(3, mpi.multiInstanceSettings().numberOfInstances());
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("mpi-job", "mpi", "stdout.txt", stdout);
    String out = stdout.toString(StandardCharsets.UTF_8);
    for (int rank = 0; rank < 3; rank++) {
      assertTrue(out.contains("rank " + rank + " of 3: sum 3"), out);
    }

    String primary = mpi.nodeInfo().nodeId();
    List<SubtaskInformation> subtasks = client.taskOperations().listSubtasks("mpi-job", "mpi");
    assertEquals(2, subtasks.size(), "instances 1 and 2; the primary is the task itself");
    Set<String> nodes = new HashSet<>(Set.of(primary));
    for (SubtaskInformation sub : subtasks) {
      assertEquals(SubtaskState.COMPLETED, sub.state());
      assertEquals(0, sub.exitCode());
      assertEquals(TaskExecutionResult.SUCCESS, sub.result());
      assertTrue(sub.startTime() != null && sub.endTime() != null);
      nodes.add(sub.nodeInfo().nodeId());
      // Each subtask's node downloaded the common file and compiled it in its own task directory.
      assertEquals("false 127.0.0.1,127.0.0.1,127.0.0.1 127.0.0.1;127.0.0.1;127.0.0.1 127.0.0.1:6000\n",
          nodeFile("mpi-pool", sub.nodeInfo().nodeId(), sub.nodeInfo().taskRootDirectory() + "/env.txt"));
      assertTrue(client.fileOperations().getFilePropertiesFromComputeNode("mpi-pool", sub.nodeInfo().nodeId(),
          sub.nodeInfo().taskRootDirectory() + "/allreduce").contentLength() > 0);
    }
    assertEquals(3, nodes.size(), "three distinct nodes: " + nodes);
    assertEquals("true 127.0.0.1,127.0.0.1,127.0.0.1 127.0.0.1;127.0.0.1;127.0.0.1 127.0.0.1:6000\n",
        nodeFile("mpi-pool", primary, mpi.nodeInfo().taskRootDirectory() + "/env.txt"));
    // What the coordination commands left in the background ended with the task.
    await().atMost(Duration.ofSeconds(30)).until(() -> !daemonRunning());

    assertEquals(TaskState.ACTIVE, client.taskOperations().getTask("mpi-job", "too-wide").state());
    assertTrue(client.taskOperations().listSubtasks("mpi-job", "too-wide").isEmpty());
  }

  @Test
  void aFailedCoordinationCommandFailsTheTaskAndSpendsItsRetries() throws Exception {
    createPool("mi-fail-pool", 2, 1, true);
    client.jobOperations().createJob("mi-fail-job", new PoolInformation().withPoolId("mi-fail-pool"));
    client.taskOperations().createTask("mi-fail-job", new TaskAddParameter().withId("fails")
        .withCommandLine("/bin/sh -c 'echo the command line ran'")
        .withConstraints(new TaskConstraints().withMaxTaskRetryCount(1))
        .withMultiInstanceSettings(new MultiInstanceSettings().withNumberOfInstances(2)
            .withCoordinationCommandLine("/bin/sh -c 'test $AZ_BATCH_IS_CURRENT_NODE_MASTER = true || exit 7'")));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
        client.taskOperations().getTask("mi-fail-job", "fails").state() == TaskState.COMPLETED);
    CloudTask t = client.taskOperations().getTask("mi-fail-job", "fails");
    assertEquals(7, t.executionInfo().exitCode());
    assertEquals(TaskExecutionResult.FAILURE, t.executionInfo().result());
    assertEquals(1, t.executionInfo().retryCount());
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("mi-fail-job", "fails", "stdout.txt", stdout);
    assertFalse(stdout.toString(StandardCharsets.UTF_8).contains("the command line ran"));
    List<SubtaskInformation> subtasks = client.taskOperations().listSubtasks("mi-fail-job", "fails");
    assertEquals(1, subtasks.size());
    assertEquals(7, subtasks.get(0).exitCode());
    assertEquals(TaskExecutionResult.FAILURE, subtasks.get(0).result());
    assertNotEquals(t.nodeInfo().nodeId(), subtasks.get(0).nodeInfo().nodeId());
  }

  @Test
  void badMultiInstanceTasksAreRefusedOrFailClearly() throws Exception {
    createPool("mi-shared-pool", 1, 2, false);
    client.jobOperations().createJob("mi-bad-job", new PoolInformation().withPoolId("mi-shared-pool"));
    BatchErrorException slots = assertThrows(BatchErrorException.class, () -> client.taskOperations().createTask("mi-bad-job",
        new TaskAddParameter().withId("two-slots").withCommandLine("/bin/true").withRequiredSlots(2)
            .withMultiInstanceSettings(new MultiInstanceSettings().withNumberOfInstances(2).withCoordinationCommandLine("/bin/true"))));
    assertEquals("InvalidPropertyValue", slots.body().code());
    assertEquals(400, slots.response().code());
    assertThrows(BatchErrorException.class, () -> client.taskOperations().getTask("mi-bad-job", "two-slots"));

    // A pool without inter-node communication (and with 2 slots per node) can never run it.
    client.taskOperations().createTask("mi-bad-job", new TaskAddParameter().withId("never").withCommandLine("/bin/true")
        .withMultiInstanceSettings(new MultiInstanceSettings().withNumberOfInstances(1).withCoordinationCommandLine("/bin/true")));
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() ->
        client.taskOperations().getTask("mi-bad-job", "never").state() == TaskState.COMPLETED);
    CloudTask never = client.taskOperations().getTask("mi-bad-job", "never");
    assertEquals("MultiInstanceTaskNotSchedulable", never.executionInfo().failureInfo().code());
    assertTrue(never.executionInfo().failureInfo().message().contains("enableInterNodeCommunication"));
  }
}
