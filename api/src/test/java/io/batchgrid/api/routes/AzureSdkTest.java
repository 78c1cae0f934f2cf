package io.batchgrid.api.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.CloudJob;
import com.microsoft.azure.batch.protocol.models.CloudPool;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.JobState;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCountsResult;
import com.microsoft.azure.batch.protocol.models.TaskListOptions;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

/** The official Azure Batch Java SDK 11.2.0, unchanged, against the API. */
class AzureSdkTest {
  static TestServer server;
  static BatchClient client;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer(TestServer.NO_NODES);
    client = BatchClient.open(new BatchSharedKeyCredentials(server.baseUrl, TestServer.ACCOUNT,
        Base64.getEncoder().encodeToString(TestServer.KEY)));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String code(BatchErrorException e) {
    return e.body().code();
  }

  @Test
  @Timeout(120)
  void poolsJobsAndTasksThroughTheSdk() throws Exception {
    VirtualMachineConfiguration vm = new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("canonical").withOffer("ubuntu").withSku("22_04-lts"))
        .withNodeAgentSKUId("batch.node.ubuntu 22.04");
    client.poolOperations().createPool("sdk-pool", "standard_d2s_v3", vm, 2);
    assertTrue(client.poolOperations().existsPool("sdk-pool"));
    assertFalse(client.poolOperations().existsPool("no-such-pool"));
    CloudPool pool = client.poolOperations().getPool("sdk-pool");
    assertEquals("batch.node.ubuntu 22.04", pool.virtualMachineConfiguration().nodeAgentSKUId());
    assertTrue(client.poolOperations().listPools().stream().anyMatch(p -> p.id().equals("sdk-pool")));
    assertEquals(2, client.computeNodeOperations().listComputeNodes("sdk-pool").size());

    client.jobOperations().createJob("sdk-job", new PoolInformation().withPoolId("sdk-pool"));
    CloudJob job = client.jobOperations().getJob("sdk-job");
    assertEquals(JobState.ACTIVE, job.state());

    List<TaskAddParameter> tasks = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      tasks.add(new TaskAddParameter().withId(String.format("task-%03d", i)).withCommandLine("/bin/true"));
    }
    // createTasks in SDK 11.2.0 can hang for more than 100 tasks: its coordinating thread waits again
    // when the worker that just notified it has not quite terminated, and nobody notifies it twice.
    // At most 100 tasks per call (one worker) avoids that race; the service side is the same either way.
    for (int i = 0; i < tasks.size(); i += 100) {
      client.taskOperations().createTasks("sdk-job", tasks.subList(i, Math.min(tasks.size(), i + 100)));
    }
    client.taskOperations().createTask("sdk-job", new TaskAddParameter().withId("single").withCommandLine("echo one"));

    // Pages of 40 through odata.nextLink, followed (and signed) by the SDK itself.
    Set<String> ids = new HashSet<>();
    for (CloudTask t : client.protocolLayer().tasks().list("sdk-job", new TaskListOptions().withMaxResults(40))) {
      assertTrue(ids.add(t.id()), t.id());
    }
    assertEquals(251, ids.size());
    assertEquals(251, client.taskOperations().listTasks("sdk-job").size());

    CloudTask single = client.taskOperations().getTask("sdk-job", "single");
    assertEquals("echo one", single.commandLine());
    TaskCountsResult counts = client.protocolLayer().jobs().getTaskCounts("sdk-job");
    assertEquals(251, counts.taskCounts().active());

    BatchErrorException missing = assertThrows(BatchErrorException.class, () -> client.jobOperations().getJob("no-job"));
    assertEquals("JobNotFound", code(missing));
    BatchErrorException duplicate = assertThrows(BatchErrorException.class, () ->
        client.taskOperations().createTask("sdk-job", new TaskAddParameter().withId("single").withCommandLine("x")));
    assertEquals("TaskExists", code(duplicate));

    client.taskOperations().terminateTask("sdk-job", "single");
    client.taskOperations().deleteTask("sdk-job", "task-000");
    client.jobOperations().terminateJob("sdk-job", "done here");
    assertEquals(JobState.COMPLETED, client.jobOperations().getJob("sdk-job").state());
    client.jobOperations().deleteJob("sdk-job");
    client.poolOperations().deletePool("sdk-pool");
  }

  @Test
  void accountOperationsThroughTheSdk() throws Exception {
    List<com.microsoft.azure.batch.protocol.models.ImageInformation> images = client.accountOperations().listSupportedImages();
    assertEquals(1, images.size());
    assertTrue(images.get(0).nodeAgentSKUId().startsWith("batch.node."), images.get(0).nodeAgentSKUId());
    assertEquals(com.microsoft.azure.batch.protocol.models.OSType.LINUX, images.get(0).osType());
    client.poolOperations().createPool("sdk-counts", "standard_d2s_v3", new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("p").withOffer("o").withSku("s"))
        .withNodeAgentSKUId(images.get(0).nodeAgentSKUId()), 1);
    var counts = client.accountOperations().listPoolNodeCounts();
    var mine = counts.stream().filter(c -> c.poolId().equals("sdk-counts")).findFirst().orElseThrow();
    assertEquals(1, mine.dedicated().total());
    assertEquals(1, mine.dedicated().creating());
    assertTrue(client.applicationOperations().listApplications().isEmpty());
    BatchErrorException e = assertThrows(BatchErrorException.class, () -> client.applicationOperations().getApplication("a"));
    assertEquals("ApplicationNotFound", code(e));
    e = assertThrows(BatchErrorException.class, () -> client.certificateOperations().listCertificates().size());
    assertEquals("FeatureNotSupported", code(e));
    client.poolOperations().deletePool("sdk-counts");
  }

  @Test
  @Timeout(60)
  void disableEnableAndStopResizeThroughTheSdk() throws Exception {
    client.poolOperations().createPool("sdk-dis", "standard_d2s_v3", new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("p").withOffer("o").withSku("s"))
        .withNodeAgentSKUId("batch.node.ubuntu 22.04"), 1);
    client.poolOperations().stopResizePool("sdk-dis");
    client.jobOperations().createJob("sdk-dis-job", new PoolInformation().withPoolId("sdk-dis"));
    client.jobOperations().disableJob("sdk-dis-job", com.microsoft.azure.batch.protocol.models.DisableJobOption.REQUEUE);
    JobState disabled = client.jobOperations().getJob("sdk-dis-job").state();
    assertTrue(disabled == JobState.DISABLED || disabled == JobState.DISABLING, disabled.toString());
    client.jobOperations().enableJob("sdk-dis-job");
    JobState enabled = client.jobOperations().getJob("sdk-dis-job").state();
    assertTrue(enabled == JobState.ACTIVE || enabled == JobState.ENABLING, enabled.toString());
    client.jobOperations().deleteJob("sdk-dis-job");
    client.poolOperations().deletePool("sdk-dis");
  }

  @Test
  @Timeout(60)
  void jobSchedulesThroughTheSdk() throws Exception {
    client.poolOperations().createPool("sdk-sched-pool", "standard_d2s_v3", new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("p").withOffer("o").withSku("s"))
        .withNodeAgentSKUId("batch.node.ubuntu 22.04"), 0);
    var schedule = new com.microsoft.azure.batch.protocol.models.Schedule()
        .withRecurrenceInterval(org.joda.time.Period.hours(1));
    var spec = new com.microsoft.azure.batch.protocol.models.JobSpecification()
        .withPriority(3).withPoolInfo(new PoolInformation().withPoolId("sdk-sched-pool"));
    client.jobScheduleOperations().createJobSchedule("sdk-sched", schedule, spec);
    assertTrue(client.jobScheduleOperations().existsJobSchedule("sdk-sched"));
    assertFalse(client.jobScheduleOperations().existsJobSchedule("no-sched"));
    var got = client.jobScheduleOperations().getJobSchedule("sdk-sched");
    assertEquals(com.microsoft.azure.batch.protocol.models.JobScheduleState.ACTIVE, got.state());
    assertEquals(3, got.jobSpecification().priority());
    assertEquals("sdk-sched-pool", got.jobSpecification().poolInfo().poolId());
    assertEquals(3600, got.schedule().recurrenceInterval().toStandardSeconds().getSeconds());
    assertTrue(client.jobScheduleOperations().listJobSchedules().stream().anyMatch(x -> x.id().equals("sdk-sched")));
    // The first run is due at once: its job appears under the schedule.
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<Object> probe = server.testKit.createTestProbe();
    probe.awaitAssert(java.time.Duration.ofSeconds(20), java.time.Duration.ofMillis(100), () -> {
      assertEquals(1, client.jobOperations().listJobs("sdk-sched").size());
      return null;
    });
    client.jobScheduleOperations().patchJobSchedule("sdk-sched", null,
        new com.microsoft.azure.batch.protocol.models.JobSpecification().withPriority(7)
            .withPoolInfo(new PoolInformation().withPoolId("sdk-sched-pool")));
    assertEquals(7, client.jobScheduleOperations().getJobSchedule("sdk-sched").jobSpecification().priority());
    assertEquals(3600, client.jobScheduleOperations().getJobSchedule("sdk-sched").schedule().recurrenceInterval()
        .toStandardSeconds().getSeconds(), "PATCH keeps what it does not name");
    client.jobScheduleOperations().disableJobSchedule("sdk-sched");
    assertEquals(com.microsoft.azure.batch.protocol.models.JobScheduleState.DISABLED,
        client.jobScheduleOperations().getJobSchedule("sdk-sched").state());
    client.jobScheduleOperations().enableJobSchedule("sdk-sched");
    client.jobScheduleOperations().terminateJobSchedule("sdk-sched");
    client.jobScheduleOperations().deleteJobSchedule("sdk-sched");
    BatchErrorException e = assertThrows(BatchErrorException.class,
        () -> client.jobScheduleOperations().getJobSchedule("no-sched"));
    assertEquals("JobScheduleNotFound", code(e));
    client.poolOperations().deletePool("sdk-sched-pool");
  }

  @Test
  @Timeout(60)
  void taskUpdateThroughTheSdk() throws Exception {
    client.poolOperations().createPool("sdk-upd", "standard_d2s_v3", new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("p").withOffer("o").withSku("s"))
        .withNodeAgentSKUId("batch.node.ubuntu 22.04"), 0);
    client.jobOperations().createJob("sdk-upd-job", new PoolInformation().withPoolId("sdk-upd"));
    client.taskOperations().createTask("sdk-upd-job", new TaskAddParameter().withId("t").withCommandLine("/bin/true")
        .withConstraints(new com.microsoft.azure.batch.protocol.models.TaskConstraints().withMaxTaskRetryCount(1)
            .withRetentionTime(org.joda.time.Period.days(2))));
    String etag = client.taskOperations().getTask("sdk-upd-job", "t").eTag();

    client.taskOperations().updateTask("sdk-upd-job", "t", new com.microsoft.azure.batch.protocol.models.TaskConstraints()
        .withMaxTaskRetryCount(3).withMaxWallClockTime(org.joda.time.Period.minutes(5)));
    CloudTask updated = client.taskOperations().getTask("sdk-upd-job", "t");
    assertEquals(3, updated.constraints().maxTaskRetryCount());
    assertEquals(300, updated.constraints().maxWallClockTime().toStandardSeconds().getSeconds());
    assertTrue(updated.constraints().retentionTime() == null
        || updated.constraints().retentionTime().toStandardDays().getDays() != 2, "PUT replaces what it does not name");
    assertFalse(etag.equals(updated.eTag()), "the ETag changes");
    assertEquals(com.microsoft.azure.batch.protocol.models.TaskState.ACTIVE, updated.state());

    // The old ETag no longer matches: the write is refused, not applied.
    BatchErrorException stale = assertThrows(BatchErrorException.class, () -> client.protocolLayer().tasks().update(
        "sdk-upd-job", "t", new com.microsoft.azure.batch.protocol.models.TaskConstraints().withMaxTaskRetryCount(9),
        new com.microsoft.azure.batch.protocol.models.TaskUpdateOptions().withIfMatch(etag)));
    assertEquals("ConditionNotMet", code(stale));
    assertEquals(3, client.taskOperations().getTask("sdk-upd-job", "t").constraints().maxTaskRetryCount());

    BatchErrorException missing = assertThrows(BatchErrorException.class, () -> client.taskOperations()
        .updateTask("sdk-upd-job", "nope", new com.microsoft.azure.batch.protocol.models.TaskConstraints()));
    assertEquals("TaskNotFound", code(missing));
    client.taskOperations().terminateTask("sdk-upd-job", "t");
    BatchErrorException done = assertThrows(BatchErrorException.class, () -> client.taskOperations()
        .updateTask("sdk-upd-job", "t", new com.microsoft.azure.batch.protocol.models.TaskConstraints().withMaxTaskRetryCount(1)));
    assertEquals("TaskCompleted", code(done));
    client.jobOperations().deleteJob("sdk-upd-job");
    client.poolOperations().deletePool("sdk-upd");
  }

  @Test
  @Timeout(60)
  void poolPatchAndUpdatePropertiesThroughTheSdk() throws Exception {
    client.poolOperations().createPool("sdk-patch", "standard_d2s_v3", new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("p").withOffer("o").withSku("s"))
        .withNodeAgentSKUId("batch.node.ubuntu 22.04"), 0);
    String etag = client.poolOperations().getPool("sdk-patch").eTag();
    client.poolOperations().patchPool("sdk-patch", new com.microsoft.azure.batch.protocol.models.PoolPatchParameter()
        .withMetadata(List.of(new com.microsoft.azure.batch.protocol.models.MetadataItem().withName("team").withValue("a")))
        .withTargetNodeCommunicationMode(com.microsoft.azure.batch.protocol.models.NodeCommunicationMode.SIMPLIFIED)
        .withDisplayName("patched"));
    CloudPool patched = client.poolOperations().getPool("sdk-patch");
    assertEquals("team", patched.metadata().get(0).name());
    assertEquals("patched", patched.displayName());
    assertEquals(com.microsoft.azure.batch.protocol.models.NodeCommunicationMode.SIMPLIFIED, patched.targetNodeCommunicationMode());
    assertFalse(etag.equals(patched.eTag()), "the ETag changes");

    // PATCH keeps what it does not name.
    client.poolOperations().patchPool("sdk-patch", new com.microsoft.azure.batch.protocol.models.PoolPatchParameter()
        .withDisplayName("again"));
    assertEquals("a", client.poolOperations().getPool("sdk-patch").metadata().get(0).value());
    BatchErrorException stale = assertThrows(BatchErrorException.class, () -> client.protocolLayer().pools().patch("sdk-patch",
        new com.microsoft.azure.batch.protocol.models.PoolPatchParameter().withDisplayName("x"),
        new com.microsoft.azure.batch.protocol.models.PoolPatchOptions().withIfMatch(etag)));
    assertEquals("ConditionNotMet", code(stale));
    // A start task in a PATCH replaces the pool's (for nodes that join or restart later); waitForSuccess defaults to true.
    client.poolOperations().patchPool("sdk-patch", new com.microsoft.azure.batch.protocol.models.PoolPatchParameter()
        .withStartTask(new com.microsoft.azure.batch.protocol.models.StartTask().withCommandLine("/bin/true")));
    com.microsoft.azure.batch.protocol.models.StartTask startTask = client.poolOperations().getPool("sdk-patch").startTask();
    assertEquals("/bin/true", startTask.commandLine());
    assertEquals(Boolean.TRUE, startTask.waitForSuccess());
    BatchErrorException vmSize = assertThrows(BatchErrorException.class, () -> client.poolOperations().patchPool("sdk-patch",
        new com.microsoft.azure.batch.protocol.models.PoolPatchParameter().withVmSize("other")));
    assertEquals("FeatureNotSupported", code(vmSize));

    // updateproperties replaces: metadata as given, the communication mode back to default.
    client.poolOperations().updatePoolProperties("sdk-patch", null, List.of(), List.of(),
        List.of(new com.microsoft.azure.batch.protocol.models.MetadataItem().withName("owner").withValue("b")));
    CloudPool replaced = client.poolOperations().getPool("sdk-patch");
    assertEquals(1, replaced.metadata().size());
    assertEquals("owner", replaced.metadata().get(0).name());
    assertEquals(com.microsoft.azure.batch.protocol.models.NodeCommunicationMode.DEFAULT, replaced.targetNodeCommunicationMode());
    assertEquals("again", replaced.displayName(), "updateproperties does not touch the display name");
    assertEquals(null, replaced.startTask(), "updateproperties without a start task removes it");
    BatchErrorException packages = assertThrows(BatchErrorException.class, () -> client.poolOperations().updatePoolProperties(
        "sdk-patch", null, List.of(), List.of(new com.microsoft.azure.batch.protocol.models.ApplicationPackageReference()
            .withApplicationId("app")), List.of()));
    assertEquals("FeatureNotSupported", code(packages));
    BatchErrorException missing = assertThrows(BatchErrorException.class, () -> client.poolOperations().patchPool("no-pool",
        new com.microsoft.azure.batch.protocol.models.PoolPatchParameter().withDisplayName("x")));
    assertEquals("PoolNotFound", code(missing));
    client.poolOperations().deletePool("sdk-patch");
  }

  @Test
  void aWrongKeyIsRefused() throws Exception {
    BatchClient wrong = BatchClient.open(new BatchSharedKeyCredentials(server.baseUrl, TestServer.ACCOUNT,
        Base64.getEncoder().encodeToString("not the key".getBytes())));
    BatchErrorException e = assertThrows(BatchErrorException.class, () -> wrong.jobOperations().listJobs().size());
    assertEquals("AuthenticationFailed", code(e));
  }
}
