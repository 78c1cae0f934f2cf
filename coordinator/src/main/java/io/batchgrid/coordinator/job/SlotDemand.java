package io.batchgrid.coordinator.job;

import java.util.List;
import java.util.Map;

import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.TaskCounts;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.node.NodeLayout;

/**
 * How many slots the job wants from its pool, how many tasks it may start on those it holds, and
 * which multi-instance tasks wait for a gang of nodes: arithmetic over the job record and the
 * entity's live leases, so that the entity only sends what is decided here.
 */
final class SlotDemand {
  /** How many waiting multi-instance tasks a job offers the pool at once: one that can never fit does not hide the next. */
  static final int GANGS_ASKED = 16;
  /**
   * Tasks shorter than this on average are prefetched: each leased slot gets a few more tasks queued
   * on its node. Short tasks otherwise leave slots idle for a report round trip after each one;
   * long tasks are not prefetched, so none waits behind a long one while another node is free.
   */
  static final double PREFETCH_BELOW_MS = 1_000;
  /** Queued tasks per leased slot when prefetching; 3 measured best with bench/throughput (1 and 8 were slower). */
  static final int PREFETCH_PER_SLOT = 3;

  private SlotDemand() {}

  /** Only an active job starts tasks. */
  static boolean canDispatch(JobRecord s) {
    return s.exists() && s.state() == JobState.ACTIVE;
  }

  /** With onAllTasksComplete terminateJob, an active job whose tasks are all complete ends now. */
  static boolean completesNow(JobRecord s) {
    return s.exists() && s.state() == JobState.ACTIVE && "terminatejob".equals(s.spec().getOnAllTasksComplete())
        && s.allTasksComplete();
  }

  /** How many more tasks may run under maxParallelTasks (unlimited without it, or when it is negative). */
  static long parallelismLeft(JobRecord s) {
    if (!s.spec().hasMaxParallelTasks() || s.spec().getMaxParallelTasks() < 0) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, s.spec().getMaxParallelTasks() - s.runningCount());
  }

  /** Slots the job could use for its queued single-instance tasks now (multi-instance ones are asked as gangs). */
  static long wanted(JobRecord s) {
    return canDispatch(s) ? Math.min(s.taskSlotCounts().active() - s.activeMultiInstanceCount(), parallelismLeft(s)) : 0;
  }

  /** The first queued multi-instance tasks, each wanting one slot on as many distinct nodes as it has instances. */
  static List<PoolEntity.Gang> gangsWanted(JobRecord s) {
    return canDispatch(s) && parallelismLeft(s) > 0
        ? s.gangsQueued(GANGS_ASKED).stream().map(t -> new PoolEntity.Gang(t.id(), t.instances())).toList()
        : List.of();
  }

  /**
   * The dispatch of a multi-instance task onto the gang of nodes granted for it (its primary's
   * first), or null when the task cannot take them now (it changed, or a node went meanwhile): the
   * slots then go back.
   */
  static TaskDispatch gangDispatch(JobRecord s, String taskId, List<JobEntity.GangMember> members) {
    TaskRecord t = s.exists() ? s.task(taskId) : null;
    boolean usable = t != null && canDispatch(s) && t.state() == TaskState.ACTIVE && t.multiInstance()
        && !s.isBlocked(t.id()) && parallelismLeft(s) > 0 && members.size() == t.instances()
        && members.stream().allMatch(m -> m.agent() != null);
    return usable ? new TaskDispatch(t.id(), members.get(0).nodeId(), t.attempt() + 1,
        NodeLayout.taskDirectory(s.id(), t.id())) : null;
  }

  /** Room for tasks on the leased nodes that take the job's tasks now (its preparation task let them in). */
  static int readyRoom(JobRecord s, Map<String, Integer> roomByNode) {
    int room = 0;
    for (Map.Entry<String, Integer> e : roomByNode.entrySet()) {
      if (s.acceptsTasksOn(e.getKey())) {
        room += e.getValue();
      }
    }
    return room;
  }

  /**
   * How many tasks one plan may start on {@code capacity}: slots the pool asked back ({@code owed})
   * are not reused, and tasks finishing in this same write ({@code freedNow}) no longer count against
   * maxParallelTasks.
   */
  static int planLimit(JobRecord s, Map<String, Integer> capacity, int owed, Map<String, Integer> freedNow) {
    int usable = capacity.values().stream().mapToInt(Integer::intValue).sum() - owed;
    long finishing = freedNow.values().stream().mapToInt(Integer::intValue).sum();
    long parallel = parallelismLeft(s);
    long limit = Math.min(usable, parallel == Long.MAX_VALUE ? parallel : parallel + finishing);
    return (int) Math.max(0, limit);
  }

  /** Tasks queued per leased slot on its node: only for short tasks, and not while the pool wants slots back. */
  static int prefetchPerSlot(double meanAttemptMs, int owed) {
    return meanAttemptMs >= 0 && meanAttemptMs < PREFETCH_BELOW_MS && owed == 0 ? PREFETCH_PER_SLOT : 0;
  }

  /** The moving average of attempt durations ({@code mean} negative: none yet) after this outcome. */
  static double meanAttemptMs(double mean, TaskOutcome o) {
    if (o.startTimeMs() <= 0 || o.endTimeMs() < o.startTimeMs()) {
      return mean;
    }
    double d = o.endTimeMs() - o.startTimeMs();
    return mean < 0 ? d : 0.8 * mean + 0.2 * d;
  }

  /** The task counts the pool's autoscale formulas read for this job: none once it is no longer active or disabled. */
  static TaskCounts counts(JobRecord s) {
    return s.state() == JobState.ACTIVE || s.state() == JobState.DISABLED ? s.taskCounts() : TaskCounts.ZERO;
  }
}
