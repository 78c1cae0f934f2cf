package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.MultiInstanceSettings;
import io.batchgrid.protocol.spec.TaskSpec;

/** What the job tells its pool, and when it says it again (no actor system: the messages are collected). */
class PoolLinkTest {
  private final List<PoolEntity.Command> told = new ArrayList<>();
  private final PoolLink link = new PoolLink((poolId, c) -> {
    assertEquals("p", poolId);
    told.add(c);
  });

  private static JobRecord job(TaskSpec... tasks) {
    return JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p")
            .setPriority(5).build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(tasks), 2));
  }

  private static TaskSpec task(String id) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("x").build();
  }

  private List<PoolEntity.Command> take() {
    List<PoolEntity.Command> out = List.copyOf(told);
    told.clear();
    return out;
  }

  @Test
  void slotsAreAskedForOnlyWhenTheDemandOrTheNodesToAvoidChange() {
    JobRecord s = job(task("a"));
    link.want(s, 3, Set.of());
    PoolEntity.RequestSlots asked = assertInstanceOf(PoolEntity.RequestSlots.class, take().get(0));
    assertEquals(3, asked.demand());
    assertEquals(5, asked.priority());
    link.want(s, 3, Set.of());
    assertEquals(List.of(), take());
    link.want(s, 3, Set.of("bad"));
    assertEquals(Set.of("bad"), ((PoolEntity.RequestSlots) take().get(0)).avoidNodes());

    // The tick says it again while slots are still wanted, then (granted) only while the job is busy.
    link.reassert(s, false, 10_000);
    assertEquals(3, take().stream().filter(PoolEntity.RequestSlots.class::isInstance)
        .map(c -> ((PoolEntity.RequestSlots) c).demand()).findFirst().orElseThrow());
    link.granted(3);
    link.reassert(s, false, 20_000);
    assertEquals(0, take().stream().filter(PoolEntity.RequestSlots.class::isInstance).count());
    link.reassert(s, true, 30_000);
    assertEquals(1, take().stream().filter(PoolEntity.RequestSlots.class::isInstance).count());
  }

  @Test
  void gangsAreAskedWhenTheyChangeAgainOnTheTickAndAfterThePoolAnswered() {
    JobRecord s = job(TaskSpec.newBuilder().setId("mpi").setCommandLine("x")
        .setMultiInstanceSettings(MultiInstanceSettings.newBuilder().setNumberOfInstances(2)).build());
    link.askGangs(s, false);
    PoolEntity.RequestGangs asked = assertInstanceOf(PoolEntity.RequestGangs.class, take().get(0));
    assertEquals(List.of(new PoolEntity.Gang("mpi", 2)), asked.gangs());
    link.askGangs(s, false);
    assertEquals(List.of(), take());
    link.askGangs(s, true);
    assertEquals(1, take().size());
    link.gangAnswered("mpi");
    link.askGangs(s, false);
    assertEquals(1, take().size());

    // Nothing waits any more: the request is withdrawn once.
    JobRecord none = job();
    link.askGangs(none, false);
    assertEquals(List.of(), ((PoolEntity.RequestGangs) take().get(0)).gangs());
    link.askGangs(none, true);
    assertEquals(List.of(), take());
  }

  @Test
  void countsAreToldWhenTheyChangeAtMostOnceASecondOutsideTheTick() {
    JobRecord s = job(task("a"));
    link.counts(s, 5_000, false);
    assertEquals(1, ((PoolEntity.JobTaskCounts) take().get(0)).active());
    s.apply(new JobEvent.TasksAdded(List.of(task("b")), 3));
    link.counts(s, 5_500, false);
    assertEquals(List.of(), take());
    link.counts(s, 6_000, false);
    assertEquals(2, ((PoolEntity.JobTaskCounts) take().get(0)).active());
    link.counts(s, 9_000, true);
    assertEquals(List.of(), take()); // unchanged
  }

  @Test
  void releasingTheJobForgetsWhatWasAsked() {
    JobRecord s = job(task("a"));
    link.want(s, 2, Set.of());
    take();
    link.releaseJob(s);
    assertInstanceOf(PoolEntity.ReleaseJob.class, take().get(0));
    link.reassert(s, false, 1);
    assertEquals(0, take().stream().filter(PoolEntity.RequestSlots.class::isInstance).count());
  }
}
