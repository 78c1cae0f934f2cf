package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.TaskState;

/**
 * kill -9 of the server, then a restart on the same data directory: everything acknowledged is
 * there, completed tasks keep their results and files, running tasks go back to the queue without
 * spending a retry and complete, and every task is counted once.
 */
class CrashRecoveryTest {
  @TempDir
  Path data;

  private static BatchClient client(ServerProcess server) {
    return BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
  }


  private static String stdout(BatchClient client, String job, String task) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask(job, task, "stdout.txt", out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void runningTasksAreRequeuedAndCompletedTasksKeepTheirResults() throws Exception {
    Map<String, CloudTask> before;
    Set<String> wasRunning;
    try (ServerProcess first = new ServerProcess(data).start()) {
      BatchClient client = client(first);
      Pools.create(client, "crash-pool", 2, 2);
      client.jobOperations().createJob("crash-job", new PoolInformation().withPoolId("crash-pool"));
      List<TaskAddParameter> tasks = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        tasks.add(new TaskAddParameter().withId("quick-" + i).withCommandLine("/bin/sh -c 'echo out-$AZ_BATCH_TASK_ID'"));
      }
      for (int i = 0; i < 8; i++) {
        tasks.add(new TaskAddParameter().withId("slow-" + i).withCommandLine("/bin/sh -c 'sleep 3; echo out-$AZ_BATCH_TASK_ID'"));
      }
      client.taskOperations().createTasks("crash-job", tasks);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
        TaskCounts c = client.jobOperations().getTaskCounts("crash-job");
        return c.completed() >= 20 && c.running() > 0;
      });
      before = client.taskOperations().listTasks("crash-job").stream().collect(Collectors.toMap(CloudTask::id, Function.identity()));
      wasRunning = before.values().stream().filter(t -> t.state() == TaskState.RUNNING).map(CloudTask::id).collect(Collectors.toSet());
      first.kill9();
    }

    try (ServerProcess second = new ServerProcess(data).start()) {
      BatchClient client = client(second);
      assertEquals("crash-pool", client.poolOperations().getPool("crash-pool").id());
      assertEquals(28, client.taskOperations().listTasks("crash-job").size());
      for (CloudTask t : before.values()) {
        if (t.state() == TaskState.COMPLETED) {
          CloudTask now = client.taskOperations().getTask("crash-job", t.id());
          assertEquals(TaskState.COMPLETED, now.state(), t.id());
          assertEquals(t.executionInfo().exitCode(), now.executionInfo().exitCode());
          assertEquals(t.executionInfo().endTime(), now.executionInfo().endTime());
          assertEquals("out-" + t.id() + "\n", stdout(client, "crash-job", t.id()));
        }
      }
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
          client.jobOperations().getTaskCounts("crash-job").completed() == 28);
      TaskCounts counts = client.jobOperations().getTaskCounts("crash-job");
      assertEquals(28, counts.succeeded());
      assertEquals(0, counts.failed());
      for (String id : wasRunning) {
        CloudTask t = client.taskOperations().getTask("crash-job", id);
        assertEquals(0, t.executionInfo().retryCount(), id + " spent a retry");
        assertTrue(t.executionInfo().requeueCount() >= 1, id + " was not requeued");
        assertEquals("out-" + id + "\n", stdout(client, "crash-job", id));
      }
    }
  }

  @Test
  void everyAcknowledgedTaskSurvivesAKillDuringSubmission() throws Exception {
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    try (ServerProcess first = new ServerProcess(data).start()) {
      BatchClient client = client(first);
      Pools.create(client, "sub-pool", 1, 1);
      client.jobOperations().createJob("sub-job", new PoolInformation().withPoolId("sub-pool"));
      AtomicBoolean stop = new AtomicBoolean();
      Thread submitter = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          String id = "t-" + i;
          try {
            client.taskOperations().createTask("sub-job", new TaskAddParameter().withId(id).withCommandLine("/bin/true"));
            acknowledged.add(id);
          } catch (Exception e) {
            return; // the server is gone
          }
        }
      });
      submitter.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 100);
      first.kill9();
      stop.set(true);
      submitter.join(30_000);
    }
    try (ServerProcess second = new ServerProcess(data).start()) {
      BatchClient client = client(second);
      Set<String> present = client.taskOperations().listTasks("sub-job").stream().map(CloudTask::id).collect(Collectors.toSet());
      assertTrue(present.containsAll(acknowledged),
          "lost after kill -9: " + acknowledged.stream().filter(id -> !present.contains(id)).toList());
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
          client.jobOperations().getTaskCounts("sub-job").completed() == present.size());
      assertEquals(present.size(), client.jobOperations().getTaskCounts("sub-job").succeeded());
    }
  }
}
