package io.batchgrid.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;

import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.node.NodeProvider;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.coordinator.schedule.JobScheduleEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.pool.PoolEvent;
import io.batchgrid.protocol.pool.PoolRecord;
import io.batchgrid.protocol.schedule.JobScheduleEvent;
import io.batchgrid.protocol.schedule.JobScheduleRecord;
import io.batchgrid.protocol.schedule.JobScheduleState;
import io.batchgrid.protocol.spec.JobScheduleSpec;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.PoolSpec;
import io.batchgrid.protocol.spec.Schedule;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * Conditional writes are checked by the entity in the same command handling that persists them:
 * a stale ETag (or a failed date condition) is a 412 ConditionNotMet with no event written, and the
 * current ETag lets the write through and yields a new one.
 */
class ConditionalWritesTest {
  private static final ActorTestKit testKit;
  private static final NodeProvider NO_NODES = new NodeProvider() {
    @Override
    public void start(String poolId, List<String> nodeIds, int taskSlots) {}

    @Override
    public void stop(String poolId, List<String> nodeIds) {}
  };

  static {
    try {
      testKit = ActorTestKit.create("ConditionalWritesTest",
          EventSourcedBehaviorTestKit.config().withFallback(TestCluster.config(Files.createTempDirectory("snap"))));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    TestCluster.join(testKit.system());
    Catalog.init(testKit.system());
    PoolEntity.init(testKit.system(), NO_NODES);
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final EventSourcedBehaviorTestKit.SerializationSettings EVENTS_AND_STATE =
      new EventSourcedBehaviorTestKit.SerializationSettings(true, false, false, true, true);

  private static void assertNotMet(StatusReply<?> reply, String header) {
    assertTrue(reply.isError(), "a failed condition is an error");
    BatchException e = (BatchException) reply.getError();
    assertEquals(ErrorCode.CONDITION_NOT_MET, e.code());
    assertEquals(412, e.code().httpStatus());
    assertEquals(header, e.values().get("HeaderName"));
  }

  private static String etag(JobSummary j) {
    return Precondition.etag(j.creationTimeMs(), j.version());
  }

  @Test
  void jobWritesWithAStaleETagWriteNothing() {
    var kit = EventSourcedBehaviorTestKit.<JobEntity.Command, JobEvent, JobRecord>create(testKit.system(),
        JobEntity.create("cond-job", testKit.<CoordinatorMessage>createTestProbe().ref(),
            testKit.<ClusterSharding.ShardCommand>createTestProbe().ref()), EVENTS_AND_STATE);
    JobSummary created = kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Create(
        JobSpec.newBuilder().setId("cond-job").setPoolId("no-pool").setOnAllTasksComplete("noaction").build(), r))
        .reply().getValue();
    String first = etag(created);
    JobEntity.JobPatch patch = new JobEntity.JobPatch(7, null, null, null, null, null, null, false);

    // The current ETag: the write goes through and the ETag changes.
    var updated = kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Update(patch, Precondition.ifMatch("\"" + first + "\""), r));
    assertEquals(1, updated.events().size());
    String second = etag(updated.reply().getValue());
    assertNotEquals(first, second);

    // The ETag the client read before that write is stale now: every conditional write is refused, with no event.
    Precondition stale = Precondition.ifMatch(first);
    var update = kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Update(patch, stale, r));
    assertTrue(update.hasNoEvents());
    assertNotMet(update.reply(), "If-Match");
    var disable = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Disable("requeue", stale, r));
    assertTrue(disable.hasNoEvents());
    assertNotMet(disable.reply(), "If-Match");
    var terminate = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Terminate(null, stale, r));
    assertTrue(terminate.hasNoEvents());
    assertNotMet(terminate.reply(), "If-Match");
    var delete = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Delete(stale, r));
    assertTrue(delete.hasNoEvents());
    assertNotMet(delete.reply(), "If-Match");

    // If-None-Match on the current ETag and If-Unmodified-Since before the last change fail too.
    var noneMatch = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Disable("wait",
        new Precondition(null, second, null, null), r));
    assertTrue(noneMatch.hasNoEvents());
    assertNotMet(noneMatch.reply(), "If-None-Match");
    long beforeCreation = created.creationTimeMs() / 1000 - 60;
    var unmodified = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Enable(
        new Precondition(null, null, null, beforeCreation), r));
    assertTrue(unmodified.hasNoEvents());
    assertNotMet(unmodified.reply(), "If-Unmodified-Since");

    assertEquals(JobState.ACTIVE, kit.getState().state());
    assertEquals(7, kit.getState().spec().getPriority());

    // The current ETag still works.
    var disabled = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.Disable("wait", Precondition.ifMatch(second), r));
    assertFalse(disabled.events().isEmpty());
    assertEquals(JobState.DISABLED, kit.getState().state());
  }

  @Test
  void taskWritesAreCheckedAgainstTheTasksOwnETag() {
    var kit = EventSourcedBehaviorTestKit.<JobEntity.Command, JobEvent, JobRecord>create(testKit.system(),
        JobEntity.create("cond-tasks", testKit.<CoordinatorMessage>createTestProbe().ref(),
            testKit.<ClusterSharding.ShardCommand>createTestProbe().ref()), EVENTS_AND_STATE);
    JobSummary job = kit.<StatusReply<JobSummary>>runCommand(r -> new JobEntity.Create(
        JobSpec.newBuilder().setId("cond-tasks").setPoolId("no-pool").setOnAllTasksComplete("noaction").build(), r))
        .reply().getValue();
    kit.<StatusReply<List<JobEntity.AddTaskResult>>>runCommand(r -> new JobEntity.AddTasks(
        List.of(TaskSpec.newBuilder().setId("t").setCommandLine("/bin/true").build()), r));
    TaskRecord t = kit.getState().task("t");
    String taskETag = Precondition.etag(t.creationTimeMs(), t.version());

    // The job's ETag is not the task's.
    var wrong = kit.<StatusReply<TaskRecord>>runCommand(r -> new JobEntity.UpdateTask("t", null, Precondition.ifMatch(etag(job)), r));
    assertTrue(wrong.hasNoEvents());
    assertNotMet(wrong.reply(), "If-Match");

    var updated = kit.<StatusReply<TaskRecord>>runCommand(r -> new JobEntity.UpdateTask("t", null, Precondition.ifMatch(taskETag), r));
    assertEquals(1, updated.events().size());
    TaskRecord after = updated.reply().getValue();
    assertNotEquals(taskETag, Precondition.etag(after.creationTimeMs(), after.version()));

    for (var command : List.<java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<StatusReply<Done>>, JobEntity.Command>>of(
        r -> new JobEntity.TerminateTask("t", Precondition.ifMatch(taskETag), r),
        r -> new JobEntity.ReactivateTask("t", Precondition.ifMatch(taskETag), r),
        r -> new JobEntity.DeleteTask("t", Precondition.ifMatch(taskETag), r))) {
      var result = kit.<StatusReply<Done>>runCommand(command::apply);
      assertTrue(result.hasNoEvents());
      assertNotMet(result.reply(), "If-Match");
    }
    assertEquals(io.batchgrid.protocol.job.TaskState.ACTIVE, kit.getState().task("t").state());

    var deleted = kit.<StatusReply<Done>>runCommand(r -> new JobEntity.DeleteTask("t",
        Precondition.ifMatch(Precondition.etag(after.creationTimeMs(), after.version())), r));
    assertTrue(deleted.reply().isSuccess());
    assertEquals(null, kit.getState().task("t"));
  }

  @Test
  void poolWritesWithAStaleETagWriteNothing() {
    var kit = EventSourcedBehaviorTestKit.<PoolEntity.Command, PoolEvent, PoolRecord>create(testKit.system(),
        PoolEntity.create("cond-pool", NO_NODES, testKit.<ClusterSharding.ShardCommand>createTestProbe().ref()),
        EVENTS_AND_STATE);
    PoolRecord created = kit.<StatusReply<PoolEntity.PoolView>>runCommand(r -> new PoolEntity.Create(
        PoolSpec.newBuilder().setId("cond-pool").setVmSize("a1").setTargetDedicatedNodes(0).setTaskSlotsPerNode(1).build(), r))
        .reply().getValue().record();
    String first = Precondition.etag(created.creationTimeMs(), created.version());
    var resized = kit.<StatusReply<Done>>runCommand(r -> new PoolEntity.Resize(2, Precondition.ifMatch(first), r));
    assertFalse(resized.events().isEmpty());

    Precondition stale = Precondition.ifMatch(first);
    List<java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<StatusReply<Done>>, PoolEntity.Command>> writes = List.of(
        r -> new PoolEntity.Resize(5, stale, r),
        r -> new PoolEntity.StopResize(stale, r),
        r -> new PoolEntity.RemoveNodes(List.copyOf(kit.getState().nodes().keySet()),
            io.batchgrid.coordinator.autoscale.NodeDeallocationOption.REQUEUE, stale, r),
        r -> new PoolEntity.EnableAutoScale("$TargetDedicatedNodes = 1;", null, stale, r),
        r -> new PoolEntity.Delete(stale, r));
    for (var write : writes) {
      var result = kit.<StatusReply<Done>>runCommand(write::apply);
      assertTrue(result.hasNoEvents());
      assertNotMet(result.reply(), "If-Match");
    }
    var patch = kit.<StatusReply<PoolEntity.PoolView>>runCommand(r -> new PoolEntity.UpdateProperties(
        new PoolEntity.PropertiesUpdate("renamed", null, null), stale, r));
    assertTrue(patch.hasNoEvents());
    assertNotMet(patch.reply(), "If-Match");
    assertEquals(2, kit.getState().targetDedicatedNodes());
    assertFalse(kit.getState().spec().getEnableAutoScale());
  }

  @Test
  void scheduleWritesWithAStaleETagWriteNothing() {
    var kit = EventSourcedBehaviorTestKit.<JobScheduleEntity.Command, JobScheduleEvent, JobScheduleRecord>create(
        testKit.system(), JobScheduleEntity.create("cond-schedule", testKit.<ClusterSharding.ShardCommand>createTestProbe().ref()),
        // A schedule is not snapshotted, so its state has no serializer; its events do.
        new EventSourcedBehaviorTestKit.SerializationSettings(true, false, false, true, false));
    JobScheduleSpec spec = JobScheduleSpec.newBuilder().setId("cond-schedule")
        .setSchedule(Schedule.newBuilder().setDoNotRunUntilMs(System.currentTimeMillis() + 3_600_000))
        .setJobSpecification(JobSpec.newBuilder().setPoolId("no-pool")).build();
    JobScheduleRecord created = kit.<StatusReply<JobScheduleEntity.ScheduleView>>runCommand(
        r -> new JobScheduleEntity.Create(spec, r)).reply().getValue().record();
    String first = Precondition.etag(created.creationTimeMs(), created.version());
    var disabled = kit.<StatusReply<Done>>runCommand(r -> new JobScheduleEntity.Disable(Precondition.ifMatch(first), r));
    assertFalse(disabled.events().isEmpty());

    Precondition stale = Precondition.ifMatch(first);
    List<java.util.function.Function<org.apache.pekko.actor.typed.ActorRef<StatusReply<Done>>, JobScheduleEntity.Command>> writes = List.of(
        r -> new JobScheduleEntity.Enable(stale, r),
        r -> new JobScheduleEntity.Terminate(stale, r),
        r -> new JobScheduleEntity.Delete(stale, r));
    for (var write : writes) {
      var result = kit.<StatusReply<Done>>runCommand(write::apply);
      assertTrue(result.hasNoEvents());
      assertNotMet(result.reply(), "If-Match");
    }
    var update = kit.<StatusReply<JobScheduleEntity.ScheduleView>>runCommand(r -> new JobScheduleEntity.Update(spec, stale, r));
    assertTrue(update.hasNoEvents());
    assertNotMet(update.reply(), "If-Match");
    assertEquals(JobScheduleState.DISABLED, kit.getState().state());
  }
}
