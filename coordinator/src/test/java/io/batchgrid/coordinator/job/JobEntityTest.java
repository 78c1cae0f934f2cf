package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.batchgrid.coordinator.TestCluster;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.node.NodeProvider;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskCounts;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.TaskSpec;

/** The job entity alone: each command's reply, events and state, with probes for the node and gateway. */
class JobEntityTest {
  private static final ActorTestKit testKit;

  static {
    try {
      // A restarted job waits this long for its nodes to say what they still run.
      testKit = ActorTestKit.create("JobEntityTest",
          com.typesafe.config.ConfigFactory.parseString("batchgrid.coordinator.node-return-timeout = 5s\n"
                  // Sharding's regions hand off gracefully at shutdown: on a busy machine that outlasts 10 s.
                  + "pekko.actor.testkit.typed.system-shutdown-default = 60s")
              .withFallback(EventSourcedBehaviorTestKit.config())
              .withFallback(TestCluster.config(Files.createTempDirectory("snap"))));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    TestCluster.join(testKit.system());
    NodeProvider none = new NodeProvider() {
      @Override
      public void start(String poolId, List<String> nodeIds, int taskSlots) {}

      @Override
      public void stop(String poolId, List<String> nodeIds) {}
    };
    Catalog.init(testKit.system());
    PoolEntity.init(testKit.system(), none);
    // The job under test runs in the kit, not in sharding: what the pool sends to sharded jobs
    // (NodeLost after AwaitNodes, grants) lands here and is dropped.
    ClusterSharding.get(testKit.system()).init(org.apache.pekko.cluster.sharding.typed.javadsl.Entity.of(
        JobEntity.ENTITY_KEY, ctx -> org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(m ->
            org.apache.pekko.actor.typed.javadsl.Behaviors.same())));
  }

  private final TestProbe<CoordinatorMessage> gateway = testKit.createTestProbe();
  private final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
  private final TestProbe<NodeMessage> node = testKit.createTestProbe();
  private EventSourcedBehaviorTestKit<JobEntity.Command, JobEvent, JobRecord> kit;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void fresh() {
    // Events and state must serialize (they are persisted). Commands stay in one JVM for now, so
    // their serialization is not checked; cross-node command serialization comes with multi-node.
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), JobEntity.create("job-1", gateway.ref(), shard.ref()),
        new EventSourcedBehaviorTestKit.SerializationSettings(true, false, false, true, true));
  }

  private static JobSpec spec() {
    return JobSpec.newBuilder().setId("Job-1").setPoolId("pool-1").setOnAllTasksComplete("noaction").build();
  }

  private static TaskSpec task(String id) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("/bin/true").build();
  }

  private JobSummary create() {
    var result = kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Create(spec(), r));
    assertInstanceOf(JobEvent.JobCreated.class, result.event());
    return result.reply().getValue();
  }

  @Test
  void createTwiceIsJobExists() {
    JobSummary s = create();
    assertEquals(JobState.ACTIVE, s.state());
    var again = kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Create(spec(), r));
    assertTrue(again.hasNoEvents());
    assertEquals(ErrorCode.JOB_EXISTS, ((BatchException) again.reply().getError()).code());
  }

  @Test
  void unknownJobIsJobNotFound() {
    var r = kit.<StatusReply<JobSummary>>runCommand(JobEntity.Get::new);
    assertEquals(ErrorCode.JOB_NOT_FOUND, ((BatchException) r.reply().getError()).code());
  }

  @Test
  void duplicateTasksFailAloneCaseInsensitively() {
    create();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(List.of(task("a")), r));
    var r = kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(
        reply -> new JobEntity.AddTasks(List.of(task("A"), task("b"), task("b")), reply));
    List<JobEntity.AddTaskResult> results = r.reply().getValue();
    assertEquals(ErrorCode.TASK_EXISTS, results.get(0).error().code());
    assertNull(results.get(1).error());
    assertEquals(TaskState.ACTIVE, results.get(1).task().state());
    assertEquals(ErrorCode.TASK_EXISTS, results.get(2).error().code());
    assertEquals(List.of(task("b")), ((JobEvent.TasksAdded) r.event()).tasks());
  }

  @Test
  void grantedSlotsRunQueuedTasksAndEachOutcomeCountsOnce() {
    create();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(List.of(task("a"), task("b"), task("c")), r));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node.ref(), 2));

    NodeMessage.RunTasks run = node.expectMessageClass(NodeMessage.RunTasks.class);
    assertEquals(List.of("a", "b"), run.tasks().stream().map(t -> t.taskId()).toList());
    assertEquals(1, run.tasks().get(0).attempt());
    assertEquals(gateway.ref(), run.reportTo());

    TestProbe<NodeMessage> reportAcks = testKit.createTestProbe();
    CoordinatorMessage.TasksReport report = new CoordinatorMessage.TasksReport("pool-1", "n1", "Job-1", 1,
        List.of(new TaskOutcome("a", 1, 0, 1, 2, null)), reportAcks.ref());
    var first = kit.runCommand(new JobEntity.Report(report));
    // the outcome and the next dispatch onto the freed slot are one write
    assertEquals(2, first.events().size());
    assertInstanceOf(JobEvent.TasksFinished.class, first.events().get(0));
    assertEquals("c", ((JobEvent.TasksDispatched) first.events().get(1)).dispatches().get(0).taskId());
    assertEquals(new NodeMessage.ReportAccepted("Job-1", 1), reportAcks.receiveMessage());
    assertEquals("c", node.expectMessageClass(NodeMessage.RunTasks.class).tasks().get(0).taskId());

    // the node did not see the acknowledgement and sends the report again
    var repeat = kit.runCommand(new JobEntity.Report(report));
    assertTrue(repeat.hasNoEvents());
    assertEquals(new NodeMessage.ReportAccepted("Job-1", 1), reportAcks.receiveMessage());
    assertEquals(new TaskCounts(0, 2, 1, 1, 0), kit.getState().taskCounts());
  }

  @Test
  void aLostNodeRequeuesItsTasksWithoutSpendingARetry() {
    create();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(List.of(task("a")), r));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node.ref(), 1));
    node.expectMessageClass(NodeMessage.RunTasks.class);
    var lost = kit.runCommand(new JobEntity.NodeLost("pool-1", "n1"));
    assertEquals(List.of("a"), ((JobEvent.TasksRequeued) lost.event()).taskIds());
    assertEquals(TaskState.ACTIVE, kit.getState().task("a").state());
    assertEquals(0, kit.getState().task("a").retryCount());
    assertEquals(1, kit.getState().task("a").requeueCount());
  }

  @Test
  void terminatingEndsRunningTasksAndCompletesTheJob() {
    create();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(List.of(task("a"), task("b")), r));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node.ref(), 1));
    node.expectMessageClass(NodeMessage.RunTasks.class);
    var r = kit.<StatusReply<Done>>runCommand(reply -> new JobEntity.Terminate(null, reply));
    assertTrue(r.reply().isSuccess());
    assertEquals(new NodeMessage.TerminateTask("Job-1", "a", 1), node.receiveMessage());
    JobRecord state = kit.getState();
    assertEquals(JobState.COMPLETED, state.state());
    assertEquals("UserTerminate", state.terminateReason());
    assertEquals(TaskState.COMPLETED, state.task("a").state());
    assertEquals(TaskState.ACTIVE, state.task("b").state());
    var again = kit.<StatusReply<Done>>runCommand(reply -> new JobEntity.Terminate(null, reply));
    assertEquals(ErrorCode.JOB_COMPLETED, ((BatchException) again.reply().getError()).code());
  }

  @Test
  void onAllTasksCompleteTerminatesTheJobWhenTheLastTaskEnds() {
    create();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(List.of(task("a")), r));
    kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Update(new JobEntity.JobPatch(null, null, null, "terminatejob", null, null, null, false), r));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node.ref(), 1));
    node.expectMessageClass(NodeMessage.RunTasks.class);
    TestProbe<NodeMessage> acks = testKit.createTestProbe();
    kit.runCommand(new JobEntity.Report(new CoordinatorMessage.TasksReport("pool-1", "n1", "Job-1", 1,
        List.of(new TaskOutcome("a", 1, 0, 1, 2, null)), acks.ref())));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(JobState.COMPLETED, kit.getState().state());
      assertEquals("AllTasksComplete", kit.getState().terminateReason());
      return null;
    });
  }

  @Test
  void restartRequeuesTasksThatWereRunning() {
    create();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(List.of(task("a")), r));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node.ref(), 1));
    node.expectMessageClass(NodeMessage.RunTasks.class);
    assertEquals(TaskState.RUNNING, kit.getState().task("a").state());
    kit.restart();
    // Its node never registers again: after node-return-timeout the task goes back to the queue.
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      assertEquals(TaskState.ACTIVE, kit.getState().task("a").state());
      assertEquals(0, kit.getState().task("a").retryCount());
      return null;
    });
  }

  @Test
  void afterARestartANodeThatComesBackKeepsWhatItStillRunsAndTheRestIsRequeued() {
    create();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(
        List.of(task("a"), task("b"), task("c"), task("d")), r));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node.ref(), 4));
    node.expectMessageClass(NodeMessage.RunTasks.class);
    kit.restart();

    // The node outlived the coordinator: a still runs, b ended (its report follows), c was lost;
    // it also runs an attempt of d that is not d's current one.
    TestProbe<NodeMessage> agent = testKit.createTestProbe();
    var rejoined = kit.runCommand(new JobEntity.NodeRejoined("pool-1", "n1", agent.ref(),
        List.of(new RunningTask("Job-1", "a", 1, 10), new RunningTask("Job-1", "d", 1, 10),
            new RunningTask("Job-1", "d", 7, 10)),
        List.of(new RunningTask("Job-1", "b", 1, 10))));
    assertEquals(List.of("c"), ((JobEvent.TasksRequeued) rejoined.event()).taskIds());
    assertEquals(new NodeMessage.TerminateTask("Job-1", "d", 7), agent.receiveMessage());
    JobRecord state = kit.getState();
    assertEquals(TaskState.RUNNING, state.task("a").state());
    assertEquals(TaskState.RUNNING, state.task("b").state());
    assertEquals(TaskState.ACTIVE, state.task("c").state());
    assertEquals(0, state.task("c").retryCount());
    assertEquals(TaskState.RUNNING, state.task("d").state());

    // The reports of what ran across the restart are counted once.
    TestProbe<NodeMessage> acks = testKit.createTestProbe();
    var report = new CoordinatorMessage.TasksReport("pool-1", "n1", "Job-1", 3, List.of(
        new TaskOutcome("a", 1, 0, 10, 20, null), new TaskOutcome("b", 1, 0, 10, 20, null)), acks.ref());
    kit.runCommand(new JobEntity.Report(report));
    assertEquals(new NodeMessage.ReportAccepted("Job-1", 3), acks.receiveMessage());
    assertTrue(kit.runCommand(new JobEntity.Report(report)).hasNoEvents());
    assertEquals(TaskState.COMPLETED, kit.getState().task("a").state());
    assertEquals(0, kit.getState().task("a").requeueCount());
    assertEquals(2, kit.getState().taskCounts().succeeded());

    // A second registration of the same node requeues nothing more.
    assertTrue(kit.runCommand(new JobEntity.NodeRejoined("pool-1", "n1", agent.ref(), List.of(), List.of()))
        .hasNoEvents());
  }

  @Test
  void disablingRequeuesRunningTasksAndEnablingResumes() {
    create();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(List.of(task("a"), task("b")), r));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node.ref(), 1));
    node.expectMessageClass(NodeMessage.RunTasks.class);
    var disabled = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Disable("requeue", r));
    assertTrue(disabled.reply().isSuccess());
    assertEquals(List.of("a"), ((JobEvent.TasksRequeued) disabled.events().get(1)).taskIds());
    assertEquals(new NodeMessage.TerminateTask("Job-1", "a", 1), node.receiveMessage());
    assertEquals(JobState.DISABLED, kit.getState().state());
    assertEquals(0, kit.getState().task("a").retryCount());
    var again = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Disable("requeue", r));
    assertEquals(ErrorCode.JOB_NOT_ACTIVE, ((BatchException) again.reply().getError()).code());

    kit.<StatusReply<Done>>runCommand(JobEntity.Enable::new);
    assertEquals(JobState.ACTIVE, kit.getState().state());
  }

  @Test
  void aFailedTaskTerminatesTheJobWhenItsExitOptionsSaySo() {
    kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Create(spec().toBuilder()
        .setOnTaskFailure("performexitoptionsjobaction").build(), r));
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(List.of(task("a"), task("b")), r));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node.ref(), 1));
    node.expectMessageClass(NodeMessage.RunTasks.class);
    TestProbe<NodeMessage> acks = testKit.createTestProbe();
    kit.runCommand(new JobEntity.Report(new CoordinatorMessage.TasksReport("pool-1", "n1", "Job-1", 1,
        List.of(new TaskOutcome("a", 1, 2, 1, 2, null)), acks.ref())));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(JobState.COMPLETED, kit.getState().state());
      assertEquals("TaskFailed", kit.getState().terminateReason());
      return null;
    });
  }

  @Test
  void aJobPastItsMaxWallClockTimeIsTerminated() {
    kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Create(spec().toBuilder()
        .setConstraints(io.batchgrid.protocol.spec.JobConstraints.newBuilder().setMaxWallClockTimeMs(200)).build(), r));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(JobState.COMPLETED, kit.getState().state());
      assertEquals("MaxWallClockTimeExpiry", kit.getState().terminateReason());
      return null;
    });
  }
}
