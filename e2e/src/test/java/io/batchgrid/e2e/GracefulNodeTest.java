package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
import com.microsoft.azure.batch.protocol.models.ComputeNodeDeallocationOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeRebootOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeReimageOption;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ErrorCategory;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.SchedulingState;
import com.microsoft.azure.batch.protocol.models.StartTask;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.TaskExecutionResult;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

/**
 * The graceful paths on worker processes (local-process provider), through the official Java SDK:
 * reboot and reimage of a node that runs a task, and shrinking a pool with each
 * nodeDeallocationOption. Tasks wait for a file the test writes ({@code go-<task>} in a directory
 * outside the nodes), so what runs where, and when it ends, is the test's choice, not a race.
 */
class GracefulNodeTest {
  @TempDir
  static Path dir;
  static Path data;
  static Path shared;
  static ServerProcess server;
  static BatchClient client;

  @BeforeAll
  static void start() throws Exception {
    data = Files.createDirectories(dir.resolve("data"));
    shared = Files.createDirectories(dir.resolve("shared"));
    server = new ServerProcess(data).withArgs("--node-provider", "local-process").start();
    client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      server.handle().descendants().forEach(ProcessHandle::destroyForcibly);
    } finally {
      server.close();
    }
  }

  /** The start task counts the node's boots in shared/boots. */
  static final StartTask COUNT_BOOTS = new StartTask().withCommandLine("/bin/sh -c 'echo boot >> $AZ_BATCH_NODE_SHARED_DIR/boots'");

  /**
   * The first attempt leaves a mark and waits for {@code go-<task>}; an attempt that finds the mark
   * (it was requeued) does not wait. An attempt that ends writes the task's id in the ledger.
   */
  static String waitsForGo() {
    return "/bin/sh -c 'if [ ! -f " + shared + "/mark-$AZ_BATCH_TASK_ID ]; then touch " + shared + "/mark-$AZ_BATCH_TASK_ID;"
        + " while [ ! -f " + shared + "/go-$AZ_BATCH_TASK_ID ]; do sleep 0.1; done; fi;"
        + " echo $AZ_BATCH_TASK_ID >> " + shared + "/ledger'";
  }

  static void go(String taskId) throws Exception {
    Files.writeString(shared.resolve("go-" + taskId), "");
  }

  static void createPool(String id, int nodes, StartTask startTask) throws Exception {
    client.poolOperations().createPool(new PoolAddParameter().withId(id).withVmSize("standard_d2s_v3")
        .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
            .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy").withSku("22_04-lts"))
            .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
        .withTargetDedicatedNodes(nodes).withTaskSlotsPerNode(1).withStartTask(startTask));
    await().atMost(Duration.ofSeconds(120)).until(() -> client.poolOperations().getPool(id).allocationState() == AllocationState.STEADY
        && nodes(id).stream().filter(n -> n.state() == ComputeNodeState.IDLE).count() == nodes);
  }

  static List<ComputeNode> nodes(String poolId) throws Exception {
    return client.computeNodeOperations().listComputeNodes(poolId);
  }

  static CloudTask task(String jobId, String taskId) throws Exception {
    return client.taskOperations().getTask(jobId, taskId);
  }

  static void addTasks(String poolId, String jobId, String... taskIds) throws Exception {
    client.jobOperations().createJob(jobId, new PoolInformation().withPoolId(poolId));
    for (String id : taskIds) {
      client.taskOperations().createTask(jobId, new TaskAddParameter().withId(id).withCommandLine(waitsForGo()));
    }
  }

  /** Waits until the task runs its first attempt (its mark is there). */
  static void awaitRunning(String jobId, String taskId) {
    await().atMost(Duration.ofSeconds(60)).until(() -> task(jobId, taskId).state() == TaskState.RUNNING
        && Files.exists(shared.resolve("mark-" + taskId)));
  }

  static long pid(String nodeId) throws Exception {
    Path file = data.resolve("nodes").resolve(nodeId).resolve("agent.pid");
    return Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : -1;
  }

  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  static String nodeFile(String poolId, String nodeId, String path) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client.fileOperations().getFileFromComputeNode(poolId, nodeId, path, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  static boolean nodeFileExists(String poolId, String nodeId, String path) throws Exception {
    try {
      client.fileOperations().getFilePropertiesFromComputeNode(poolId, nodeId, path);
      return true;
    } catch (BatchErrorException e) {
      if (e.response().code() == 404) {
        return false;
      }
      throw e;
    }
  }

  /** How many times each task wrote the ledger: each once means each completed once. */
  static long ledgerCount(String taskId) throws Exception {
    Path ledger = shared.resolve("ledger");
    return Files.exists(ledger) ? Files.readAllLines(ledger).stream().filter(taskId::equals).count() : 0;
  }

  /** The node is back from its restart as a new worker process, idle, and the old process is gone. */
  static void awaitNewProcess(String poolId, String nodeId, long before) {
    await().atMost(Duration.ofSeconds(120)).until(() -> {
      ComputeNode n = client.computeNodeOperations().getComputeNode(poolId, nodeId);
      return n.state() == ComputeNodeState.IDLE && pid(nodeId) != before && alive(pid(nodeId));
    });
    assertFalse(alive(before), "the node's previous worker process is gone");
  }

  @Test
  void aRebootWithRequeueReplacesTheWorkerProcessAndTheTaskRunsAgainWithoutARetry() throws Exception {
    createPool("lp-rb", 1, COUNT_BOOTS);
    String nodeId = nodes("lp-rb").get(0).id();
    long before = pid(nodeId);
    addTasks("lp-rb", "rb-job", "rb-task");
    awaitRunning("rb-job", "rb-task");

    client.computeNodeOperations().rebootComputeNode("lp-rb", nodeId, ComputeNodeRebootOption.REQUEUE);
    // Accepted means recorded: the node is rebooting from the answer on.
    assertEquals(ComputeNodeState.REBOOTING, client.computeNodeOperations().getComputeNode("lp-rb", nodeId).state());

    awaitNewProcess("lp-rb", nodeId, before);
    await().atMost(Duration.ofSeconds(60)).until(() -> task("rb-job", "rb-task").state() == TaskState.COMPLETED);
    CloudTask t = task("rb-job", "rb-task");
    assertEquals(TaskExecutionResult.SUCCESS, t.executionInfo().result());
    assertEquals(0, t.executionInfo().retryCount(), "a reboot spends no retry");
    assertEquals(1, t.executionInfo().requeueCount());
    assertEquals(nodeId, t.nodeInfo().nodeId(), "it ran again on the rebooted node, the pool's only one");
    assertEquals(1, ledgerCount("rb-task"), "completed once");
    TaskCounts counts = client.jobOperations().getTaskCounts("rb-job");
    assertEquals(1, counts.completed());
    assertEquals(1, counts.succeeded());
    assertEquals("boot\nboot\n", nodeFile("lp-rb", nodeId, "shared/boots"), "the start task ran again; the files stayed");
  }

  @Test
  void aReimageWithTerminateFailsTheRunningTaskAndTheNewWorkerStartsOnEmptyDirectories() throws Exception {
    createPool("lp-ri", 1, COUNT_BOOTS);
    String nodeId = nodes("lp-ri").get(0).id();
    long before = pid(nodeId);
    addTasks("lp-ri", "ri-job", "ri-task");
    awaitRunning("ri-job", "ri-task");
    assertTrue(nodeFileExists("lp-ri", nodeId, "workitems/ri-job"));

    client.computeNodeOperations().reimageComputeNode("lp-ri", nodeId, ComputeNodeReimageOption.TERMINATE);
    assertEquals(ComputeNodeState.REIMAGING, client.computeNodeOperations().getComputeNode("lp-ri", nodeId).state());

    await().atMost(Duration.ofSeconds(60)).until(() -> task("ri-job", "ri-task").state() == TaskState.COMPLETED);
    CloudTask t = task("ri-job", "ri-task");
    // Azure: "The Tasks will be completed with failureInfo indicating that they were terminated, and
    // will not run again."
    assertEquals(TaskExecutionResult.FAILURE, t.executionInfo().result());
    assertNotNull(t.executionInfo().failureInfo());
    assertEquals(ErrorCategory.USER_ERROR, t.executionInfo().failureInfo().category());
    assertEquals("TaskEnded", t.executionInfo().failureInfo().code());
    assertTrue(t.executionInfo().failureInfo().message().contains("reimaged"), t.executionInfo().failureInfo().message());
    assertEquals(0, t.executionInfo().retryCount());
    assertEquals(0, t.executionInfo().requeueCount());
    TaskCounts counts = client.jobOperations().getTaskCounts("ri-job");
    assertEquals(1, counts.failed());

    awaitNewProcess("lp-ri", nodeId, before);
    assertEquals("boot\n", nodeFile("lp-ri", nodeId, "shared/boots"), "one boot since the reimage");
    assertFalse(nodeFileExists("lp-ri", nodeId, "workitems/ri-job"), "the task's files went with the reimage");
    assertEquals(0, ledgerCount("ri-task"), "the terminated task never ended by itself");
    System.out.printf("reimage with terminate: the task ended with exit code %s, failureInfo %s: %s%n",
        t.executionInfo().exitCode(), t.executionInfo().failureInfo().code(), t.executionInfo().failureInfo().message());
  }

  /**
   * Shrinks a pool of two busy nodes to one with {@code option} (by resize, or by removenodes naming
   * the node that runs {@code first}) and checks that the leaving node lets its task end, takes no
   * other, and goes; every task completes once.
   */
  private void shrinkWaitsForTheRunningTask(String poolId, ComputeNodeDeallocationOption option, boolean byResize)
      throws Exception {
    createPool(poolId, 2, null);
    String job = poolId + "-job";
    String a = poolId + "-a";
    String b = poolId + "-b";
    String c = poolId + "-c";
    addTasks(poolId, job, a, b);
    awaitRunning(job, a);
    awaitRunning(job, b);
    if (byResize) {
      client.poolOperations().resizePool(poolId, 1, 0, null, option);
    } else {
      client.poolOperations().removeNodesFromPool(poolId, List.of(task(job, a).nodeInfo().nodeId()), option, null, null);
    }

    // The node that leaves takes no new task; both still run theirs.
    ComputeNode leaving = await().atMost(Duration.ofSeconds(30)).until(() -> nodes(poolId).stream()
        .filter(n -> n.schedulingState() == SchedulingState.DISABLED).findFirst().orElse(null), n -> n != null);
    String staying = nodes(poolId).stream().map(ComputeNode::id).filter(id -> !id.equals(leaving.id())).findFirst().orElseThrow();
    long leavingPid = pid(leaving.id());
    assertEquals(AllocationState.RESIZING, client.poolOperations().getPool(poolId).allocationState());
    assertEquals(2, nodes(poolId).size(), "the leaving node stays while its task runs");
    assertEquals(ComputeNodeState.LEAVING_POOL, client.computeNodeOperations().getComputeNode(poolId, leaving.id()).state());
    String leavingTask = task(job, a).nodeInfo().nodeId().equals(leaving.id()) ? a : b;
    String stayingTask = leavingTask.equals(a) ? b : a;
    assertEquals(TaskState.RUNNING, task(job, leavingTask).state());
    client.taskOperations().createTask(job, new TaskAddParameter().withId(c).withCommandLine(
        "/bin/sh -c 'echo $AZ_BATCH_TASK_ID >> " + shared + "/ledger'"));

    go(leavingTask);
    await().atMost(Duration.ofSeconds(60)).until(() -> client.poolOperations().getPool(poolId).allocationState() == AllocationState.STEADY
        && nodes(poolId).size() == 1);
    assertEquals(staying, nodes(poolId).get(0).id());
    await().atMost(Duration.ofSeconds(30)).until(() -> !alive(leavingPid));
    CloudTask ended = task(job, leavingTask);
    assertEquals(TaskState.COMPLETED, ended.state());
    assertEquals(TaskExecutionResult.SUCCESS, ended.executionInfo().result());
    assertEquals(0, ended.executionInfo().requeueCount(), "it ran to its end where it was");

    go(stayingTask);
    await().atMost(Duration.ofSeconds(60)).until(() -> client.jobOperations().getTaskCounts(job).completed() == 3);
    assertEquals(3, client.jobOperations().getTaskCounts(job).succeeded());
    assertEquals(staying, task(job, c).nodeInfo().nodeId(), "no new task went to the leaving node");
    for (String id : List.of(a, b, c)) {
      assertEquals(1, ledgerCount(id), id + " completed once");
    }
  }

  @Test
  void aResizeDownWithTaskCompletionRemovesTheNodeOnceItsTaskHasEnded() throws Exception {
    shrinkWaitsForTheRunningTask("lp-tc", ComputeNodeDeallocationOption.TASK_COMPLETION, true);
  }

  @Test
  void removeNodesWithRetainedDataRemovesTheNodeOnceItsTaskHasEnded() throws Exception {
    // batchgrid keeps a task's files until the task or job is deleted, so there is no retention time
    // to wait for: retaineddata is taskcompletion.
    shrinkWaitsForTheRunningTask("lp-rd", ComputeNodeDeallocationOption.RETAINED_DATA, false);
  }

  @Test
  void aResizeDownWithRequeueRemovesABusyNodeAtOnceAndItsTaskCompletesElsewhere() throws Exception {
    createPool("lp-rq", 2, null);
    addTasks("lp-rq", "rq-job", "x", "y");
    awaitRunning("rq-job", "x");
    awaitRunning("rq-job", "y");
    String xNode = task("rq-job", "x").nodeInfo().nodeId();
    String yNode = task("rq-job", "y").nodeInfo().nodeId();
    assertNotEquals(xNode, yNode);
    long xPid = pid(xNode);
    long yPid = pid(yNode);

    client.poolOperations().resizePool("lp-rq", 1, 0, null, ComputeNodeDeallocationOption.REQUEUE);
    await().atMost(Duration.ofSeconds(30)).until(() -> client.poolOperations().getPool("lp-rq").allocationState() == AllocationState.STEADY
        && nodes("lp-rq").size() == 1);
    String staying = nodes("lp-rq").get(0).id();
    String requeued = staying.equals(xNode) ? "y" : "x";
    String other = requeued.equals("x") ? "y" : "x";
    await().atMost(Duration.ofSeconds(30)).until(() -> !alive(staying.equals(xNode) ? yPid : xPid));
    CloudTask back = task("rq-job", requeued);
    assertEquals(TaskState.ACTIVE, back.state(), "requeued: the remaining node is busy");
    assertEquals(1, back.executionInfo().requeueCount());
    assertEquals(0, back.executionInfo().retryCount(), "a removed node spends no retry");

    go(other);
    await().atMost(Duration.ofSeconds(60)).until(() -> client.jobOperations().getTaskCounts("rq-job").completed() == 2);
    assertEquals(2, client.jobOperations().getTaskCounts("rq-job").succeeded());
    CloudTask done = task("rq-job", requeued);
    assertEquals(staying, done.nodeInfo().nodeId(), "it completed on the node that stayed");
    assertEquals(1, done.executionInfo().requeueCount());
    assertEquals(0, done.executionInfo().retryCount());
    assertEquals(1, ledgerCount("x"), "x completed once");
    assertEquals(1, ledgerCount("y"), "y completed once");
  }
}
