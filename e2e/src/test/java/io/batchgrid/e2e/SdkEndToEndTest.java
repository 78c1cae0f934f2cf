package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.EnvironmentSetting;
import com.microsoft.azure.batch.protocol.models.NodeFile;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.TaskExecutionResult;
import com.microsoft.azure.batch.protocol.models.TaskState;

/** The official Azure Batch Java SDK against the packaged server in its own JVM. */
class SdkEndToEndTest {
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


  @Test
  void twoHundredTasksRunThroughTheSdk() throws Exception {
    Pools.create(client, "sdk-pool", 2, 2);
    assertEquals("batch.node.ubuntu 22.04", client.poolOperations().getPool("sdk-pool").virtualMachineConfiguration().nodeAgentSKUId());
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      List<ComputeNode> nodes = client.computeNodeOperations().listComputeNodes("sdk-pool");
      return nodes.size() == 2 && nodes.stream().allMatch(n -> n.state() == ComputeNodeState.IDLE);
    });

    client.jobOperations().createJob("sdk-job", new PoolInformation().withPoolId("sdk-pool"));
    List<TaskAddParameter> tasks = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      tasks.add(new TaskAddParameter().withId("task-" + i)
          .withCommandLine("/bin/sh -c 'echo hello from $AZ_BATCH_TASK_ID on $AZ_BATCH_NODE_ID; echo $GREETING >&2'")
          .withEnvironmentSettings(List.of(new EnvironmentSetting().withName("GREETING").withValue("hi-" + i))));
    }
    // createTasks of SDK 11.2.0 can hang on its own for more than 100 tasks per call (its coordinating
    // thread can miss a worker's notification), so the 200 go in two calls of 100.
    client.taskOperations().createTasks("sdk-job", tasks.subList(0, 100));
    client.taskOperations().createTasks("sdk-job", tasks.subList(100, 200));

    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() ->
        client.jobOperations().getTaskCounts("sdk-job").completed() == 200);
    TaskCounts counts = client.jobOperations().getTaskCounts("sdk-job");
    assertEquals(200, counts.succeeded());
    assertEquals(0, counts.failed());
    assertEquals(0, counts.active());

    List<CloudTask> listed = client.taskOperations().listTasks("sdk-job");
    assertEquals(200, listed.size());
    assertTrue(listed.stream().allMatch(t -> t.state() == TaskState.COMPLETED
        && t.executionInfo().result() == TaskExecutionResult.SUCCESS && t.executionInfo().exitCode() == 0));

    CloudTask t7 = client.taskOperations().getTask("sdk-job", "task-7");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("sdk-job", "task-7", "stdout.txt", stdout);
    assertEquals("hello from task-7 on " + t7.nodeInfo().nodeId() + "\n", stdout.toString(StandardCharsets.UTF_8));
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("sdk-job", "task-7", "stderr.txt", stderr);
    assertEquals("hi-7\n", stderr.toString(StandardCharsets.UTF_8));
    List<NodeFile> files = client.fileOperations().listFilesFromTask("sdk-job", "task-7");
    assertTrue(files.stream().anyMatch(f -> f.name().equals("stdout.txt")), "files: " + files);
    assertEquals(stdout.size(), client.fileOperations().getFilePropertiesFromTask("sdk-job", "task-7", "stdout.txt").contentLength());
  }

  @Test
  void errorsComeBackWithAzureCodes() throws Exception {
    BatchErrorException missing = assertThrows(BatchErrorException.class, () -> client.jobOperations().getJob("no-such-job"));
    assertEquals("JobNotFound", missing.body().code());
    assertEquals(404, missing.response().code());

    Pools.create(client, "err-pool", 0, 1);
    client.jobOperations().createJob("err-job", new PoolInformation().withPoolId("err-pool"));
    BatchErrorException exists = assertThrows(BatchErrorException.class,
        () -> client.jobOperations().createJob("ERR-JOB", new PoolInformation().withPoolId("err-pool")));
    assertEquals("JobExists", exists.body().code());
    client.taskOperations().createTask("err-job", new TaskAddParameter().withId("dup").withCommandLine("/bin/true"));
    BatchErrorException dup = assertThrows(BatchErrorException.class,
        () -> client.taskOperations().createTask("err-job", new TaskAddParameter().withId("dup").withCommandLine("/bin/true")));
    assertEquals("TaskExists", dup.body().code());
    assertEquals(409, dup.response().code());

    BatchClient wrongKey = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT,
        java.util.Base64.getEncoder().encodeToString("not the key".getBytes(StandardCharsets.UTF_8))));
    BatchErrorException denied = assertThrows(BatchErrorException.class, () -> wrongKey.jobOperations().getJob("err-job"));
    assertEquals("AuthenticationFailed", denied.body().code());
    assertEquals(403, denied.response().code());
  }

  @Test
  void aJobPreparationThatFailsKeepsTheJobOffTheNodeAndShowsInItsStatus() throws Exception {
    Pools.create(client, "prep-sdk-pool", 1, 1);
    com.microsoft.azure.batch.protocol.models.JobReleaseTask release =
        new com.microsoft.azure.batch.protocol.models.JobReleaseTask().withCommandLine("/bin/true");
    BatchErrorException orphanRelease = assertThrows(BatchErrorException.class, () -> client.jobOperations().createJob(
        new com.microsoft.azure.batch.protocol.models.JobAddParameter().withId("release-only")
            .withPoolInfo(new PoolInformation().withPoolId("prep-sdk-pool")).withJobReleaseTask(release)));
    assertEquals("InvalidPropertyValue", orphanRelease.body().code());
    assertEquals(400, orphanRelease.response().code());
    com.microsoft.azure.batch.protocol.models.JobPreparationTask prep =
        new com.microsoft.azure.batch.protocol.models.JobPreparationTask().withCommandLine("/bin/sh -c 'exit 7'")
            .withConstraints(new com.microsoft.azure.batch.protocol.models.TaskConstraints().withMaxTaskRetryCount(1));
    BatchErrorException longRelease = assertThrows(BatchErrorException.class, () -> client.jobOperations().createJob(
        new com.microsoft.azure.batch.protocol.models.JobAddParameter().withId("long-release")
            .withPoolInfo(new PoolInformation().withPoolId("prep-sdk-pool")).withJobPreparationTask(prep)
            .withJobReleaseTask(new com.microsoft.azure.batch.protocol.models.JobReleaseTask().withCommandLine("/bin/true")
                .withMaxWallClockTime(org.joda.time.Period.minutes(20)))));
    assertEquals("InvalidPropertyValue", longRelease.body().code());

    client.jobOperations().createJob(new com.microsoft.azure.batch.protocol.models.JobAddParameter().withId("prep-fail")
        .withPoolInfo(new PoolInformation().withPoolId("prep-sdk-pool")).withJobPreparationTask(prep).withJobReleaseTask(release));
    com.microsoft.azure.batch.protocol.models.CloudJob job = client.jobOperations().getJob("prep-fail");
    assertEquals("jobpreparation", job.jobPreparationTask().id());
    assertTrue(job.jobPreparationTask().waitForSuccess());
    assertEquals("jobrelease", job.jobReleaseTask().id());
    assertEquals(org.joda.time.Period.minutes(15), job.jobReleaseTask().maxWallClockTime().normalizedStandard());
    BatchErrorException clash = assertThrows(BatchErrorException.class, () -> client.taskOperations().createTask("prep-fail",
        new TaskAddParameter().withId("JobPreparation").withCommandLine("/bin/true")));
    assertEquals("TaskIdSameAsJobPreparationTask", clash.body().code());
    assertEquals(409, clash.response().code());
    client.taskOperations().createTask("prep-fail", new TaskAddParameter().withId("t1").withCommandLine("/bin/true"));

    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
        client.jobOperations().listPreparationAndReleaseTaskStatus("prep-fail").stream().anyMatch(s ->
            s.jobPreparationTaskExecutionInfo().state() == com.microsoft.azure.batch.protocol.models.JobPreparationTaskState.COMPLETED));
    List<com.microsoft.azure.batch.protocol.models.JobPreparationAndReleaseTaskExecutionInformation> status =
        client.jobOperations().listPreparationAndReleaseTaskStatus("prep-fail");
    assertEquals(1, status.size());
    com.microsoft.azure.batch.protocol.models.JobPreparationTaskExecutionInformation info = status.get(0).jobPreparationTaskExecutionInfo();
    assertEquals(Integer.valueOf(7), info.exitCode());
    assertEquals(1, info.retryCount(), "retried once, as its constraints allow");
    assertEquals(TaskExecutionResult.FAILURE, info.result());
    assertEquals("FailureExitCode", info.failureInfo().code());
    // waitForSuccess: the only node's preparation failed, so the task stays active.
    assertEquals(TaskState.ACTIVE, client.taskOperations().getTask("prep-fail", "t1").state());
    // $filter and $select as the spec allows them.
    assertEquals(0, client.protocolLayer().jobs().listPreparationAndReleaseTaskStatus("prep-fail",
        new com.microsoft.azure.batch.protocol.models.JobListPreparationAndReleaseTaskStatusOptions()
            .withFilter("jobPreparationTaskExecutionInfo/result eq 'success'")).size());
    var selected = client.protocolLayer().jobs().listPreparationAndReleaseTaskStatus("prep-fail",
        new com.microsoft.azure.batch.protocol.models.JobListPreparationAndReleaseTaskStatusOptions()
            .withFilter("jobPreparationTaskExecutionInfo/exitCode eq 7").withSelect("nodeId"));
    assertEquals(1, selected.size());
    assertEquals(status.get(0).nodeId(), selected.get(0).nodeId());
    assertEquals(null, selected.get(0).poolId());

    // Terminated, the job runs its release where the preparation ran, then completes.
    client.jobOperations().terminateJob("prep-fail", "UserTerminate");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
        client.jobOperations().getJob("prep-fail").state() == com.microsoft.azure.batch.protocol.models.JobState.COMPLETED);
    var released = client.jobOperations().listPreparationAndReleaseTaskStatus("prep-fail").get(0).jobReleaseTaskExecutionInfo();
    assertEquals(com.microsoft.azure.batch.protocol.models.JobReleaseTaskState.COMPLETED, released.state());
    assertEquals(Integer.valueOf(0), released.exitCode());
    assertEquals("workitems/prep-fail/job-1/jobrelease", released.taskRootDirectory());
  }
}
