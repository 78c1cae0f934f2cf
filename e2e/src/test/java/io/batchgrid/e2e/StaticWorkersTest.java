package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeReimageOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.MetadataItem;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

/**
 * The static node provider: {@code batchgrid worker} processes started by hand (here: by the test,
 * each its own JVM from the packaged jar, with a data directory of its own, as on another machine)
 * join the server through its cluster port and register with the pool they name. The pool claims
 * those that carry the labels its metadata asks for, up to its target, and runs tasks on them; a
 * worker without the labels is not claimed. A reimage restarts the node inside its worker process.
 * Resizing down retires a worker, whose process exits.
 */
class StaticWorkersTest {
  private static final int TASKS = 20;

  @TempDir
  Path data;

  @TempDir
  Path machines;

  private final List<Process> workers = new ArrayList<>();

  @AfterEach
  void stopWorkers() throws InterruptedException {
    WorkerJvm.stopAll(workers);
  }

  @Test
  void operatorStartedWorkersAreClaimedByLabelAndRunTasks() throws Exception {
    int clusterPort;
    try (ServerSocket s = new ServerSocket(0)) {
      clusterPort = s.getLocalPort();
    }
    try (ServerProcess server = new ServerProcess(data)
        .withArgs("--node-provider", "static", "--cluster-port", Integer.toString(clusterPort)).start()) {
      BatchClient client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
      client.poolOperations().createPool(new PoolAddParameter().withId("static-pool").withVmSize("standard_d2s_v3")
          .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
              .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy").withSku("22_04-lts"))
              .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
          .withTargetDedicatedNodes(2).withTaskSlotsPerNode(2)
          .withMetadata(List.of(new MetadataItem().withName("batchgrid.labels").withValue("linux"))));
      assertTrue(client.computeNodeOperations().listComputeNodes("static-pool").isEmpty(), "no node until a worker comes");

      Process unlabelled = worker(clusterPort, "box-windows", "windows");
      workers.add(unlabelled);
      workers.add(worker(clusterPort, "box-a", "linux,gpu"));
      workers.add(worker(clusterPort, "box-b", "linux"));

      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
          usable(client).equals(Set.of("box-a", "box-b")));
      assertTrue(unlabelled.isAlive(), "a worker the pool does not claim keeps waiting");

      client.jobOperations().createJob("static-job", new PoolInformation().withPoolId("static-pool"));
      List<TaskAddParameter> tasks = new ArrayList<>();
      for (int i = 0; i < TASKS; i++) {
        tasks.add(new TaskAddParameter().withId(String.format("t%02d", i)).withCommandLine("/bin/sh -c 'sleep 0.3'"));
      }
      client.taskOperations().createTasks("static-job", tasks);
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
          client.jobOperations().getTaskCounts("static-job").completed() == TASKS);
      TaskCounts counts = client.jobOperations().getTaskCounts("static-job");
      assertEquals(TASKS, counts.succeeded());
      assertEquals(0, counts.failed());
      Set<String> ranOn = client.taskOperations().listTasks("static-job").stream()
          .map(CloudTask::nodeInfo).map(n -> n.nodeId()).collect(Collectors.toCollection(TreeSet::new));
      assertEquals(Set.of("box-a", "box-b"), ranOn, "tasks ran on both workers");
      // Each worker keeps its node's files under its own data directory.
      assertTrue(machines.resolve("box-a/nodes/box-a/workitems/static-job").toFile().isDirectory());

      // A reimage restarts the node inside its worker process (no provider could start a new one):
      // the process stays, the node's files go, and it is back as a new agent.
      Process boxA = workers.get(1);
      client.computeNodeOperations().reimageComputeNode("static-pool", "box-a", ComputeNodeReimageOption.REQUEUE);
      assertEquals(ComputeNodeState.REIMAGING, client.computeNodeOperations().getComputeNode("static-pool", "box-a").state());
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
          usable(client).equals(Set.of("box-a", "box-b")));
      assertTrue(boxA.isAlive(), "the same worker process");
      assertFalse(machines.resolve("box-a/nodes/box-a/workitems/static-job").toFile().exists(), "its files went");

      // Shrinking the pool retires a worker: it leaves the pool and its process exits.
      client.poolOperations().resizePool("static-pool", 1, 0);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
          usable(client).size() == 1 && workers.stream().skip(1).filter(Process::isAlive).count() == 1);
      assertFalse(usable(client).isEmpty());
    }
  }

  private Process worker(int clusterPort, String name, String labels) throws Exception {
    return WorkerJvm.start(machines.resolve(name), "--seed", "127.0.0.1:" + clusterPort, "--pool", "static-pool",
        "--node", name, "--labels", labels, "--slots", "2");
  }

  private static Set<String> usable(BatchClient client) throws Exception {
    Set<String> ids = new TreeSet<>();
    for (ComputeNode n : client.computeNodeOperations().listComputeNodes("static-pool")) {
      if (n.state() == ComputeNodeState.IDLE || n.state() == ComputeNodeState.RUNNING) {
        ids.add(n.id());
      }
    }
    return ids;
  }
}
