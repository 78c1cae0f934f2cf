package io.batchgrid.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.catalog.CatalogEvent;
import io.batchgrid.protocol.catalog.CatalogRecord;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.pool.PoolEvent;
import io.batchgrid.protocol.pool.PoolRecord;
import io.batchgrid.protocol.serialization.PersistenceSerializer;
import io.batchgrid.protocol.serialization.Snapshots;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.PoolSpec;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskSpec;

/** Every persisted message goes through the configured serializer (Java serialization is off) and back unchanged. */
class PersistenceSerializerTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(testKit.system().classicSystem());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static final JobSpec JOB = JobSpec.newBuilder().setId("Job-1").setPoolId("pool").setPriority(5)
      .addCommonEnvironmentSettings(NameValue.newBuilder().setName("A").setValue("b")).build();
  static final TaskSpec TASK = TaskSpec.newBuilder().setId("t1").setCommandLine("/bin/echo hi")
      .setConstraints(TaskConstraints.newBuilder().setMaxTaskRetryCount(2).setMaxWallClockTimeMs(60_000)).build();

  private Object roundTrip(Object o) throws Exception {
    assertTrue(serialization.findSerializerFor(o) instanceof PersistenceSerializer, "bound: " + o.getClass());
    byte[] bytes = serialization.serialize(o).get();
    String manifest = Serializers.manifestFor(serialization.findSerializerFor(o), o);
    return serialization.deserialize(bytes, serialization.findSerializerFor(o).identifier(), manifest).get();
  }

  @Test
  void jobEventsRoundTrip() throws Exception {
    FailureInfo failure = FailureInfo.user("FailureExitCode", "failed");
    List<JobEvent> events = List.of(
        new JobEvent.JobCreated(JOB, 1),
        new JobEvent.JobUpdated(JOB.toBuilder().setPriority(7).build(), 2),
        new JobEvent.JobDisabled("requeue", 3),
        new JobEvent.JobEnabled(3),
        new JobEvent.JobTerminating("UserTerminate", 3),
        new JobEvent.JobCompleted("UserTerminate", 4),
        new JobEvent.JobDeleting(5),
        new JobEvent.JobDeleted(6),
        new JobEvent.TasksAdded(List.of(TASK), 7),
        new JobEvent.TasksDispatched(List.of(new TaskDispatch("t1", "n1", 1, "workitems/Job-1/job-1/t1")), 8),
        new JobEvent.TasksFinished("n1", List.of(new TaskOutcome("t1", 1, 3, 10, 20, failure),
            new TaskOutcome("t2", 2, null, 10, 20, null)), 9),
        new JobEvent.TasksRequeued(List.of("t1", "t2"), "NodeLost", 10),
        new JobEvent.TaskTerminated("t1", failure, 11),
        new JobEvent.TaskTerminated("t1", null, 12),
        new JobEvent.TaskDeleted("t1", 13),
        new JobEvent.TaskReactivated("t1", 14),
        new JobEvent.TaskUpdated("t1", TaskConstraints.newBuilder().setMaxTaskRetryCount(-1)
            .setRetentionTimeMs(3_600_000).build(), 15),
        new JobEvent.TaskUpdated("t1", null, 16),
        new JobEvent.JobTaskStarted(io.batchgrid.protocol.job.JobTaskKind.PREPARATION, "pool", "n1", 2, 17),
        new JobEvent.JobTaskFinished(io.batchgrid.protocol.job.JobTaskKind.RELEASE, "n1",
            new TaskOutcome("jobrelease", 1, null, 10, 20, failure), 18),
        new JobEvent.JobTaskReset(io.batchgrid.protocol.job.JobTaskKind.PREPARATION, "n1", 19),
        new JobEvent.TasksFinished("n2", List.of(new TaskOutcome("mpi", 1, 0, 10, 20, null, 2),
            new TaskOutcome("mpi", 1, 7, 10, 20, null, 0)), 17),
        new JobEvent.SubtasksRecorded("mpi", List.of(
            new io.batchgrid.protocol.job.SubtaskRecord(1, "n2", true, 10, 30, 0, null, 30),
            new io.batchgrid.protocol.job.SubtaskRecord(2, "n3", true, 10, 30, null, failure, 30)), 18));
    for (JobEvent e : events) {
      assertEquals(e, roundTrip(e));
    }
  }

  @Test
  void aJobSnapshotKeepsTheSubtasksOfMultiInstanceTasks() throws Exception {
    TaskSpec mpi = TaskSpec.newBuilder().setId("mpi").setCommandLine("mpiexec ./a.out")
        .setMultiInstanceSettings(io.batchgrid.protocol.spec.MultiInstanceSettings.newBuilder()
            .setNumberOfInstances(3).setCoordinationCommandLine("/bin/true")).build();
    List<io.batchgrid.protocol.job.SubtaskRecord> subtasks = List.of(
        new io.batchgrid.protocol.job.SubtaskRecord(1, "n2", true, 10, 30, 0, null, 30),
        new io.batchgrid.protocol.job.SubtaskRecord(2, "n3", true, 10, 30, 0, null, 30));
    io.batchgrid.protocol.job.JobRecord r = io.batchgrid.protocol.job.JobRecord.empty()
        .apply(new JobEvent.JobCreated(JOB, 1))
        .apply(new JobEvent.TasksAdded(List.of(mpi, TASK), 2));
    assertEquals("mpi", r.gangsQueued(16).get(0).id(), "a multi-instance task waits for a gang, apart");
    assertEquals(1, r.activeMultiInstanceCount());
    r = r.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("mpi", "n1", 1, "workitems/Job-1/job-1/mpi")), 3))
        .apply(new JobEvent.TasksFinished("n1", List.of(new TaskOutcome("mpi", 1, 0, 3, 30, null)), 30))
        .apply(new JobEvent.SubtasksRecorded("mpi", subtasks, 30));
    assertEquals(0, r.activeMultiInstanceCount());
    io.batchgrid.protocol.job.JobRecord back = io.batchgrid.protocol.serialization.Snapshots.fromJournal(
        roundTrip(io.batchgrid.protocol.serialization.Snapshots.toJournal(r)));
    assertEquals(subtasks, back.subtasks("MPI"));
    assertEquals(List.of(), back.subtasks("t1"));
    assertTrue(back.task("mpi").succeeded());
  }

  @Test
  void poolAndCatalogEventsRoundTrip() throws Exception {
    PoolSpec spec = PoolSpec.newBuilder().setId("p").setVmSize("standard_d2s_v3").setTargetDedicatedNodes(2)
        .setVirtualMachineConfigurationJson("{\"nodeAgentSKUId\":\"batch.node.ubuntu 22.04\"}").build();
    List<PoolEvent> events = List.of(new PoolEvent.PoolCreated(spec, 1),
        new PoolEvent.NodesAllocated(List.of("a", "b"), 2), new PoolEvent.NodesRemoved(List.of("a"), 3),
        new PoolEvent.PoolResized(4, 4), new PoolEvent.ResizeCompleted(5), new PoolEvent.ResizeStopping(5),
        new PoolEvent.ResizeStopped("AllocationTimedout", "timed out", 5),
        new PoolEvent.AutoScaleEnabled("$TargetDedicatedNodes = 1;", 5_000, 6), new PoolEvent.AutoScaleDisabled(7),
        new PoolEvent.PoolUpdated(spec.toBuilder().addMetadata(NameValue.newBuilder().setName("k").setValue("v"))
            .setTargetNodeCommunicationMode("simplified").build(), 7),
        new PoolEvent.NodesAllocated(List.of("c", "d"), 7), new PoolEvent.NodeSchedulingDisabled("c", 7),
        new PoolEvent.NodeSchedulingDisabled("d", 7), new PoolEvent.NodeSchedulingEnabled("d", 7),
        new PoolEvent.NodeDeallocated("c", 7), new PoolEvent.NodeDeallocated("d", 7), new PoolEvent.NodeStarted("d", 7),
        new PoolEvent.NodeRestartRequested("c", "terminate", true, 7),
        new PoolEvent.NodeRestartRequested("d", "requeue", false, 7), new PoolEvent.NodeRestarted("d", 7),
        new PoolEvent.NodesLeaving(List.of("d", "unknown"), 7),
        new PoolEvent.PoolDeleting(8), new PoolEvent.PoolDeleted(9));
    for (PoolEvent e : events) {
      assertEquals(e, roundTrip(e));
    }
    PoolRecord pool = PoolRecord.EMPTY;
    for (PoolEvent e : events.subList(0, 21)) {
      pool = pool.apply(e);
    }
    assertEquals("simplified", pool.spec().getTargetNodeCommunicationMode());
    assertEquals(java.util.Set.of("c"), pool.schedulingDisabled());
    assertTrue(pool.schedulingEnabled("d"));
    assertEquals(java.util.Set.of("c"), pool.deallocated());
    assertTrue(pool.deallocated("c"));
    assertEquals(java.util.Map.of("c", new PoolRecord.NodeRestart("terminate", true, 7)), pool.restarting(),
        "a reimage asked for is kept until the node's new agent registers");
    long version = pool.version();
    assertEquals(pool, roundTrip(pool));
    assertEquals(version, pool.apply(new PoolEvent.NodeRestartRequested("d", "requeue", false, 11)).version(),
        "a node's restart is not a change of the pool: its ETag stays");
    assertEquals(java.util.Map.of(), pool.apply(new PoolEvent.NodesRemoved(List.of("c"), 10)).restarting(),
        "a removed node's restart goes with it");
    assertEquals(java.util.Set.of("d"), pool.leaving(), "a node leaving once its tasks have ended");
    assertEquals(java.util.Set.of(), pool.apply(new PoolEvent.NodesRemoved(List.of("d"), 10)).leaving(),
        "and gone when removed");
    assertEquals(java.util.Set.of(), pool.apply(new PoolEvent.NodesRemoved(List.of("c"), 10)).deallocated(),
        "a removed node's deallocation goes with it");
    assertEquals(java.util.Set.of(), pool.apply(new PoolEvent.NodesRemoved(List.of("c"), 10)).schedulingDisabled(),
        "a removed node's setting goes with it");
    assertEquals(PoolRecord.EMPTY, roundTrip(PoolRecord.EMPTY));

    for (CatalogEvent e : List.of(new CatalogEvent.PoolAdded("P"), new CatalogEvent.PoolRemoved("P"),
        new CatalogEvent.JobAdded("J"), new CatalogEvent.JobRemoved("J"), new CatalogEvent.ScheduleAdded("S"),
        new CatalogEvent.ScheduleRemoved("S"))) {
      assertEquals(e, roundTrip(e));
    }
    CatalogRecord catalog = CatalogRecord.EMPTY.apply(new CatalogEvent.PoolAdded("Pool-B"))
        .apply(new CatalogEvent.PoolAdded("pool-a")).apply(new CatalogEvent.JobAdded("j"))
        .apply(new CatalogEvent.ScheduleAdded("s"));
    CatalogRecord back = (CatalogRecord) roundTrip(catalog);
    assertEquals(List.copyOf(catalog.poolIds()), List.copyOf(back.poolIds()));
    assertEquals(List.copyOf(catalog.jobIds()), List.copyOf(back.jobIds()));
    assertEquals(List.of("s"), List.copyOf(back.scheduleIds()));
  }

  @Test
  void jobScheduleEventsRoundTrip() throws Exception {
    var spec = io.batchgrid.protocol.spec.JobScheduleSpec.newBuilder().setId("nightly")
        .setSchedule(io.batchgrid.protocol.spec.Schedule.newBuilder().setRecurrenceIntervalMs(60_000))
        .setJobSpecification(JOB).build();
    for (var e : List.of(new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleCreated(spec, 1),
        new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleUpdated(spec, 2),
        new io.batchgrid.protocol.schedule.JobScheduleEvent.JobStarted(3, 3),
        new io.batchgrid.protocol.schedule.JobScheduleEvent.JobCreated(3, 3),
        new io.batchgrid.protocol.schedule.JobScheduleEvent.RunSkipped(120_000, 4),
        new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleDisabled(5),
        new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleEnabled(6),
        new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleCompleted("DoNotRunAfter", 7),
        new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleDeleted(8))) {
      assertEquals(e, roundTrip(e));
    }
  }

  @Test
  void jobSnapshotKeepsTasksCountsAndQueue() throws Exception {
    JobRecord job = JobRecord.empty().apply(new JobEvent.JobCreated(JOB, 1));
    job = job.apply(new JobEvent.TasksAdded(List.of(TASK, TASK.toBuilder().setId("t2").build(),
        TASK.toBuilder().setId("t3").build()), 2));
    job = job.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("t1", "n", 1, "d"), new TaskDispatch("t2", "n", 1, "d")), 3));
    job = job.apply(new JobEvent.TasksFinished("n", List.of(new TaskOutcome("t1", 1, 0, 3, 4, null)), 4));
    long before = job.task("t3").version();
    // Task ids are case-insensitive: the update finds t3 by another spelling.
    job = job.apply(new JobEvent.TaskUpdated("T3", TaskConstraints.newBuilder().setMaxTaskRetryCount(0).build(), 5));
    assertEquals(0, job.task("t3").spec().getConstraints().getMaxTaskRetryCount());
    assertTrue(!job.task("t3").spec().getConstraints().hasMaxWallClockTimeMs(), "PUT replaces the constraints");
    assertEquals(before + 1, job.task("t3").version());
    assertEquals(5, job.task("t3").lastModifiedMs());

    for (Object stored : List.of(job, Snapshots.toJournal(job))) {
      Object back = roundTrip(stored);
      JobRecord restored = back instanceof JobRecord r ? r : Snapshots.fromJournal(back);
      assertEquals(job.summary(), restored.summary());
      assertEquals(List.copyOf(job.allTasks()), List.copyOf(restored.allTasks()));
      TaskRecord next = restored.queued().next();
      assertEquals("t3", next.id());
    }
    JobRecord gone = (JobRecord) roundTrip(JobRecord.empty());
    assertTrue(!gone.exists());
    assertNull(gone.spec());
    assertEquals(Map.of(), Map.of());
  }

  @Test
  void jobSnapshotKeepsPreparationAndReleasePerNode() throws Exception {
    io.batchgrid.protocol.job.JobTaskKind prep = io.batchgrid.protocol.job.JobTaskKind.PREPARATION;
    io.batchgrid.protocol.job.JobTaskKind release = io.batchgrid.protocol.job.JobTaskKind.RELEASE;
    JobSpec spec = JOB.toBuilder()
        .setJobPreparationTask(io.batchgrid.protocol.spec.JobTaskSpec.newBuilder().setId("jobpreparation").setCommandLine("/bin/true"))
        .setJobReleaseTask(io.batchgrid.protocol.spec.JobTaskSpec.newBuilder().setId("jobrelease").setCommandLine("/bin/true"))
        .build();
    JobRecord job = JobRecord.empty().apply(new JobEvent.JobCreated(spec, 1));
    job = job.apply(new JobEvent.JobTaskStarted(prep, "pool", "n1", 1, 2));
    job = job.apply(new JobEvent.JobTaskStarted(prep, "pool", "n2", 1, 2));
    job = job.apply(new JobEvent.JobTaskFinished(prep, "n1", new TaskOutcome("jobpreparation", 1, 0, 3, 4, null), 4));
    job = job.apply(new JobEvent.JobTaskFinished(prep, "n2", new TaskOutcome("jobpreparation", 1, 2, 3, 4, null), 4));
    job = job.apply(new JobEvent.JobTaskStarted(release, "pool", "n1", 1, 5));
    assertTrue(job.acceptsTasksOn("n1"));
    assertTrue(!job.acceptsTasksOn("n2"));
    for (Object stored : List.of(job, Snapshots.toJournal(job))) {
      Object back = roundTrip(stored);
      JobRecord restored = back instanceof JobRecord r ? r : Snapshots.fromJournal(back);
      assertEquals(List.copyOf(job.nodeJobTasks()), List.copyOf(restored.nodeJobTasks()));
      assertEquals(java.util.Set.of("n2"), restored.nodesWithFailedPreparation());
      assertEquals(1, restored.releasesRunning().size());
    }
  }
}
