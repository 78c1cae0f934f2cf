package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

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
 * The local-process node provider: each compute node is its own worker JVM. kill -9 of one worker
 * in the middle of a job: its running tasks are requeued without spending a retry and finish on a
 * node, every task completes and is counted once, and the pool gets its node back as a new process.
 */
class WorkerProcessFailureTest {
  private static final int TASKS = 100;

  @TempDir
  Path data;

  @TempDir
  Path shared;

  @Test
  void aKilledWorkerProcessIsReplacedAndItsTasksAreRequeued() throws Exception {
    Path ledger = shared.resolve("ledger.txt");
    try (ServerProcess server = new ServerProcess(data).withArgs("--node-provider", "local-process").start()) {
      try {
        BatchClient client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
        Pools.create(client, "lp-pool", 2, 2);
        await().atMost(Duration.ofSeconds(90)).until(() -> usable(client) == 2);
        Map<String, Long> pids = new HashMap<>();
        for (ComputeNode n : client.computeNodeOperations().listComputeNodes("lp-pool")) {
          long pid = pid(n.id());
          assertNotEquals(server.handle().pid(), pid, "a node runs in a process of its own");
          assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker process " + pid);
          pids.put(n.id(), pid);
        }

        client.jobOperations().createJob("lp-job", new PoolInformation().withPoolId("lp-pool"));
        List<TaskAddParameter> tasks = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
          tasks.add(new TaskAddParameter().withId(String.format("t%03d", i))
              .withCommandLine("/bin/sh -c 'sleep 0.2; echo $AZ_BATCH_TASK_ID >> " + ledger + "'"));
        }
        client.taskOperations().createTasks("lp-job", tasks);

        // Mid-run: a node with running tasks.
        AtomicLong victimPid = new AtomicLong();
        String[] victim = new String[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
          TaskCounts c = client.jobOperations().getTaskCounts("lp-job");
          if (c.completed() < 10) {
            return false;
          }
          for (ComputeNode n : client.computeNodeOperations().listComputeNodes("lp-pool")) {
            if (n.runningTasksCount() > 0) {
              victim[0] = n.id();
              return true;
            }
          }
          return false;
        });
        victimPid.set(pids.get(victim[0]));
        long killedAt = System.nanoTime();
        ProcessHandle.of(victimPid.get()).orElseThrow().destroyForcibly(); // SIGKILL

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
            client.taskOperations().listTasks("lp-job").stream().anyMatch(t -> t.executionInfo() != null
                && t.executionInfo().requeueCount() > 0));
        double requeuedAfter = (System.nanoTime() - killedAt) / 1e9;

        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250)).until(() ->
            client.jobOperations().getTaskCounts("lp-job").completed() == TASKS);
        TaskCounts counts = client.jobOperations().getTaskCounts("lp-job");
        assertEquals(TASKS, counts.completed());
        assertEquals(TASKS, counts.succeeded());
        assertEquals(0, counts.failed());
        assertEquals(0, counts.active());
        assertEquals(0, counts.running());

        List<CloudTask> all = client.taskOperations().listTasks("lp-job");
        assertEquals(TASKS, all.size());
        int requeued = 0;
        for (CloudTask t : all) {
          assertEquals(TaskState.COMPLETED, t.state(), t.id());
          assertEquals(Integer.valueOf(0), t.executionInfo().exitCode(), t.id());
          assertEquals(0, t.executionInfo().retryCount(), "a lost node spends no retry: " + t.id());
          if (t.executionInfo().requeueCount() > 0) {
            requeued++;
          }
        }
        assertTrue(requeued >= 1, "the killed node's running tasks were requeued");

        List<String> lines = Files.readAllLines(ledger, StandardCharsets.UTF_8);
        Set<String> ran = new TreeSet<>(lines);
        Set<String> ids = all.stream().map(CloudTask::id).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(ids, ran, "every task ran");

        // The pool replaced the node: two usable nodes again, the killed one as a new process.
        long replacedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).until(() -> usable(client) == 2
            && pid(victim[0]) != victimPid.get() && ProcessHandle.of(pid(victim[0])).map(ProcessHandle::isAlive).orElse(false));
        System.out.printf("kill -9 of %s's worker: first task requeued after %.1f s; %d tasks requeued, %d ran twice;"
            + " node usable again %.1f s after the job ended%n", victim[0], requeuedAfter, requeued,
            lines.size() - ran.size(), (System.nanoTime() - replacedAt) / 1e9);
      } finally {
        // Whatever happened, no worker outlives the test.
        server.handle().descendants().forEach(ProcessHandle::destroyForcibly);
      }
    }
  }

  private long pid(String nodeId) throws Exception {
    Path file = data.resolve("nodes").resolve(nodeId).resolve("agent.pid");
    return Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : -1;
  }

  private static long usable(BatchClient client) throws Exception {
    return client.computeNodeOperations().listComputeNodes("lp-pool").stream()
        .filter(n -> n.state() == ComputeNodeState.IDLE || n.state() == ComputeNodeState.RUNNING).count();
  }
}
