package io.batchgrid.coordinator.job;

import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.TaskCounts;

/**
 * The job's side of its conversation with its pool: the slots it asks for and the nodes to avoid,
 * the multi-instance tasks waiting for a gang of nodes, and the task counts the pool's autoscale
 * formulas read. Only what changed is told; on the periodic {@link #reassert tick} it is said again,
 * since messages to the pool can be lost (it restarts, or does not exist yet).
 *
 * <p>Live state of one incarnation of the job entity, as its leases are: after a restart the job
 * asks afresh. Messages go through {@code tell} (pool id, command), so that this can be tested
 * without an actor system.
 */
final class PoolLink {
  /** How often at most the counts are told from the hot path (the tick tells them in any case). */
  static final long COUNTS_EVERY_MS = 1_000;

  private final BiConsumer<String, PoolEntity.Command> tell;
  private int demandSent;
  // The nodes last told to the pool to avoid (the preparation task failed there).
  private Set<String> avoidSent = Set.of();
  // The multi-instance tasks whose gangs were last asked for.
  private List<PoolEntity.Gang> gangsAsked = List.of();
  private TaskCounts countsSent;
  private long countsSentAtMs;

  PoolLink(BiConsumer<String, PoolEntity.Command> tell) {
    this.tell = tell;
  }

  private void tell(JobRecord s, PoolEntity.Command c) {
    tell.accept(s.spec().getPoolId(), c);
  }

  /**
   * After a restart: the pool tells the job when each of these nodes registers (at once if it has),
   * or that it no longer has it.
   */
  void awaitNodes(JobRecord s, Set<String> nodes) {
    tell(s, new PoolEntity.AwaitNodes(s.id(), List.copyOf(nodes)));
  }

  /** Slots granted: that many fewer are still asked for. */
  void granted(int slots) {
    demandSent = Math.max(0, demandSent - slots);
  }

  void returnSlots(JobRecord s, String nodeId, int slots) {
    tell(s, new PoolEntity.ReturnSlots(s.id(), nodeId, slots));
  }

  /** Asks for {@code demand} more slots, none on the nodes to {@code avoid}, when either changed. */
  void want(JobRecord s, int demand, Set<String> avoid) {
    if (demand != demandSent || !avoid.equals(avoidSent)) {
      demandSent = demand;
      avoidSent = avoid;
      requestSlots(s);
    }
  }

  private void requestSlots(JobRecord s) {
    tell(s, new PoolEntity.RequestSlots(s.id(), s.spec().getPriority(), demandSent, s.maxRequiredSlots(), avoidSent,
        s.spec().getAllowTaskPreemption()));
  }

  /**
   * Asks for nodes for the first queued multi-instance tasks when they changed (or {@code again},
   * on the tick, while any wait); withdraws the request when there are none.
   */
  void askGangs(JobRecord s, boolean again) {
    List<PoolEntity.Gang> want = SlotDemand.gangsWanted(s);
    if (want.equals(gangsAsked) && !(again && !want.isEmpty())) {
      return;
    }
    gangsAsked = want;
    tell(s, new PoolEntity.RequestGangs(s.id(), s.spec().getPriority(), want));
  }

  /** The pool answered for this task's gang and forgot it: it is asked again if the task still waits. */
  void gangAnswered(String taskId) {
    gangsAsked = gangsAsked.stream().filter(g -> !g.taskId().equals(taskId)).toList();
  }

  /** Tells the job's task counts when they changed: at most once per {@link #COUNTS_EVERY_MS} unless {@code tick}. */
  void counts(JobRecord s, long nowMs, boolean tick) {
    if (!tick && nowMs - countsSentAtMs < COUNTS_EVERY_MS) {
      return;
    }
    TaskCounts counts = SlotDemand.counts(s);
    if (counts.equals(countsSent)) {
      return;
    }
    countsSent = counts;
    countsSentAtMs = nowMs;
    tell(s, new PoolEntity.JobTaskCounts(s.id(), counts.active(), counts.running(), counts.succeeded(), counts.failed()));
  }

  /** The tick: says again what the job wants while it wants or holds anything ({@code busy}), its gangs, its counts. */
  void reassert(JobRecord s, boolean busy, long nowMs) {
    if (demandSent > 0 || busy) {
      requestSlots(s);
    }
    askGangs(s, true);
    counts(s, nowMs, true);
  }

  /**
   * After a restart: a pool that outlived the job's earlier incarnation forgets the leases and
   * requests it made (the slots of tasks that run on are adopted again, see {@link #adoptSlots}).
   */
  void forgetLeases(JobRecord s) {
    tell(s, new PoolEntity.ReleaseJob(s.id()));
  }

  /** The job's running tasks use these slots of a node without a lease from this pool incarnation. */
  void adoptSlots(JobRecord s, String nodeId, int slots) {
    tell(s, new PoolEntity.AdoptSlots(s.id(), nodeId, slots));
  }

  /** The job ended: the pool takes back every slot and gang request of it. */
  void releaseJob(JobRecord s) {
    gangsAsked = List.of();
    demandSent = 0;
    tell(s, new PoolEntity.ReleaseJob(s.id()));
  }
}
