package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

/**
 * A worker cut off: two operator-started workers (static provider, separate JVMs), one of them
 * ("far") reached only through a {@link CutProxy} on loopback (it advertises the proxy's port).
 *
 * <p>{@link Cut#ONE_WAY}: the proxy closes, so nothing reaches the far worker, while what it sends
 * still arrives (its own connections go straight to the others). Before workers stopped judging
 * reachability, the worker marked the coordinator unreachable while the coordinator marked the
 * worker unreachable, and the Split Brain Resolver downed both as "indirectly connected": the
 * coordinator exited. {@link Cut#BOTH_WAYS}: the proxy closes and the far worker's JVM is paused
 * (SIGSTOP), so nothing leaves it either; its task processes are not paused.
 *
 * <p>Either way the coordinator stays up and never sees the far worker's view (the worker marks no
 * member unreachable); it downs the far worker, whose two tasks are requeued once, without spending
 * a retry, and finish on the other worker, while the far worker's own attempts run to their end.
 * Healed, the far worker (which downed itself when no coordinator answered, or learns that it was
 * downed) joins again as a new incarnation and registers: its stale outcomes are not counted, so
 * each task is counted once and the counts are exact; the node is usable again and takes new work.
 */
class PartitionTest {
  /** How the far worker is cut off. */
  enum Cut {
    /** Nothing reaches the worker; what it sends arrives. */
    ONE_WAY,
    /** Nothing reaches the worker, and it sends nothing (its JVM is paused). */
    BOTH_WAYS
  }

  @TempDir
  Path data;

  @TempDir
  Path machines;

  @TempDir
  Path shared;

  private final List<Process> workers = new ArrayList<>();

  @AfterEach
  void stopWorkers() throws InterruptedException {
    WorkerJvm.stopAll(workers);
  }

  @ParameterizedTest
  @EnumSource(Cut.class)
  void aCutOffWorkerIsDownedItsTasksFinishElsewhereAndItComesBackWithoutDoubleReporting(Cut cut) throws Exception {
    int clusterPort = freePort();
    int cutPort = freePort();
    int proxyPort = freePort();
    Path ledger = shared.resolve("ledger.txt");
    Path gate = shared.resolve("gate");
    Path started = shared.resolve("started.txt");
    try (ServerProcess server = new ServerProcess(data)
            .withArgs("--node-provider", "static", "--cluster-port", Integer.toString(clusterPort)).start();
        CutProxy proxy = new CutProxy(proxyPort, cutPort)) {
      try {
        run(cut, server, proxy, clusterPort, cutPort, started, ledger, gate);
      } catch (Throwable t) {
        System.out.println("server output:\n" + server.output());
        for (String name : List.of("far", "near")) {
          Path log = machines.resolve(name + "/worker.log");
          if (Files.exists(log)) {
            System.out.println(name + " worker log:\n" + Files.readString(log));
          }
        }
        throw t;
      }
    }
  }

  private void run(Cut cut, ServerProcess server, CutProxy proxy, int clusterPort, int cutPort, Path started,
      Path ledger, Path gate) throws Exception {
    {
      BatchClient client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
      client.poolOperations().createPool(new PoolAddParameter().withId("part-pool").withVmSize("standard_d2s_v3")
          .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
              .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy").withSku("22_04-lts"))
              .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
          .withTargetDedicatedNodes(2).withTaskSlotsPerNode(2));
      String seed = "127.0.0.1:" + clusterPort;
      workers.add(WorkerJvm.start(machines.resolve("near"), "--seed", seed, "--pool", "part-pool", "--node", "near",
          "--slots", "2"));
      Process far = WorkerJvm.start(machines.resolve("far"), "--seed", seed, "--pool", "part-pool", "--node", "far",
          "--slots", "2", "--cluster-port", Integer.toString(cutPort), "--advertise-port", Integer.toString(proxy.port));
      workers.add(far);
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
          usable(client).equals(Set.of("far", "near")));

      client.jobOperations().createJob("part-job", new PoolInformation().withPoolId("part-pool"));
      List<TaskAddParameter> tasks = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        tasks.add(new TaskAddParameter().withId("t" + i).withCommandLine("/bin/sh -c 'echo $AZ_BATCH_TASK_ID >> "
            + started + "; while [ ! -e " + gate + " ]; do sleep 0.1; done; echo $AZ_BATCH_TASK_ID >> " + ledger + "'"));
      }
      client.taskOperations().createTasks("part-job", tasks);
      await().atMost(Duration.ofSeconds(60)).until(() -> client.jobOperations().getTaskCounts("part-job").running() == 4);
      // Every attempt's process runs (the far worker's go on while its JVM is paused).
      await().atMost(Duration.ofSeconds(30)).until(() -> ledgerLines(started).size() == 4);
      Map<String, String> firstNode = new HashMap<>();
      for (CloudTask t : client.taskOperations().listTasks("part-job")) {
        firstNode.put(t.id(), t.nodeInfo().nodeId());
      }
      Set<String> cutOff = new TreeSet<>();
      firstNode.forEach((task, node) -> {
        if (node.equals("far")) {
          cutOff.add(task);
        }
      });
      assertEquals(2, cutOff.size(), "each node runs two: " + firstNode);

      proxy.cut();
      if (cut == Cut.BOTH_WAYS) {
        signal("STOP", far.pid());
      }
      // The far worker is downed: its tasks go back to the queue without spending a retry.
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
          !usable(client).contains("far") && client.jobOperations().getTaskCounts("part-job").active() == 2);

      // Let every attempt end: the near worker's, then the requeued ones there, and the far worker's
      // own attempts, which it runs on, cut off, and whose outcomes it keeps.
      Files.writeString(gate, "");
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
          client.jobOperations().getTaskCounts("part-job").completed() == 4);
      await().atMost(Duration.ofSeconds(30)).until(() -> ledgerLines(ledger).size() == 6);

      if (cut == Cut.BOTH_WAYS) {
        signal("CONT", far.pid());
      }
      proxy.heal();
      // Back as a new incarnation of the same node; its held reports are stale and not counted.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
          usable(client).equals(Set.of("far", "near")));
      String farLog = Files.readString(machines.resolve("far/worker.log"));
      assertTrue(farLog.contains("incarnation=2"), "the far worker joined again as a new ActorSystem");
      // The far worker judged no member: only the coordinator's view decided.
      assertFalse(farLog.contains("Marking node as UNREACHABLE"), "a worker marks no member unreachable");

      // New work on both nodes, so the far worker's reports have long been through the job.
      List<TaskAddParameter> more = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        more.add(new TaskAddParameter().withId("after" + i).withCommandLine("/bin/sh -c 'sleep 0.5'"));
      }
      client.taskOperations().createTasks("part-job", more);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
          client.jobOperations().getTaskCounts("part-job").completed() == 12);

      TaskCounts counts = client.jobOperations().getTaskCounts("part-job");
      assertEquals(12, counts.completed());
      assertEquals(12, counts.succeeded());
      assertEquals(0, counts.failed());
      assertEquals(0, counts.running());
      assertEquals(0, counts.active());
      Set<String> ranOn = new TreeSet<>();
      for (CloudTask t : client.taskOperations().listTasks("part-job")) {
        assertEquals(TaskState.COMPLETED, t.state(), t.id());
        assertEquals(Integer.valueOf(0), t.executionInfo().exitCode(), t.id());
        assertEquals(0, t.executionInfo().retryCount(), t.id());
        if (cutOff.contains(t.id())) {
          assertEquals(1, t.executionInfo().requeueCount(), "requeued once, when its node was cut off: " + t.id());
          assertEquals("near", t.nodeInfo().nodeId(), "finished elsewhere: " + t.id());
        } else if (!t.id().startsWith("after")) {
          assertEquals(0, t.executionInfo().requeueCount(), t.id());
        } else {
          ranOn.add(t.nodeInfo().nodeId());
        }
      }
      assertEquals(Set.of("far", "near"), ranOn, "the healed node takes new work");
      // At-least-once: the cut-off attempts ran to their end too (6 ledger lines for 4 tasks), but
      // each task was counted once.
      List<String> lines = ledgerLines(ledger);
      assertEquals(6, lines.size(), lines.toString());
      assertEquals(Set.of("t0", "t1", "t2", "t3"), new TreeSet<>(lines));

      // The coordinator was never downed: it is the same process, and its member never left.
      assertTrue(server.handle().isAlive(), "the coordinator runs");
      assertFalse(server.output().contains("Shutting down myself"), "the coordinator was not downed");
      assertFalse(server.output().contains("DownIndirectlyConnected"), "no member was taken as indirectly connected");
    }
  }

  private static void signal(String name, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name + " " + pid);
  }

  private static List<String> ledgerLines(Path ledger) throws Exception {
    return Files.exists(ledger) ? Files.readAllLines(ledger, StandardCharsets.UTF_8) : List.of();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The nodes that are idle or running; the states of all, when they change, on stdout (for a failure's record). */
  private Set<String> usable(BatchClient client) throws Exception {
    Set<String> ids = new TreeSet<>();
    Map<String, String> states = new java.util.TreeMap<>();
    for (ComputeNode n : client.computeNodeOperations().listComputeNodes("part-pool")) {
      states.put(n.id(), String.valueOf(n.state()));
      if (n.state() == ComputeNodeState.IDLE || n.state() == ComputeNodeState.RUNNING) {
        ids.add(n.id());
      }
    }
    if (!states.equals(lastStates)) {
      System.out.println(java.time.LocalTime.now() + " nodes: " + states);
      lastStates = states;
    }
    return ids;
  }

  private Map<String, String> lastStates = Map.of();
}
