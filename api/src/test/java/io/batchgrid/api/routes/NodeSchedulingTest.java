package io.batchgrid.api.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.time.Duration;
import java.util.Base64;

import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.DisableComputeNodeSchedulingOption;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.SchedulingState;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

import io.batchgrid.coordinator.node.InProcessNodeProvider;

/** disablescheduling (requeue, terminate, taskcompletion) and enablescheduling on a real in-process node, through the SDK. */
class NodeSchedulingTest {
  static TestServer server;
  static BatchClient client;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer(system -> InProcessNodeProvider.start(system,
        java.nio.file.Files.createTempDirectory("batchgrid-sched-nodes"), TestServer.ACCOUNT, null));
    client = BatchClient.open(new BatchSharedKeyCredentials(server.baseUrl, TestServer.ACCOUNT,
        Base64.getEncoder().encodeToString(TestServer.KEY)));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private TestProbe<Object> probe() {
    return server.testKit.createTestProbe();
  }

  private CloudTask awaitTask(String taskId, TaskState state) {
    return probe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      CloudTask t = client.taskOperations().getTask("sched-job", taskId);
      assertEquals(state, t.state(), taskId);
      return t;
    });
  }

  private ComputeNode awaitNode(String nodeId, ComputeNodeState state) {
    return probe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      ComputeNode n = client.computeNodeOperations().getComputeNode("sched-pool", nodeId);
      assertEquals(state, n.state());
      return n;
    });
  }

  @Test
  @Timeout(120)
  void aDisabledNodeTakesNoTasksAndItsRunningOnesGoAsAsked() throws Exception {
    client.poolOperations().createPool("sched-pool", "local", new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("p").withOffer("o").withSku("s"))
        .withNodeAgentSKUId("batch.node.ubuntu 22.04"), 1);
    client.jobOperations().createJob("sched-job", new PoolInformation().withPoolId("sched-pool"));
    String nodeId = probe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      ComputeNode n = client.computeNodeOperations().listComputeNodes("sched-pool").get(0);
      assertEquals(ComputeNodeState.IDLE, n.state());
      return n.id();
    });

    // requeue: the running task is stopped and goes back to the queue without spending a retry.
    client.taskOperations().createTask("sched-job", new TaskAddParameter().withId("long").withCommandLine("/bin/sleep 60"));
    awaitTask("long", TaskState.RUNNING);
    client.computeNodeOperations().disableComputeNodeScheduling("sched-pool", nodeId, DisableComputeNodeSchedulingOption.REQUEUE);
    CloudTask requeued = awaitTask("long", TaskState.ACTIVE);
    assertEquals(0, requeued.executionInfo().retryCount());
    ComputeNode offline = awaitNode(nodeId, ComputeNodeState.OFFLINE);
    assertEquals(SchedulingState.DISABLED, offline.schedulingState());
    client.taskOperations().createTask("sched-job", new TaskAddParameter().withId("quick").withCommandLine("/bin/true"));
    // Nothing may start on the disabled node: the tasks stay queued for a while.
    probe().expectNoMessage(Duration.ofSeconds(1));
    assertEquals(TaskState.ACTIVE, client.taskOperations().getTask("sched-job", "quick").state());
    assertEquals(TaskState.ACTIVE, client.taskOperations().getTask("sched-job", "long").state());

    // enable: the first in the queue runs again (the node has one slot).
    client.computeNodeOperations().enableComputeNodeScheduling("sched-pool", nodeId);
    assertEquals(SchedulingState.ENABLED, client.computeNodeOperations().getComputeNode("sched-pool", nodeId).schedulingState());
    awaitTask("long", TaskState.RUNNING);

    // terminate: the running task ends as failed and does not run again; the queued one waits.
    client.computeNodeOperations().disableComputeNodeScheduling("sched-pool", nodeId, DisableComputeNodeSchedulingOption.TERMINATE);
    CloudTask terminated = awaitTask("long", TaskState.COMPLETED);
    assertNotNull(terminated.executionInfo().failureInfo());
    assertEquals("TaskEnded", terminated.executionInfo().failureInfo().code());
    awaitNode(nodeId, ComputeNodeState.OFFLINE);
    assertEquals(TaskState.ACTIVE, client.taskOperations().getTask("sched-job", "quick").state());
    client.computeNodeOperations().enableComputeNodeScheduling("sched-pool", nodeId);
    awaitTask("quick", TaskState.COMPLETED);

    // taskcompletion: the running task finishes normally; nothing new starts until enabled again.
    client.taskOperations().createTask("sched-job", new TaskAddParameter().withId("finishing")
        .withCommandLine("/bin/sh -c 'sleep 2'"));
    awaitTask("finishing", TaskState.RUNNING);
    client.computeNodeOperations().disableComputeNodeScheduling("sched-pool", nodeId, DisableComputeNodeSchedulingOption.TASK_COMPLETION);
    client.taskOperations().createTask("sched-job", new TaskAddParameter().withId("after").withCommandLine("/bin/true"));
    CloudTask finished = awaitTask("finishing", TaskState.COMPLETED);
    assertEquals(0, finished.executionInfo().exitCode());
    awaitNode(nodeId, ComputeNodeState.OFFLINE);
    probe().expectNoMessage(Duration.ofSeconds(1));
    assertEquals(TaskState.ACTIVE, client.taskOperations().getTask("sched-job", "after").state());
    client.computeNodeOperations().enableComputeNodeScheduling("sched-pool", nodeId);
    awaitTask("after", TaskState.COMPLETED);

    BatchErrorException missing = org.junit.jupiter.api.Assertions.assertThrows(BatchErrorException.class,
        () -> client.computeNodeOperations().disableComputeNodeScheduling("sched-pool", "no-node",
            DisableComputeNodeSchedulingOption.REQUEUE));
    // Without an option the SDK sends no body (it refuses to): the service's default, requeue, applies.
    SignedClient.Reply noBody = server.client().send("POST", "/pools/sched-pool/nodes/" + nodeId
        + "/disablescheduling?api-version=2024-07-01.20.0", null);
    assertEquals(200, noBody.status());
    assertEquals(SchedulingState.DISABLED, client.computeNodeOperations().getComputeNode("sched-pool", nodeId).schedulingState());
    assertEquals("NodeNotFound", missing.body().code());
    client.jobOperations().deleteJob("sched-job");
    client.poolOperations().deletePool("sched-pool");
  }

  @Test
  @Timeout(120)
  void removeNodesStopsOrWaitsForTheTasksOnThem() throws Exception {
    client.poolOperations().createPool("rm-pool", "local", new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("p").withOffer("o").withSku("s"))
        .withNodeAgentSKUId("batch.node.ubuntu 22.04"), 3);
    client.jobOperations().createJob("rm-job", new PoolInformation().withPoolId("rm-pool"));
    probe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      client.computeNodeOperations().listComputeNodes("rm-pool")
          .forEach(n -> assertEquals(ComputeNodeState.IDLE, n.state()));
      return null;
    });

    // requeue: the node goes at once, its task runs again elsewhere without spending a retry.
    client.taskOperations().createTask("rm-job", new TaskAddParameter().withId("a").withCommandLine("/bin/sleep 60"));
    String first = awaitTask("rm-job", "a", TaskState.RUNNING).nodeInfo().nodeId();
    client.poolOperations().removeNodesFromPool("rm-pool", java.util.List.of(first),
        com.microsoft.azure.batch.protocol.models.ComputeNodeDeallocationOption.REQUEUE, null, null);
    assertEquals(2, client.computeNodeOperations().listComputeNodes("rm-pool").size());
    assertEquals(2, client.poolOperations().getPool("rm-pool").targetDedicatedNodes());
    CloudTask moved = probe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      CloudTask t = client.taskOperations().getTask("rm-job", "a");
      assertEquals(TaskState.RUNNING, t.state());
      org.junit.jupiter.api.Assertions.assertNotEquals(first, t.nodeInfo().nodeId());
      return t;
    });
    assertEquals(0, moved.executionInfo().retryCount());

    // taskcompletion: the node's task ends normally, then the node goes and the pool is steady.
    client.taskOperations().createTask("rm-job", new TaskAddParameter().withId("b").withCommandLine("/bin/sh -c 'sleep 2'"));
    String second = awaitTask("rm-job", "b", TaskState.RUNNING).nodeInfo().nodeId();
    client.poolOperations().removeNodesFromPool("rm-pool", java.util.List.of(second),
        com.microsoft.azure.batch.protocol.models.ComputeNodeDeallocationOption.TASK_COMPLETION, null, null);
    assertEquals(com.microsoft.azure.batch.protocol.models.AllocationState.RESIZING,
        client.poolOperations().getPool("rm-pool").allocationState());
    assertEquals(0, awaitTask("rm-job", "b", TaskState.COMPLETED).executionInfo().exitCode());
    probe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      assertEquals(1, client.computeNodeOperations().listComputeNodes("rm-pool").size());
      assertEquals(com.microsoft.azure.batch.protocol.models.AllocationState.STEADY,
          client.poolOperations().getPool("rm-pool").allocationState());
      return null;
    });

    BatchErrorException missing = org.junit.jupiter.api.Assertions.assertThrows(BatchErrorException.class,
        () -> client.poolOperations().removeNodesFromPool("rm-pool", java.util.List.of("no-node"),
            com.microsoft.azure.batch.protocol.models.ComputeNodeDeallocationOption.REQUEUE, null, null));
    assertEquals("NodeNotFound", missing.body().code());
    client.jobOperations().deleteJob("rm-job");
    client.poolOperations().deletePool("rm-pool");
  }

  private CloudTask awaitTask(String jobId, String taskId, TaskState state) {
    return probe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      CloudTask t = client.taskOperations().getTask(jobId, taskId);
      assertEquals(state, t.state(), taskId);
      return t;
    });
  }
}
