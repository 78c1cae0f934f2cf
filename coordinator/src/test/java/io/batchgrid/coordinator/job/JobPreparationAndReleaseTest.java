package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Set;

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
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * The job entity with a job preparation and release task: the preparation gates each node, once,
 * before the job's first task there; the release runs where it ran when the job ends, and the job
 * completes after it.
 */
class JobPreparationAndReleaseTest {
  private static final ActorTestKit testKit;
  private static final Duration WAIT = Duration.ofSeconds(5);

  static {
    try {
      // A restarted job waits this long for its nodes to say what they still run.
      testKit = ActorTestKit.create("JobPreparationAndReleaseTest",
          com.typesafe.config.ConfigFactory.parseString("batchgrid.coordinator.node-return-timeout = 5s")
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
  }

  private final TestProbe<CoordinatorMessage> gateway = testKit.createTestProbe();
  private final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
  private final TestProbe<NodeMessage> node1 = testKit.createTestProbe();
  private final TestProbe<NodeMessage> node2 = testKit.createTestProbe();
  private final TestProbe<NodeMessage> acks = testKit.createTestProbe();
  private EventSourcedBehaviorTestKit<JobEntity.Command, JobEvent, JobRecord> kit;
  private long seq;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void fresh() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), JobEntity.create("job-1", gateway.ref(), shard.ref()),
        new EventSourcedBehaviorTestKit.SerializationSettings(true, false, false, true, true));
  }

  private static JobTaskSpec.Builder prep() {
    return JobTaskSpec.newBuilder().setId("jobpreparation").setCommandLine("/bin/true");
  }

  private static JobSpec spec(JobTaskSpec.Builder prep) {
    return JobSpec.newBuilder().setId("Job-1").setPoolId("pool-1").setOnAllTasksComplete("noaction")
        .setJobPreparationTask(prep)
        .setJobReleaseTask(JobTaskSpec.newBuilder().setId("jobrelease").setCommandLine("/bin/true")).build();
  }

  private void create(JobTaskSpec.Builder prep) {
    var result = kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Create(spec(prep), r));
    assertInstanceOf(JobEvent.JobCreated.class, result.event());
  }

  private void addTasks(String... ids) {
    List<TaskSpec> tasks = java.util.Arrays.stream(ids)
        .map(id -> TaskSpec.newBuilder().setId(id).setCommandLine("/bin/true").build()).toList();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(tasks, r));
  }

  private EventSourcedBehaviorTestKit.CommandResult<JobEntity.Command, JobEvent, JobRecord> report(
      String nodeId, String taskId, int attempt, int exitCode) {
    return kit.runCommand(new JobEntity.Report(new CoordinatorMessage.TasksReport("pool-1", nodeId, "Job-1", ++seq,
        List.of(new TaskOutcome(taskId, attempt, exitCode, 1, 2, null)), acks.ref())));
  }

  /** Grants a slot of the node and answers the preparation task it gets with the exit code. */
  private void prepare(String nodeId, TestProbe<NodeMessage> agent, int exitCode) {
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", nodeId, agent.ref(), 1));
    NodeMessage.RunJobTask prep = agent.expectMessageClass(NodeMessage.RunJobTask.class, WAIT);
    assertEquals("jobpreparation", prep.launch().taskId());
    report(nodeId, "jobpreparation", prep.launch().attempt(), exitCode);
  }

  @Test
  void thePreparationRunsOncePerNodeBeforeTheJobsFirstTaskThere() {
    create(prep());
    addTasks("a", "b", "c");
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node1.ref(), 1));
    NodeMessage.RunJobTask prep = node1.expectMessageClass(NodeMessage.RunJobTask.class, WAIT);
    assertEquals(1, prep.launch().attempt());
    assertEquals(gateway.ref(), prep.reportTo());
    assertEquals("/bin/true", prep.launch().spec().getCommandLine());
    // Its slot waits for the preparation: no task goes there yet.
    node1.expectNoMessage(Duration.ofMillis(300));
    assertFalse(kit.getState().acceptsTasksOn("n1"));

    var prepared = report("n1", "jobpreparation", 1, 0);
    assertInstanceOf(JobEvent.JobTaskFinished.class, prepared.event());
    NodeMessage.RunTasks run = node1.expectMessageClass(NodeMessage.RunTasks.class, WAIT);
    assertEquals(List.of("a"), run.tasks().stream().map(t -> t.taskId()).toList());
    assertEquals("jobpreparation", run.tasks().get(0).jobPreparationTaskId());
    // A repeated report of the preparation is counted once.
    assertTrue(report("n1", "jobpreparation", 1, 0).hasNoEvents());

    // The next task on the same node goes without preparing again.
    report("n1", "a", 1, 0);
    NodeMessage next = node1.receiveMessage(WAIT);
    assertInstanceOf(NodeMessage.RunTasks.class, next);
    assertEquals("b", ((NodeMessage.RunTasks) next).tasks().get(0).taskId());
    assertEquals(1, kit.getState().nodeJobTasks("n1").preparation().attempt());
    assertTrue(kit.getState().nodeJobTasks("n1").preparation().succeeded());
  }

  @Test
  void aFailedPreparationRetriesThenKeepsTheJobsTasksOffThatNodeOnly() {
    create(prep().setConstraints(TaskConstraints.newBuilder().setMaxTaskRetryCount(1)));
    addTasks("a", "b");
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n2", node2.ref(), 1));
    assertEquals(1, node2.expectMessageClass(NodeMessage.RunJobTask.class, WAIT).launch().attempt());
    report("n2", "jobpreparation", 1, 3);
    // One retry: a second attempt on the same node.
    assertEquals(2, node2.expectMessageClass(NodeMessage.RunJobTask.class, WAIT).launch().attempt());
    assertEquals(1, kit.getState().nodeJobTasks("n2").preparation().retryCount());
    report("n2", "jobpreparation", 2, 3);
    JobRecord state = kit.getState();
    assertEquals(Set.of("n2"), state.nodesWithFailedPreparation());
    assertEquals(3, state.nodeJobTasks("n2").preparation().exitCode());
    node2.expectNoMessage(Duration.ofMillis(300));
    assertEquals(TaskState.ACTIVE, state.task("a").state());

    // Another node prepares fine and runs the tasks.
    prepare("n1", node1, 0);
    assertEquals("a", node1.expectMessageClass(NodeMessage.RunTasks.class, WAIT).tasks().get(0).taskId());
  }

  @Test
  void withoutWaitForSuccessTasksStartWhileThePreparationRuns() {
    create(prep().setWaitForSuccess(false));
    addTasks("a");
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node1.ref(), 1));
    node1.expectMessageClass(NodeMessage.RunJobTask.class, WAIT);
    assertEquals("a", node1.expectMessageClass(NodeMessage.RunTasks.class, WAIT).tasks().get(0).taskId());
  }

  @Test
  void aRestartKeepsASucceededPreparationAndALostNodePreparesAgain() {
    create(prep());
    addTasks("a", "b");
    prepare("n1", node1, 0);
    node1.expectMessageClass(NodeMessage.RunTasks.class, WAIT);

    kit.restart();
    // The node comes back without the task: it is requeued; the node's preparation stands.
    var rejoined = kit.runCommand(new JobEntity.NodeRejoined("pool-1", "n1", node1.ref(), List.of(), List.of()));
    assertEquals(1, rejoined.events().size());
    assertInstanceOf(JobEvent.TasksRequeued.class, rejoined.event());
    assertEquals(TaskState.ACTIVE, kit.getState().task("a").state());
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node1.ref(), 1));
    assertInstanceOf(NodeMessage.RunTasks.class, node1.receiveMessage(WAIT));

    // The node is lost (it restarts like a reboot): rerunOnNodeRebootAfterSuccess defaults to true.
    var lost = kit.runCommand(new JobEntity.NodeLost("pool-1", "n1"));
    assertInstanceOf(JobEvent.JobTaskReset.class, lost.events().get(lost.events().size() - 1));
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node1.ref(), 1));
    NodeMessage.RunJobTask again = node1.expectMessageClass(NodeMessage.RunJobTask.class, WAIT);
    assertEquals(2, again.launch().attempt());
    // A late report of the abandoned attempt does not count.
    assertTrue(report("n1", "jobpreparation", 1, 0).hasNoEvents());
  }

  @Test
  void aPreparationRunningAcrossARestartCountsIfItsNodeStillRunsItAndRunsAgainIfNot() {
    create(prep());
    addTasks("a");
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n1", node1.ref(), 1));
    node1.expectMessageClass(NodeMessage.RunJobTask.class, WAIT);
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n2", node2.ref(), 1));
    node2.expectMessageClass(NodeMessage.RunJobTask.class, WAIT);
    kit.restart();
    // n1 still runs it: it stays running, and its report counts.
    var kept = kit.runCommand(new JobEntity.NodeRejoined("pool-1", "n1", node1.ref(),
        List.of(new io.batchgrid.protocol.node.RunningTask("Job-1", "jobpreparation", 1, 5)), List.of()));
    assertTrue(kept.hasNoEvents());
    node1.expectNoMessage(Duration.ofMillis(200));
    // n2 lost it: it runs again there, as attempt 2, when the job holds slots of n2 again.
    var lost = kit.runCommand(new JobEntity.NodeRejoined("pool-1", "n2", node2.ref(), List.of(), List.of()));
    assertInstanceOf(JobEvent.JobTaskReset.class, lost.event());
    kit.runCommand(new JobEntity.SlotsGranted("pool-1", "n2", node2.ref(), 1));
    assertEquals(2, node2.expectMessageClass(NodeMessage.RunJobTask.class, WAIT).launch().attempt());
    assertInstanceOf(JobEvent.JobTaskFinished.class, report("n1", "jobpreparation", 1, 0).event());
    assertTrue(kit.getState().acceptsTasksOn("n1"));
  }

  @Test
  void theReleaseRunsWhereThePreparationRanAndTheJobCompletesAfterIt() {
    create(prep());
    addTasks("a", "b");
    prepare("n1", node1, 0);
    prepare("n2", node2, 0);
    node1.expectMessageClass(NodeMessage.RunTasks.class, WAIT);
    node2.expectMessageClass(NodeMessage.RunTasks.class, WAIT);

    var terminated = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Terminate(null, r));
    assertTrue(terminated.reply().isSuccess());
    assertEquals(JobState.TERMINATING, kit.getState().state());
    assertTrue(terminated.events().stream().noneMatch(e -> e instanceof JobEvent.JobCompleted));
    assertEquals(2, terminated.events().stream().filter(e -> e instanceof JobEvent.JobTaskStarted).count());
    for (TestProbe<NodeMessage> agent : List.of(node1, node2)) {
      assertInstanceOf(NodeMessage.TerminateTask.class, agent.receiveMessage(WAIT));
      NodeMessage.RunJobTask release = agent.expectMessageClass(NodeMessage.RunJobTask.class, WAIT);
      assertEquals("jobrelease", release.launch().taskId());
      assertEquals(PreparationGate.RELEASE_WALL_CLOCK_DEFAULT.toMillis(),
          release.launch().spec().getConstraints().getMaxWallClockTimeMs());
    }
    report("n1", "jobrelease", 1, 0);
    assertEquals(JobState.TERMINATING, kit.getState().state());
    report("n2", "jobrelease", 1, 0);
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(JobState.COMPLETED, kit.getState().state());
      assertEquals("UserTerminate", kit.getState().terminateReason());
      return null;
    });
    assertTrue(kit.getState().nodeJobTasks("n2").release().succeeded());
    var status = kit.<StatusReply<JobEntity.PreparationAndReleaseStatus>>runCommand(JobEntity.GetPreparationAndReleaseStatus::new);
    assertEquals(List.of("n1", "n2"), status.reply().getValue().nodes().stream().map(n -> n.nodeId()).toList());
  }

  @Test
  void aJobWhoseReleaseNodesAreUnknownAfterARestartCompletes() {
    create(prep());
    addTasks("a");
    prepare("n1", node1, 0);
    node1.expectMessageClass(NodeMessage.RunTasks.class, WAIT);
    kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Terminate(null, r));
    assertEquals(1, kit.getState().releasesRunning().size());
    // After a restart the job asks the pool where n1's agent is; pool-1 does not exist: n1 is gone.
    kit.restart();
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(JobState.COMPLETED, kit.getState().state());
      assertNull(kit.getState().nodeJobTasks("n1").release());
      return null;
    });
  }

  @Test
  void tasksCannotTakeThePreparationOrReleaseTaskIdAndStatusNeedsAPreparation() {
    create(prep());
    var r = kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(reply -> new JobEntity.AddTasks(List.of(
        TaskSpec.newBuilder().setId("JobPreparation").setCommandLine("x").build(),
        TaskSpec.newBuilder().setId("jobrelease").setCommandLine("x").build()), reply));
    assertEquals(ErrorCode.TASK_ID_SAME_AS_JOB_PREPARATION_TASK, r.reply().getValue().get(0).error().code());
    assertEquals(ErrorCode.TASK_ID_SAME_AS_JOB_RELEASE_TASK, r.reply().getValue().get(1).error().code());
    assertTrue(r.hasNoEvents());

    fresh();
    kit.<StatusReply<JobSummary>>runCommand(reply -> new JobEntity.Create(
        spec(prep()).toBuilder().clearJobPreparationTask().clearJobReleaseTask().build(), reply));
    var status = kit.<StatusReply<JobEntity.PreparationAndReleaseStatus>>runCommand(JobEntity.GetPreparationAndReleaseStatus::new);
    assertEquals(ErrorCode.JOB_PREPARATION_TASK_NOT_SPECIFIED, ((BatchException) status.reply().getError()).code());
    assertNull(kit.getState().jobTaskKindOf("jobpreparation"));
  }
}
