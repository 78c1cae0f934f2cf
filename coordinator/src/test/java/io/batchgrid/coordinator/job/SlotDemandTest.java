package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.TaskCounts;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.MultiInstanceSettings;
import io.batchgrid.protocol.spec.TaskSpec;

/** What the job asks of its pool and how many tasks it starts, decided over job records built from events (no actor system). */
class SlotDemandTest {
  private static TaskSpec task(String id, int slots) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("/bin/true").setRequiredSlots(slots).build();
  }

  private static TaskSpec gang(String id, int instances) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("app")
        .setMultiInstanceSettings(MultiInstanceSettings.newBuilder().setNumberOfInstances(instances)).build();
  }

  private static JobRecord job(JobSpec.Builder spec, TaskSpec... tasks) {
    return JobRecord.empty().apply(new JobEvent.JobCreated(spec.setId("J").setPoolId("p").build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(tasks), 2));
  }

  @Test
  void anActiveJobWantsSlotsForItsQueuedSingleTasksUpToMaxParallelTasks() {
    JobRecord s = job(JobSpec.newBuilder(), task("a", 2), task("b", 1), gang("mpi", 3));
    assertEquals(3, SlotDemand.wanted(s));
    assertEquals(List.of(new PoolEntity.Gang("mpi", 3)), SlotDemand.gangsWanted(s));

    JobRecord limited = job(JobSpec.newBuilder().setMaxParallelTasks(1), task("a", 2), task("b", 1));
    assertEquals(1, SlotDemand.wanted(limited));
    limited.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("b", "n", 1, "d")), 3));
    assertEquals(0, SlotDemand.parallelismLeft(limited));
    assertEquals(List.of(), SlotDemand.gangsWanted(limited));

    s.apply(new JobEvent.JobDisabled("wait", 4));
    assertEquals(0, SlotDemand.wanted(s));
    assertFalse(SlotDemand.canDispatch(s));
  }

  @Test
  void aPlanStartsNoMoreThanTheSlotsNotOwedAndTheParallelismLeftAfterThisWrite() {
    JobRecord s = job(JobSpec.newBuilder().setMaxParallelTasks(2), task("a", 1), task("b", 1), task("c", 1));
    s.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("a", "n", 1, "d"), new TaskDispatch("b", "n", 1, "d")), 3));
    // Two running, the limit is two: only the ones finishing in this write make room.
    assertEquals(0, SlotDemand.planLimit(s, Map.of("n", 4), 0, Map.of()));
    assertEquals(1, SlotDemand.planLimit(s, Map.of("n", 4), 0, Map.of("n", 1)));
    JobRecord free = job(JobSpec.newBuilder(), task("a", 1));
    assertEquals(3, SlotDemand.planLimit(free, Map.of("n1", 2, "n2", 3), 2, Map.of()));
    assertEquals(0, SlotDemand.planLimit(free, Map.of("n1", 1), 2, Map.of()));
  }

  @Test
  void onlyNodesThePreparationLetInCountAsRoom() {
    JobRecord s = job(JobSpec.newBuilder().setJobPreparationTask(JobTaskSpec.newBuilder().setId("prep").setCommandLine("x")),
        task("a", 1));
    s.apply(new JobEvent.JobTaskStarted(JobTaskKind.PREPARATION, "p", "ready", 1, 2))
        .apply(new JobEvent.JobTaskFinished(JobTaskKind.PREPARATION, "ready", new TaskOutcome("prep", 1, 0, 2, 3, null), 3));
    assertEquals(2, SlotDemand.readyRoom(s, Map.of("ready", 2, "new", 5)));
    assertEquals(7, SlotDemand.readyRoom(job(JobSpec.newBuilder(), task("a", 1)), Map.of("ready", 2, "new", 5)));
  }

  @Test
  void aGangIsTakenOnlyByAQueuedMultiInstanceTaskWithAnAgentOnEachOfItsNodes() {
    JobRecord s = job(JobSpec.newBuilder(), gang("mpi", 2), task("single", 1));
    JobEntity.GangMember gone = new JobEntity.GangMember("n2", null);
    assertNull(SlotDemand.gangDispatch(s, "mpi", List.of(gone, gone)));
    assertNull(SlotDemand.gangDispatch(s, "single", List.of()));
    assertNull(SlotDemand.gangDispatch(s, "unknown", List.of()));
    org.apache.pekko.actor.testkit.typed.javadsl.TestInbox<io.batchgrid.protocol.node.NodeMessage> agent =
        org.apache.pekko.actor.testkit.typed.javadsl.TestInbox.create();
    JobEntity.GangMember primary = new JobEntity.GangMember("n1", agent.getRef());
    JobEntity.GangMember other = new JobEntity.GangMember("n2", agent.getRef());
    TaskDispatch d = SlotDemand.gangDispatch(s, "mpi", List.of(primary, other));
    assertEquals(new TaskDispatch("mpi", "n1", 1, "workitems/J/job-1/mpi"), d);
    assertNull(SlotDemand.gangDispatch(s, "mpi", List.of(primary))); // one node short
  }

  @Test
  void shortTasksArePrefetchedUnlessThePoolWantsSlotsBack() {
    assertEquals(0, SlotDemand.prefetchPerSlot(-1, 0)); // nothing measured yet
    double mean = SlotDemand.meanAttemptMs(-1, new TaskOutcome("a", 1, 0, 1_000, 1_100, null));
    assertEquals(100, mean);
    assertEquals(SlotDemand.PREFETCH_PER_SLOT, SlotDemand.prefetchPerSlot(mean, 0));
    assertEquals(0, SlotDemand.prefetchPerSlot(mean, 1));
    mean = SlotDemand.meanAttemptMs(mean, new TaskOutcome("b", 1, 0, 1_000, 11_100, null));
    assertEquals(2_100, mean);
    assertEquals(0, SlotDemand.prefetchPerSlot(mean, 0));
    assertEquals(mean, SlotDemand.meanAttemptMs(mean, new TaskOutcome("c", 1, null, 0, 0, null))); // never started
  }

  @Test
  void aTerminateJobWhenDoneJobCompletesWhenItsLastTaskDoesAndCountsVanishOnceItEnds() {
    JobRecord s = job(JobSpec.newBuilder().setOnAllTasksComplete("terminatejob"), task("a", 1));
    assertFalse(SlotDemand.completesNow(s));
    s.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("a", "n", 1, "d")), 3))
        .apply(new JobEvent.TasksFinished("n", List.of(new TaskOutcome("a", 1, 0, 3, 4, null)), 4));
    assertTrue(SlotDemand.completesNow(s));
    assertEquals(1, SlotDemand.counts(s).succeeded());
    assertFalse(SlotDemand.completesNow(job(JobSpec.newBuilder().setOnAllTasksComplete("noaction"))));
    s.apply(new JobEvent.JobTerminating("AllTasksComplete", 5));
    assertEquals(TaskCounts.ZERO, SlotDemand.counts(s));
  }
}
