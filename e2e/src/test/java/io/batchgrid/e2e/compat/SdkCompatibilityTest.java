package io.batchgrid.e2e.compat;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.joda.time.DateTime;
import org.joda.time.Period;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.DetailLevel;
import com.microsoft.azure.batch.protocol.models.AllocationState;
import com.microsoft.azure.batch.protocol.models.AutoScaleRun;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.CertificateAddParameter;
import com.microsoft.azure.batch.protocol.models.CertificateFormat;
import com.microsoft.azure.batch.protocol.models.CloudJob;
import com.microsoft.azure.batch.protocol.models.CloudJobSchedule;
import com.microsoft.azure.batch.protocol.models.CloudPool;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeDeallocateOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeDeallocationOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeRebootOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeReimageOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ComputeNodeUser;
import com.microsoft.azure.batch.protocol.models.DisableComputeNodeSchedulingOption;
import com.microsoft.azure.batch.protocol.models.DisableJobOption;
import com.microsoft.azure.batch.protocol.models.ImageInformation;
import com.microsoft.azure.batch.protocol.models.JobAddParameter;
import com.microsoft.azure.batch.protocol.models.JobPatchOptions;
import com.microsoft.azure.batch.protocol.models.JobPatchParameter;
import com.microsoft.azure.batch.protocol.models.JobScheduleAddParameter;
import com.microsoft.azure.batch.protocol.models.JobScheduleState;
import com.microsoft.azure.batch.protocol.models.JobScheduleStatistics;
import com.microsoft.azure.batch.protocol.models.JobSpecification;
import com.microsoft.azure.batch.protocol.models.JobStatistics;
import com.microsoft.azure.batch.protocol.models.JobState;
import com.microsoft.azure.batch.protocol.models.JobUpdateParameter;
import com.microsoft.azure.batch.protocol.models.MetadataItem;
import com.microsoft.azure.batch.protocol.models.NodeFile;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.PoolNodeCounts;
import com.microsoft.azure.batch.protocol.models.PoolPatchParameter;
import com.microsoft.azure.batch.protocol.models.PoolUpdatePropertiesParameter;
import com.microsoft.azure.batch.protocol.models.Schedule;
import com.microsoft.azure.batch.protocol.models.SchedulingState;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskConstraints;
import com.microsoft.azure.batch.protocol.models.TaskCountsResult;
import com.microsoft.azure.batch.protocol.models.TaskExecutionResult;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.TaskStatistics;

import io.batchgrid.e2e.Pools;
import io.batchgrid.e2e.ServerProcess;

/**
 * The compatibility suite: every operation group of the Azure Batch data-plane specification
 * (api-version 2024-07-01.20.0), driven through the official Java SDK
 * {@code com.microsoft.azure:azure-batch:11.2.0}, unchanged, against the packaged server in its
 * own JVM with real in-process nodes running real processes. docs/compatibility.md lists every
 * operation and points here.
 *
 * <p>Each test is one operation group and asserts what a user of Azure Batch relies on: the call
 * succeeds, the state it leads to is visible through the SDK, and errors have Azure's codes. The
 * detail of each feature is tested closer to the code, through the same SDK against an in-process
 * server: api module {@code AzureSdkTest} (tasks, paging, $filter/$select), {@code AutoScaleTest},
 * {@code NodeSchedulingTest}, {@code TaskFilesTest}, {@code ApiServerTest} (conditional headers,
 * errors, fuzzed queries); the SDK over HTTPS is {@link SdkOverHttpsTest}; throughput through the
 * SDK is {@code SdkEndToEndTest}.
 */
class SdkCompatibilityTest {
  @TempDir
  static Path data;
  static ServerProcess server;
  static BatchClient client;
  static final Duration WAIT = Duration.ofSeconds(90);
  static final DetailLevel STATS = new DetailLevel.Builder().withExpandClause("stats").build();

  @BeforeAll
  static void start() throws Exception {
    server = new ServerProcess(data).start();
    client = Sdk.client(server);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static BatchErrorException error(int status, String code, Executable call) {
    BatchErrorException e = assertThrows(BatchErrorException.class, call);
    assertEquals(status, e.response().code(), e.body() == null ? e.toString() : e.body().code() + ": " + e.body().message().value());
    assertEquals(code, e.body().code());
    return e;
  }

  static void notSupported(Executable call) {
    BatchErrorException e = error(400, "FeatureNotSupported", call);
    assertNotNull(e.body().message().value());
  }

  static void waitForTask(String jobId, String taskId) {
    await().atMost(WAIT).until(() -> client.taskOperations().getTask(jobId, taskId).state() == TaskState.COMPLETED);
  }

  static List<MetadataItem> metadata(String name, String value) {
    return List.of(new MetadataItem().withName(name).withValue(value));
  }

  // ---------------------------------------------------------------------------------- account

  @Test
  void accountApplicationsAndUsageMetrics() throws Exception {
    List<ImageInformation> images = client.accountOperations().listSupportedImages();
    assertFalse(images.isEmpty());
    assertTrue(images.get(0).nodeAgentSKUId().startsWith("batch.node."), images.get(0).nodeAgentSKUId());
    assertNotNull(images.get(0).imageReference());

    Pools.create(client, "compat-counts", 1, 1);
    await().atMost(WAIT).until(() -> client.accountOperations().listPoolNodeCounts().stream()
        .anyMatch(c -> c.poolId().equals("compat-counts") && c.dedicated().idle() == 1));
    PoolNodeCounts counts = client.accountOperations().listPoolNodeCounts().stream()
        .filter(c -> c.poolId().equals("compat-counts")).findFirst().orElseThrow();
    assertEquals(1, counts.dedicated().total());
    assertEquals(0, counts.lowPriority().total());

    assertNotNull(client.applicationOperations().listApplications());
    error(404, "ApplicationNotFound", () -> client.applicationOperations().getApplication("no-such-app"));
    assertTrue(client.poolOperations().listPoolUsageMetrics(DateTime.now().minusHours(1), DateTime.now()).isEmpty());
  }

  // ------------------------------------------------------------------------------------ pools

  @Test
  void poolLifecycle() throws Exception {
    Pools.create(client, "compat-pool", 1, 2);
    assertTrue(client.poolOperations().existsPool("compat-pool"));
    assertFalse(client.poolOperations().existsPool("no-such-pool"));
    CloudPool pool = client.poolOperations().getPool("compat-pool");
    assertEquals(2, pool.taskSlotsPerNode());
    assertEquals(1, pool.currentDedicatedNodes());
    List<CloudPool> listed = client.poolOperations().listPools(new DetailLevel.Builder()
        .withFilterClause("id eq 'compat-pool'").withSelectClause("id,state").build());
    assertEquals(1, listed.size());
    assertEquals("compat-pool", listed.get(0).id());

    client.poolOperations().patchPool("compat-pool", new PoolPatchParameter().withMetadata(metadata("owner", "compat")));
    assertEquals("compat", client.poolOperations().getPool("compat-pool").metadata().get(0).value());
    client.poolOperations().updatePoolProperties("compat-pool", new PoolUpdatePropertiesParameter()
        .withMetadata(metadata("owner", "replaced")).withCertificateReferences(List.of())
        .withApplicationPackageReferences(List.of()));
    assertEquals("replaced", client.poolOperations().getPool("compat-pool").metadata().get(0).value());

    client.poolOperations().resizePool("compat-pool", 2, 0);
    await().atMost(WAIT).until(() -> {
      CloudPool p = client.poolOperations().getPool("compat-pool");
      return p.allocationState() == AllocationState.STEADY && p.currentDedicatedNodes() == 2;
    });
    client.poolOperations().stopResizePool("compat-pool");
    assertEquals(AllocationState.STEADY, client.poolOperations().getPool("compat-pool").allocationState());

    ComputeNode first = client.computeNodeOperations().listComputeNodes("compat-pool").get(0);
    client.poolOperations().removeNodesFromPool("compat-pool", List.of(first), ComputeNodeDeallocationOption.REQUEUE);
    await().atMost(WAIT).until(() -> client.computeNodeOperations().listComputeNodes("compat-pool").size() == 1);
    assertEquals(1, client.poolOperations().getPool("compat-pool").targetDedicatedNodes());

    client.poolOperations().enableAutoScale("compat-pool", "$TargetDedicatedNodes = 2;", Period.minutes(5));
    assertTrue(client.poolOperations().getPool("compat-pool").enableAutoScale());
    AutoScaleRun run = client.poolOperations().evaluateAutoScale("compat-pool", "$TargetDedicatedNodes = 3;");
    assertTrue(run.results().contains("$TargetDedicatedNodes=3"), run.results());
    error(409, "AutoScaleEnabled", () -> client.poolOperations().resizePool("compat-pool", 4, 0));
    client.poolOperations().disableAutoScale("compat-pool");
    assertFalse(client.poolOperations().getPool("compat-pool").enableAutoScale());

    client.poolOperations().deletePool("compat-pool");
    await().atMost(WAIT).until(() -> !client.poolOperations().existsPool("compat-pool"));
    error(404, "PoolNotFound", () -> client.poolOperations().getPool("compat-pool"));
    assertTrue(client.poolOperations().listPools(STATS).stream().allMatch(p -> p.stats() != null && p.stats().url().contains("/pools/")));
  }

  // ------------------------------------------------------------------------------------ nodes

  @Test
  void computeNodesAndTheirFiles() throws Exception {
    Pools.create(client, "compat-nodes", 1, 1);
    await().atMost(WAIT).until(() -> client.computeNodeOperations().listComputeNodes("compat-nodes").stream()
        .allMatch(n -> n.state() == ComputeNodeState.IDLE));
    String nodeId = client.computeNodeOperations().listComputeNodes("compat-nodes").get(0).id();
    ComputeNode node = client.computeNodeOperations().getComputeNode("compat-nodes", nodeId);
    assertEquals(SchedulingState.ENABLED, node.schedulingState());

    // A task leaves a file in the node's shared directory.
    client.jobOperations().createJob("compat-nodes-job", new PoolInformation().withPoolId("compat-nodes"));
    client.taskOperations().createTask("compat-nodes-job", new TaskAddParameter().withId("writer")
        .withCommandLine("/bin/sh -c 'echo shared > $AZ_BATCH_NODE_SHARED_DIR/compat.txt'"));
    waitForTask("compat-nodes-job", "writer");
    List<String> files = client.fileOperations().listFilesFromComputeNode("compat-nodes", nodeId, true, null)
        .stream().map(NodeFile::name).toList();
    assertTrue(files.contains("shared/compat.txt"), files.toString());
    assertEquals(7, client.fileOperations().getFilePropertiesFromComputeNode("compat-nodes", nodeId, "shared/compat.txt").contentLength());
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    client.fileOperations().getFileFromComputeNode("compat-nodes", nodeId, "shared/compat.txt", content);
    assertEquals("shared\n", content.toString(StandardCharsets.UTF_8));
    client.fileOperations().deleteFileFromComputeNode("compat-nodes", nodeId, "shared/compat.txt");
    // A HEAD answer has no body: the SDK sees the status only.
    BatchErrorException gone = assertThrows(BatchErrorException.class,
        () -> client.fileOperations().getFilePropertiesFromComputeNode("compat-nodes", nodeId, "shared/compat.txt"));
    assertEquals(404, gone.response().code());

    client.computeNodeOperations().disableComputeNodeScheduling("compat-nodes", nodeId, DisableComputeNodeSchedulingOption.REQUEUE);
    assertEquals(SchedulingState.DISABLED, client.computeNodeOperations().getComputeNode("compat-nodes", nodeId).schedulingState());
    client.computeNodeOperations().enableComputeNodeScheduling("compat-nodes", nodeId);
    assertEquals(SchedulingState.ENABLED, client.computeNodeOperations().getComputeNode("compat-nodes", nodeId).schedulingState());
    error(404, "NodeNotFound", () -> client.computeNodeOperations().getComputeNode("compat-nodes", "no-such-node"));
  }

  /**
   * Node reboot, reimage, deallocate, start and uploadbatchservicelogs: each is either served (202
   * / 200) or refused with 400 FeatureNotSupported and a reason, never a 404, 405 or 5xx. What a
   * served one does to the node is tested where it is implemented. uploadbatchservicelogs is served:
   * 200 with the virtual directory once the node's agent answers (409 NodeNotReady before).
   */
  @Test
  void nodeLifecycleOperationsAnswerAsDocumented() throws Throwable {
    Pools.create(client, "compat-life", 1, 1);
    String nodeId = client.computeNodeOperations().listComputeNodes("compat-life").get(0).id();
    com.microsoft.azure.batch.protocol.models.UploadBatchServiceLogsResult logs = await()
        .atMost(Duration.ofSeconds(60)).until(() -> {
          try {
            return client.computeNodeOperations().uploadBatchServiceLogs("compat-life", nodeId,
                "https://account.blob.core.windows.net/logs?sv=x", DateTime.now().minusHours(1));
          } catch (BatchErrorException e) {
            if (e.response().code() == 409) {
              return null; // the node's agent has not registered yet
            }
            throw e;
          }
        }, java.util.Objects::nonNull);
    // In-process nodes log to the server's log: they have no agent.* files to upload.
    assertEquals(0, logs.numberOfFilesUploaded());
    assertTrue(logs.virtualDirectoryName().startsWith("compat-life/" + nodeId + "/"), logs.virtualDirectoryName());
    List<Executable> calls = List.of(
        // The SDK's overloads without an option send no body, which its own HTTP layer refuses: give the option.
        () -> client.computeNodeOperations().rebootComputeNode("compat-life", nodeId, ComputeNodeRebootOption.REQUEUE),
        () -> client.computeNodeOperations().reimageComputeNode("compat-life", nodeId, ComputeNodeReimageOption.REQUEUE),
        () -> client.computeNodeOperations().deallocateComputeNode("compat-life", nodeId, ComputeNodeDeallocateOption.REQUEUE),
        () -> client.computeNodeOperations().startComputeNode("compat-life", nodeId));
    for (Executable call : calls) {
      try {
        call.execute();
      } catch (BatchErrorException e) {
        // Not supported, or refused for the state the node is in now (e.g. start of a node that runs).
        int status = e.response().code();
        assertTrue(status == 400 && e.body().code().equals("FeatureNotSupported") || status == 409,
            status + " " + e.body().code());
      }
    }
  }

  // ------------------------------------------------------------------------------------- jobs

  @Test
  void jobLifecycle() throws Exception {
    Pools.create(client, "compat-jobs", 1, 1);
    client.jobOperations().createJob(new JobAddParameter().withId("compat-job").withPriority(10)
        .withPoolInfo(new PoolInformation().withPoolId("compat-jobs")).withMetadata(metadata("stage", "new")));
    CloudJob job = client.jobOperations().getJob("compat-job");
    assertEquals(JobState.ACTIVE, job.state());
    assertEquals(10, job.priority());
    assertEquals(1, client.jobOperations().listJobs(new DetailLevel.Builder()
        .withFilterClause("id eq 'compat-job'").build()).size());
    error(409, "JobExists", () -> client.jobOperations().createJob("COMPAT-JOB", new PoolInformation().withPoolId("compat-jobs")));

    client.jobOperations().patchJob("compat-job", new JobPatchParameter().withPriority(20));
    assertEquals(20, client.jobOperations().getJob("compat-job").priority());
    client.jobOperations().updateJob("compat-job", new JobUpdateParameter()
        .withPoolInfo(new PoolInformation().withPoolId("compat-jobs")).withMetadata(metadata("stage", "updated")));
    job = client.jobOperations().getJob("compat-job");
    assertEquals(0, job.priority(), "PUT resets what it does not give");
    assertEquals("updated", job.metadata().get(0).value());

    // A conditional write with an ETag that is no longer current: 412, nothing changed.
    String stale = job.eTag();
    client.jobOperations().patchJob("compat-job", new JobPatchParameter().withPriority(30));
    error(412, "ConditionNotMet", () -> client.protocolLayer().jobs().patch("compat-job",
        new JobPatchParameter().withPriority(40), new JobPatchOptions().withIfMatch(stale)));
    CloudJob current = client.jobOperations().getJob("compat-job");
    assertEquals(30, current.priority());
    client.protocolLayer().jobs().patch("compat-job", new JobPatchParameter().withPriority(40),
        new JobPatchOptions().withIfMatch(current.eTag()));
    assertEquals(40, client.jobOperations().getJob("compat-job").priority());
    assertNotEquals(current.eTag(), client.jobOperations().getJob("compat-job").eTag());

    client.jobOperations().disableJob("compat-job", DisableJobOption.REQUEUE);
    assertEquals(JobState.DISABLED, client.jobOperations().getJob("compat-job").state());
    client.jobOperations().enableJob("compat-job");
    assertEquals(JobState.ACTIVE, client.jobOperations().getJob("compat-job").state());

    client.taskOperations().createTask("compat-job", new TaskAddParameter().withId("t").withCommandLine("/bin/sleep 1"));
    client.taskOperations().createTask("compat-job", new TaskAddParameter().withId("f").withCommandLine("/bin/false"));
    waitForTask("compat-job", "t");
    waitForTask("compat-job", "f");
    TaskCountsResult counts = client.jobOperations().getTaskCountsResult("compat-job");
    assertEquals(1, counts.taskCounts().succeeded());
    assertEquals(1, counts.taskSlotCounts().succeeded());

    // Statistics when expanded, computed from the tasks: the sleep's second is in the wall clock.
    JobStatistics stats = client.jobOperations().getJob("compat-job", STATS).stats();
    assertEquals(1, stats.numSucceededTasks());
    assertEquals(1, stats.numFailedTasks());
    assertTrue(stats.wallClockTime().toStandardDuration().getMillis() >= 1000, stats.wallClockTime().toString());
    assertEquals(0, stats.readIOps());
    assertTrue(stats.url().endsWith("/jobs/compat-job"), stats.url());
    TaskStatistics taskStats = client.taskOperations().getTask("compat-job", "t", STATS).stats();
    assertTrue(taskStats.wallClockTime().toStandardDuration().getMillis() >= 1000, taskStats.wallClockTime().toString());
    assertTrue(client.taskOperations().listTasks("compat-job", STATS).stream().allMatch(t -> t.stats() != null));
    assertTrue(client.jobOperations().listJobs(STATS).stream().allMatch(j -> j.stats() != null));

    // Preparation and release task status: an empty list, or Azure's 409 for a job without a preparation task.
    try {
      assertTrue(client.jobOperations().listPreparationAndReleaseTaskStatus("compat-job").isEmpty());
    } catch (BatchErrorException e) {
      assertEquals("JobPreparationTaskNotSpecified", e.body().code());
      assertEquals(409, e.response().code());
    }

    client.jobOperations().terminateJob("compat-job", "done by the compatibility suite");
    await().atMost(WAIT).until(() -> client.jobOperations().getJob("compat-job").state() == JobState.COMPLETED);
    assertEquals("done by the compatibility suite", client.jobOperations().getJob("compat-job").executionInfo().terminateReason());
    client.jobOperations().deleteJob("compat-job");
    await().atMost(WAIT).until(() -> {
      try {
        client.jobOperations().getJob("compat-job");
        return false;
      } catch (BatchErrorException e) {
        return e.body().code().equals("JobNotFound");
      }
    });
  }

  // ------------------------------------------------------------------------------ job schedules

  @Test
  void jobScheduleLifecycle() throws Exception {
    Pools.create(client, "compat-schedules", 0, 1);
    JobSpecification spec = new JobSpecification().withPoolInfo(new PoolInformation().withPoolId("compat-schedules"));
    // No doNotRunUntil and no recurrence: one run, at once.
    client.jobScheduleOperations().createJobSchedule(new JobScheduleAddParameter().withId("compat-schedule")
        .withSchedule(new Schedule()).withJobSpecification(spec));
    assertTrue(client.jobScheduleOperations().existsJobSchedule("compat-schedule"));
    assertFalse(client.jobScheduleOperations().existsJobSchedule("no-such-schedule"));
    await().atMost(WAIT).until(() -> client.jobOperations().listJobs("compat-schedule").size() == 1);
    CloudJob created = client.jobOperations().listJobs("compat-schedule").get(0);
    assertEquals(created.id(), client.jobScheduleOperations().getJobSchedule("compat-schedule").executionInfo().recentJob().id());
    assertTrue(client.jobScheduleOperations().listJobSchedules().stream().anyMatch(s -> s.id().equals("compat-schedule")));

    DateTime later = DateTime.now().plusDays(1);
    client.jobScheduleOperations().patchJobSchedule("compat-schedule",
        new Schedule().withDoNotRunUntil(later).withRecurrenceInterval(Period.hours(1)), null);
    CloudJobSchedule patched = client.jobScheduleOperations().getJobSchedule("compat-schedule");
    assertEquals(Period.hours(1).toStandardDuration(), patched.schedule().recurrenceInterval().toStandardDuration());
    client.jobScheduleOperations().updateJobSchedule("compat-schedule",
        new Schedule().withDoNotRunUntil(later), spec.withPriority(7));
    assertEquals(7, client.jobScheduleOperations().getJobSchedule("compat-schedule").jobSpecification().priority());

    JobScheduleStatistics scheduleStats = client.jobScheduleOperations().getJobSchedule("compat-schedule", STATS).stats();
    assertEquals(0, scheduleStats.numSucceededTasks());
    assertTrue(scheduleStats.url().endsWith("/jobschedules/compat-schedule"), scheduleStats.url());
    client.jobScheduleOperations().disableJobSchedule("compat-schedule");
    assertEquals(JobScheduleState.DISABLED, client.jobScheduleOperations().getJobSchedule("compat-schedule").state());
    client.jobScheduleOperations().enableJobSchedule("compat-schedule");
    assertEquals(JobScheduleState.ACTIVE, client.jobScheduleOperations().getJobSchedule("compat-schedule").state());
    client.jobScheduleOperations().terminateJobSchedule("compat-schedule");
    await().atMost(WAIT).until(() ->
        client.jobScheduleOperations().getJobSchedule("compat-schedule").state() == JobScheduleState.COMPLETED);
    client.jobScheduleOperations().deleteJobSchedule("compat-schedule");
    await().atMost(WAIT).until(() -> !client.jobScheduleOperations().existsJobSchedule("compat-schedule"));
    error(404, "JobScheduleNotFound", () -> client.jobScheduleOperations().getJobSchedule("compat-schedule"));
  }

  // ------------------------------------------------------------------------------------ tasks

  @Test
  void taskLifecycleAndFiles() throws Exception {
    Pools.create(client, "compat-tasks", 1, 2);
    client.jobOperations().createJob("compat-tasks-job", new PoolInformation().withPoolId("compat-tasks"));
    client.taskOperations().createTask("compat-tasks-job", new TaskAddParameter().withId("echo")
        .withCommandLine("/bin/sh -c 'echo out; echo err >&2; mkdir -p sub; echo x > sub/x.txt'"));
    List<TaskAddParameter> collection = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      collection.add(new TaskAddParameter().withId("many-" + i).withCommandLine("/bin/true"));
    }
    client.taskOperations().createTasks("compat-tasks-job", collection);
    error(409, "TaskExists", () -> client.taskOperations().createTask("compat-tasks-job",
        new TaskAddParameter().withId("ECHO").withCommandLine("/bin/true")));
    await().atMost(WAIT).until(() -> client.jobOperations().getTaskCounts("compat-tasks-job").completed() == 6);
    assertEquals(5, client.taskOperations().listTasks("compat-tasks-job", new DetailLevel.Builder()
        .withFilterClause("startswith(id,'many-')").withSelectClause("id,state").build()).size());

    CloudTask echo = client.taskOperations().getTask("compat-tasks-job", "echo");
    assertEquals(TaskExecutionResult.SUCCESS, echo.executionInfo().result());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("compat-tasks-job", "echo", "stdout.txt", out);
    assertEquals("out\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(4, client.fileOperations().getFilePropertiesFromTask("compat-tasks-job", "echo", "stderr.txt").contentLength());
    // The command ran in the task's working directory, wd/.
    List<String> files = client.fileOperations().listFilesFromTask("compat-tasks-job", "echo", true, null)
        .stream().map(NodeFile::name).toList();
    assertTrue(files.contains("wd/sub/x.txt"), files.toString());
    error(409, "DirectoryNotEmpty", () -> client.fileOperations().deleteFileFromTask("compat-tasks-job", "echo", "wd/sub", false));
    client.fileOperations().deleteFileFromTask("compat-tasks-job", "echo", "wd/sub", true);
    assertTrue(client.fileOperations().listFilesFromTask("compat-tasks-job", "echo", true, null).stream()
        .noneMatch(f -> f.name().startsWith("wd/sub")));

    // An ordinary task has no subtasks.
    assertTrue(client.taskOperations().listSubtasks("compat-tasks-job", "echo").isEmpty());

    // update, terminate: a long task gets new constraints, then is ended.
    client.taskOperations().createTask("compat-tasks-job", new TaskAddParameter().withId("long").withCommandLine("/bin/sleep 300"));
    await().atMost(WAIT).until(() -> client.taskOperations().getTask("compat-tasks-job", "long").state() == TaskState.RUNNING);
    client.taskOperations().updateTask("compat-tasks-job", "long", new TaskConstraints().withMaxTaskRetryCount(2));
    assertEquals(2, client.taskOperations().getTask("compat-tasks-job", "long").constraints().maxTaskRetryCount());
    client.taskOperations().terminateTask("compat-tasks-job", "long");
    waitForTask("compat-tasks-job", "long");
    assertEquals(TaskExecutionResult.FAILURE, client.taskOperations().getTask("compat-tasks-job", "long").executionInfo().result());

    // reactivate: a failed task runs again.
    client.taskOperations().createTask("compat-tasks-job", new TaskAddParameter().withId("fails").withCommandLine("/bin/false"));
    waitForTask("compat-tasks-job", "fails");
    assertEquals(1, client.taskOperations().getTask("compat-tasks-job", "fails").executionInfo().exitCode());
    error(409, "TaskNotFailed", () -> client.taskOperations().reactivateTask("compat-tasks-job", "echo"));
    DateTime firstEnd = client.taskOperations().getTask("compat-tasks-job", "fails").executionInfo().endTime();
    client.taskOperations().reactivateTask("compat-tasks-job", "fails");
    await().atMost(WAIT).until(() -> {
      CloudTask t = client.taskOperations().getTask("compat-tasks-job", "fails");
      return t.state() == TaskState.COMPLETED && t.executionInfo().endTime().isAfter(firstEnd);
    });

    client.taskOperations().deleteTask("compat-tasks-job", "fails");
    error(404, "TaskNotFound", () -> client.taskOperations().getTask("compat-tasks-job", "fails"));
  }

  // ----------------------------------------------------------- what self-hosted nodes do not have

  @Test
  void certificatesRemoteUsersAndExtensionsAreFeatureNotSupported() throws Exception {
    String thumbprint = "0123456789abcdef0123456789abcdef01234567";
    notSupported(() -> client.certificateOperations().listCertificates());
    notSupported(() -> client.certificateOperations().getCertificate("sha1", thumbprint));
    notSupported(() -> client.certificateOperations().createCertificate(new CertificateAddParameter()
        .withThumbprint(thumbprint).withThumbprintAlgorithm("sha1").withData("MIIC").withCertificateFormat(CertificateFormat.CER)));
    notSupported(() -> client.certificateOperations().deleteCertificate("sha1", thumbprint));
    notSupported(() -> client.certificateOperations().cancelDeleteCertificate("sha1", thumbprint));

    Pools.create(client, "compat-unsupported", 1, 1);
    String nodeId = client.computeNodeOperations().listComputeNodes("compat-unsupported").get(0).id();
    notSupported(() -> client.computeNodeOperations().addComputeNodeUser("compat-unsupported", nodeId,
        new ComputeNodeUser().withName("someone").withPassword("Secret-123")));
    notSupported(() -> client.computeNodeOperations().updateComputeNodeUser("compat-unsupported", nodeId, "someone", "Secret-456"));
    notSupported(() -> client.computeNodeOperations().deleteComputeNodeUser("compat-unsupported", nodeId, "someone"));
    notSupported(() -> client.computeNodeOperations().getComputeNodeRemoteLoginSettings("compat-unsupported", nodeId));
    notSupported(() -> client.protocolLayer().computeNodeExtensions().list("compat-unsupported", nodeId));
    notSupported(() -> client.protocolLayer().computeNodeExtensions().get("compat-unsupported", nodeId, "an-extension"));
  }
}
