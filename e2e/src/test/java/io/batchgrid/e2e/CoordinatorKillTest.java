package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.TaskState;

/**
 * Workers keep working while the coordinator is away (DESIGN rule 4), with the local-process
 * provider: the server is killed with -9 while its worker JVMs run long tasks. The workers and their
 * task processes live on; two tasks end while no server runs, two run across the restart. The
 * server restarts on the same data directory (its cluster port changes: the workers find it through
 * {@code <data>/cluster.seed}), adopts the same worker processes instead of starting new ones, and
 * the workers re-register and report. Every task completes once, none runs twice, none is requeued
 * or retried, the counts are exact; then the adopted nodes run new work. Each worker's Pekko
 * Management answers before the kill and again, on the same port, after it joined the new cluster.
 */
class CoordinatorKillTest {
  private static final List<String> ENDS_WHILE_DOWN = List.of("short-0", "short-1");
  private static final List<String> SPANS_RESTART = List.of("long-0", "long-1");
  private static final int AFTER = 10;

  @TempDir
  Path data;

  @TempDir
  Path shared;

  @AfterEach
  void noWorkerOutlivesTheTest() {
    workers().forEach(h -> {
      h.descendants().forEach(ProcessHandle::destroyForcibly);
      h.destroyForcibly();
    });
  }

  @Test
  void workersOutliveAKilledCoordinatorAndReconcileWithItsSuccessor() throws Exception {
    Path ledger = shared.resolve("ledger.txt");
    Path gate = shared.resolve("long-tasks-may-end");
    Map<String, Long> pidsBefore = new HashMap<>();
    Map<String, String> managementOf = new HashMap<>();
    Map<String, String> nodeOfTask = new HashMap<>();

    try (ServerProcess first = new ServerProcess(data).withArgs("--node-provider", "local-process").start()) {
      BatchClient client = client(first);
      Pools.create(client, "kill-pool", 2, 2);
      await().atMost(Duration.ofSeconds(90)).until(() -> usable(client) == 2);
      for (ComputeNode n : client.computeNodeOperations().listComputeNodes("kill-pool")) {
        pidsBefore.put(n.id(), pid(n.id()));
        managementOf.put(n.id(), managementUrl(n.id()));
        assertEquals(200, status(managementOf.get(n.id()) + "/alive"), "the worker serves management");
      }

      client.jobOperations().createJob("kill-job", new PoolInformation().withPoolId("kill-pool"));
      List<TaskAddParameter> tasks = new ArrayList<>();
      // The short ones end a moment after the kill; the long ones wait for the test to let them end,
      // after the new server is up. No timing is asserted: the test waits for each state it needs.
      for (String id : ENDS_WHILE_DOWN) {
        tasks.add(task(id, "while [ ! -e " + shared.resolve("killed") + " ]; do sleep 0.1; done; sleep 1", ledger));
      }
      for (String id : SPANS_RESTART) {
        tasks.add(task(id, "while [ ! -e " + gate + " ]; do sleep 0.1; done", ledger));
      }
      client.taskOperations().createTasks("kill-job", tasks);
      await().atMost(Duration.ofSeconds(60)).until(() ->
          client.jobOperations().getTaskCounts("kill-job").running() == 4);
      for (CloudTask t : client.taskOperations().listTasks("kill-job")) {
        nodeOfTask.put(t.id(), t.nodeInfo().nodeId());
      }

      first.kill9();
    }
    Files.writeString(shared.resolve("killed"), "");

    // No coordinator: the workers and their tasks live on, and the short tasks end meanwhile.
    await().atMost(Duration.ofSeconds(30)).until(() -> ledgerLines(ledger).containsAll(ENDS_WHILE_DOWN));
    pidsBefore.forEach((node, pid) ->
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker of " + node + " survived"));
    assertEquals(Set.of(), Set.copyOf(ledgerLines(ledger)).stream().filter(SPANS_RESTART::contains)
        .collect(Collectors.toSet()), "the long tasks are still running");

    try (ServerProcess second = new ServerProcess(data).withArgs("--node-provider", "local-process").start()) {
      long readyAt = System.nanoTime();
      BatchClient client = client(second);
      // The adopted workers join the new cluster and register: the short tasks' outcomes arrive.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
          client.jobOperations().getTaskCounts("kill-job").completed() == ENDS_WHILE_DOWN.size());
      System.out.printf("coordinator kill -9: the outcomes of the tasks that ended while it was down were counted"
          + " %.1f s after the new server was ready%n", (System.nanoTime() - readyAt) / 1e9);
      TaskCounts meanwhile = client.jobOperations().getTaskCounts("kill-job");
      assertEquals(SPANS_RESTART.size(), meanwhile.running(), "the long tasks stay running, not requeued");
      assertEquals(0, meanwhile.active());

      Files.writeString(gate, "");
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
          client.jobOperations().getTaskCounts("kill-job").completed() == 4);

      // Each worker's management came back with its new ActorSystem, on the same port, and says it
      // is a member again.
      for (String url : managementOf.values()) {
        assertEquals(200, status(url + "/alive"), url);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> status(url + "/ready") == 200);
      }
      // The same worker processes, no second one for any node.
      for (ComputeNode n : client.computeNodeOperations().listComputeNodes("kill-pool")) {
        assertEquals(pidsBefore.get(n.id()), pid(n.id()), "node " + n.id() + " was adopted, not started again");
      }
      assertEquals(2, workers().size(), "one worker process per node");

      // The adopted nodes take new work.
      List<TaskAddParameter> more = new ArrayList<>();
      for (int i = 0; i < AFTER; i++) {
        more.add(task(String.format("after-%02d", i), "true", ledger));
      }
      client.taskOperations().createTasks("kill-job", more);
      int total = 4 + AFTER;
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
          client.jobOperations().getTaskCounts("kill-job").completed() == total);

      TaskCounts counts = client.jobOperations().getTaskCounts("kill-job");
      assertEquals(total, counts.completed());
      assertEquals(total, counts.succeeded());
      assertEquals(0, counts.failed());
      assertEquals(0, counts.running());
      assertEquals(0, counts.active());
      List<CloudTask> all = client.taskOperations().listTasks("kill-job");
      assertEquals(total, all.size());
      for (CloudTask t : all) {
        assertEquals(TaskState.COMPLETED, t.state(), t.id());
        assertEquals(Integer.valueOf(0), t.executionInfo().exitCode(), t.id());
        assertEquals(0, t.executionInfo().retryCount(), t.id());
        if (!t.id().startsWith("after-")) {
          assertEquals(0, t.executionInfo().requeueCount(), "ran once, on the worker that survived: " + t.id());
          assertEquals(nodeOfTask.get(t.id()), t.nodeInfo().nodeId(), t.id());
        }
      }
      List<String> lines = ledgerLines(ledger);
      assertEquals(total, lines.size(), "no task ran twice: " + lines);
      assertEquals(all.stream().map(CloudTask::id).collect(Collectors.toCollection(TreeSet::new)), new TreeSet<>(lines));
    }
  }

  private static TaskAddParameter task(String id, String script, Path ledger) {
    return new TaskAddParameter().withId(id)
        .withCommandLine("/bin/sh -c '" + script + "; echo $AZ_BATCH_TASK_ID >> " + ledger + "'");
  }

  private static List<String> ledgerLines(Path ledger) throws Exception {
    return Files.exists(ledger) ? Files.readAllLines(ledger, StandardCharsets.UTF_8) : List.of();
  }

  /** The worker processes of this test's data directory, whoever their parent is now. */
  private List<ProcessHandle> workers() {
    String dir = data.toString();
    return ProcessHandle.allProcesses().filter(h -> h.info().arguments()
        .map(a -> List.of(a).contains("worker") && String.join(" ", a).contains(dir)).orElse(false)).toList();
  }

  private long pid(String nodeId) throws Exception {
    Path file = data.resolve("nodes").resolve(nodeId).resolve("agent.pid");
    return Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : -1;
  }

  /** The management URL a worker printed after its ready line (in its agent.log). */
  private String managementUrl(String nodeId) throws Exception {
    Path log = data.resolve("nodes").resolve(nodeId).resolve("agent.log");
    return await().atMost(Duration.ofSeconds(30)).until(() -> Files.readAllLines(log, StandardCharsets.UTF_8).stream()
        .filter(l -> l.startsWith("management: ")).map(l -> l.split(" ")[1]).findFirst().orElse(null), u -> u != null);
  }

  private static int status(String url) {
    try {
      return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
          .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static BatchClient client(ServerProcess server) {
    return BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
  }

  private static long usable(BatchClient client) throws Exception {
    return client.computeNodeOperations().listComputeNodes("kill-pool").stream()
        .filter(n -> n.state() == ComputeNodeState.IDLE || n.state() == ComputeNodeState.RUNNING).count();
  }
}
