package io.batchgrid.protocol.pool;

import java.util.LinkedHashMap;
import java.util.Map;

import io.batchgrid.protocol.spec.PoolSpec;

/**
 * The persisted state of a pool: its spec, lifecycle, target and the ids of its nodes (with the time
 * each was allocated). Immutable: pools change rarely, so copying is cheap. What nodes are doing
 * right now is live information kept by the pool entity, not persisted.
 */
public record PoolRecord(
    PoolSpec spec,
    PoolState state,
    AllocationState allocationState,
    long creationTimeMs,
    long stateTransitionTimeMs,
    long allocationStateTransitionTimeMs,
    long lastModifiedMs,
    long version,
    int targetDedicatedNodes,
    Map<String, Long> nodes,
    ResizeError resizeError) {

  /** Why the last resize did not reach its target (Azure's {@code resizeErrors}); null when it did. */
  public record ResizeError(String code, String message) {}

  public PoolRecord {
    nodes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
  }

  public PoolRecord(PoolSpec spec, PoolState state, AllocationState allocationState, long creationTimeMs,
      long stateTransitionTimeMs, long allocationStateTransitionTimeMs, long lastModifiedMs, long version,
      int targetDedicatedNodes, Map<String, Long> nodes) {
    this(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs, allocationStateTransitionTimeMs,
        lastModifiedMs, version, targetDedicatedNodes, nodes, null);
  }

  public static final PoolRecord EMPTY =
      new PoolRecord(null, null, null, 0, 0, 0, 0, 0, 0, Map.of(), null);

  public boolean exists() {
    return spec != null;
  }

  public String id() {
    return spec.getId();
  }

  public int taskSlotsPerNode() {
    return Math.max(1, spec.getTaskSlotsPerNode());
  }

  public PoolRecord apply(PoolEvent event) {
    long t = event.timeMs();
    if (event instanceof PoolEvent.PoolCreated e) {
      int target = e.spec().getTargetDedicatedNodes() + e.spec().getTargetLowPriorityNodes();
      return new PoolRecord(e.spec(), PoolState.ACTIVE,
          target > 0 ? AllocationState.RESIZING : AllocationState.STEADY, t, t, t, t, 1, target,
          Map.of());
    } else if (event instanceof PoolEvent.NodesAllocated e) {
      Map<String, Long> n = new LinkedHashMap<>(nodes);
      e.nodeIds().forEach(id -> n.put(id, t));
      return new PoolRecord(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs,
          allocationStateTransitionTimeMs, lastModifiedMs, version, targetDedicatedNodes, n, resizeError);
    } else if (event instanceof PoolEvent.NodesRemoved e) {
      Map<String, Long> n = new LinkedHashMap<>(nodes);
      e.nodeIds().forEach(n::remove);
      return new PoolRecord(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs,
          allocationStateTransitionTimeMs, lastModifiedMs, version, targetDedicatedNodes, n, resizeError);
    } else if (event instanceof PoolEvent.PoolResized e) {
      return new PoolRecord(spec, state, AllocationState.RESIZING, creationTimeMs,
          stateTransitionTimeMs, t, t, version + 1, e.targetDedicatedNodes(), nodes, null);
    } else if (event instanceof PoolEvent.ResizeCompleted) {
      return new PoolRecord(spec, state, AllocationState.STEADY, creationTimeMs,
          stateTransitionTimeMs, t, t, version + 1, targetDedicatedNodes, nodes, null);
    } else if (event instanceof PoolEvent.ResizeStopping) {
      return new PoolRecord(spec, state, AllocationState.STOPPING, creationTimeMs,
          stateTransitionTimeMs, t, t, version + 1, targetDedicatedNodes, nodes, resizeError);
    } else if (event instanceof PoolEvent.ResizeStopped e) {
      // The pool keeps the nodes it has; its target becomes what it reached.
      return new PoolRecord(spec, state, AllocationState.STEADY, creationTimeMs, stateTransitionTimeMs, t, t,
          version + 1, nodes.size(), nodes,
          e.errorCode() == null || e.errorCode().isEmpty() ? null : new ResizeError(e.errorCode(), e.errorMessage()));
    } else if (event instanceof PoolEvent.AutoScaleEnabled e) {
      PoolSpec changed = spec.toBuilder().setEnableAutoScale(true).setAutoScaleFormula(e.formula())
          .setAutoScaleEvaluationIntervalMs(e.evaluationIntervalMs()).build();
      return new PoolRecord(changed, state, allocationState, creationTimeMs, stateTransitionTimeMs,
          allocationStateTransitionTimeMs, t, version + 1, targetDedicatedNodes, nodes, resizeError);
    } else if (event instanceof PoolEvent.AutoScaleDisabled) {
      PoolSpec changed = spec.toBuilder().setEnableAutoScale(false).clearAutoScaleFormula()
          .clearAutoScaleEvaluationIntervalMs().build();
      return new PoolRecord(changed, state, allocationState, creationTimeMs, stateTransitionTimeMs,
          allocationStateTransitionTimeMs, t, version + 1, targetDedicatedNodes, nodes, resizeError);
    } else if (event instanceof PoolEvent.PoolDeleting) {
      return new PoolRecord(spec, PoolState.DELETING, allocationState, creationTimeMs, t,
          allocationStateTransitionTimeMs, t, version + 1, 0, nodes, resizeError);
    } else if (event instanceof PoolEvent.PoolDeleted) {
      return EMPTY;
    }
    throw new IllegalArgumentException("unknown pool event " + event);
  }
}
