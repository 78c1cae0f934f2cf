package io.batchgrid.coordinator.job;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.node.NodeLayout;

/**
 * Chooses which queued tasks go to which leased slots: oldest first, first node with room. Pure:
 * reads the job record and a map of free slots, which it consumes. Nodes where the job's
 * preparation task has not (yet) let tasks in are passed over.
 */
final class DispatchPlanner {
  /**
   * How many queued tasks that fit nowhere may be passed over in one plan, so that a large task
   * does not hold back smaller ones forever while the scan stays bounded.
   */
  static final int MAX_SKIPPED = 256;

  private DispatchPlanner() {}

  static List<TaskDispatch> plan(JobRecord job, Map<String, Integer> freeByNode, int maxTasks) {
    return plan(job, freeByNode, maxTasks, List.of());
  }

  /**
   * One round of dispatch onto {@code capacity}: as many tasks as {@link SlotDemand#planLimit} allows
   * ({@code owed} slots are not reused, tasks finishing now ({@code freedNow}) make room under
   * maxParallelTasks), {@code released} after the queue except multi-instance ones, which are placed
   * as gangs, never on single slots.
   */
  static List<TaskDispatch> round(JobRecord job, Map<String, Integer> capacity, int owed, Map<String, Integer> freedNow,
      List<TaskRecord> released) {
    List<TaskRecord> single = released.stream().filter(t -> !t.multiInstance()).toList();
    return plan(job, capacity, SlotDemand.planLimit(job, capacity, owed, freedNow), single);
  }

  /** As {@link #plan(JobRecord, Map, int)}, with {@code released} (tasks about to leave the blocked set) after the queue. */
  static List<TaskDispatch> plan(JobRecord job, Map<String, Integer> freeByNode, int maxTasks, List<TaskRecord> released) {
    List<TaskDispatch> out = new ArrayList<>();
    if (job.hasPreparation()) {
      Map<String, Integer> prepared = new java.util.LinkedHashMap<>();
      freeByNode.forEach((node, n) -> {
        if (job.acceptsTasksOn(node)) {
          prepared.put(node, n);
        }
      });
      freeByNode = prepared;
    }
    if (freeByNode.isEmpty() || maxTasks <= 0) {
      return out;
    }
    int free = freeByNode.values().stream().mapToInt(Integer::intValue).sum();
    int skipped = 0;
    Iterator<TaskRecord> queued = job.queued();
    Iterator<TaskRecord> after = released.iterator();
    for (Iterator<TaskRecord> it = new Iterator<>() {
          @Override
          public boolean hasNext() {
            return queued.hasNext() || after.hasNext();
          }

          @Override
          public TaskRecord next() {
            return queued.hasNext() ? queued.next() : after.next();
          }
        }; it.hasNext() && free > 0 && out.size() < maxTasks;) {
      TaskRecord t = it.next();
      int need = t.requiredSlots();
      String node = null;
      for (Map.Entry<String, Integer> e : freeByNode.entrySet()) {
        if (e.getValue() >= need) {
          node = e.getKey();
          break;
        }
      }
      if (node == null) {
        if (++skipped > MAX_SKIPPED) {
          break;
        }
        continue;
      }
      freeByNode.merge(node, -need, Integer::sum);
      free -= need;
      out.add(new TaskDispatch(t.id(), node, t.attempt() + 1, NodeLayout.taskDirectory(job.id(), t.id())));
    }
    return out;
  }
}
