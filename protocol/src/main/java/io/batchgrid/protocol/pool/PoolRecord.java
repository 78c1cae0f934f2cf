package io.batchgrid.protocol.pool;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import io.batchgrid.protocol.spec.PoolSpec;

/**
 * The persisted state of a pool: its spec, lifecycle, target and the ids of its nodes (with the time
 * each was allocated), and which of them have scheduling disabled. Immutable: pools change rarely, so copying is cheap. What nodes are doing
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
    ResizeError resizeError,
    Set<String> schedulingDisabled,
    Set<String> deallocated,
    Map<String, NodeRestart> restarting,
    Set<String> leaving) {

  /** Why the last resize did not reach its target (Azure's {@code resizeErrors}); null when it did. */
  public record ResizeError(String code, String message) {}

  /**
   * A reboot or reimage of a node, from the request until the node's new agent registers:
   * {@code option} is what its jobs do with their tasks there (requeue, terminate, taskcompletion).
   */
  public record NodeRestart(String option, boolean reimage, long requestedMs) {}

  public PoolRecord {
    nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
    schedulingDisabled = schedulingDisabled == null ? Set.of()
        : Collections.unmodifiableSet(new LinkedHashSet<>(schedulingDisabled));
    deallocated = deallocated == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(deallocated));
    restarting = restarting == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(restarting));
    leaving = leaving == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(leaving));
  }

  public PoolRecord(PoolSpec spec, PoolState state, AllocationState allocationState, long creationTimeMs,
      long stateTransitionTimeMs, long allocationStateTransitionTimeMs, long lastModifiedMs, long version,
      int targetDedicatedNodes, Map<String, Long> nodes, ResizeError resizeError, Set<String> schedulingDisabled,
      Set<String> deallocated, Map<String, NodeRestart> restarting) {
    this(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs, allocationStateTransitionTimeMs,
        lastModifiedMs, version, targetDedicatedNodes, nodes, resizeError, schedulingDisabled, deallocated, restarting,
        Set.of());
  }

  public PoolRecord(PoolSpec spec, PoolState state, AllocationState allocationState, long creationTimeMs,
      long stateTransitionTimeMs, long allocationStateTransitionTimeMs, long lastModifiedMs, long version,
      int targetDedicatedNodes, Map<String, Long> nodes, ResizeError resizeError, Set<String> schedulingDisabled,
      Set<String> deallocated) {
    this(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs, allocationStateTransitionTimeMs,
        lastModifiedMs, version, targetDedicatedNodes, nodes, resizeError, schedulingDisabled, deallocated, Map.of());
  }

  public PoolRecord(PoolSpec spec, PoolState state, AllocationState allocationState, long creationTimeMs,
      long stateTransitionTimeMs, long allocationStateTransitionTimeMs, long lastModifiedMs, long version,
      int targetDedicatedNodes, Map<String, Long> nodes, ResizeError resizeError, Set<String> schedulingDisabled) {
    this(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs, allocationStateTransitionTimeMs,
        lastModifiedMs, version, targetDedicatedNodes, nodes, resizeError, schedulingDisabled, Set.of());
  }

  public PoolRecord(PoolSpec spec, PoolState state, AllocationState allocationState, long creationTimeMs,
      long stateTransitionTimeMs, long allocationStateTransitionTimeMs, long lastModifiedMs, long version,
      int targetDedicatedNodes, Map<String, Long> nodes, ResizeError resizeError) {
    this(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs, allocationStateTransitionTimeMs,
        lastModifiedMs, version, targetDedicatedNodes, nodes, resizeError, Set.of());
  }

  public PoolRecord(PoolSpec spec, PoolState state, AllocationState allocationState, long creationTimeMs,
      long stateTransitionTimeMs, long allocationStateTransitionTimeMs, long lastModifiedMs, long version,
      int targetDedicatedNodes, Map<String, Long> nodes) {
    this(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs, allocationStateTransitionTimeMs,
        lastModifiedMs, version, targetDedicatedNodes, nodes, null);
  }

  public static final PoolRecord EMPTY =
      new PoolRecord(null, null, null, 0, 0, 0, 0, 0, 0, Map.of(), null, Set.of(), Set.of(), Map.of(), Set.of());

  public boolean exists() {
    return spec != null;
  }

  public String id() {
    return spec.getId();
  }

  public int taskSlotsPerNode() {
    return Math.max(1, spec.getTaskSlotsPerNode());
  }

  /** Whether new tasks may go to this node (ComputeNode_EnableScheduling / DisableScheduling). */
  public boolean schedulingEnabled(String nodeId) {
    return !schedulingDisabled.contains(nodeId);
  }

  /** Whether the node is deallocated (ComputeNode_Deallocate): it stays in the pool, with no process, until started. */
  public boolean deallocated(String nodeId) {
    return deallocated.contains(nodeId);
  }

  /** Whether the node leaves the pool once its tasks have ended (a shrink with taskcompletion or retaineddata). */
  public boolean leaving(String nodeId) {
    return leaving.contains(nodeId);
  }

  /** The node's reboot or reimage under way (persisted until its new agent registers), or null. */
  public NodeRestart restart(String nodeId) {
    return restarting.get(nodeId);
  }

  public PoolRecord apply(PoolEvent event) {
    // A node's scheduling, allocation and restart are not properties of the pool: its ETag stays.
    if (event instanceof PoolEvent.NodeDeallocated e) {
      Set<String> d = new LinkedHashSet<>(deallocated);
      if (nodes.containsKey(e.nodeId())) {
        d.add(e.nodeId());
      }
      return withNodeSettings(schedulingDisabled, d, restarting, leaving);
    } else if (event instanceof PoolEvent.NodeStarted e) {
      Set<String> d = new LinkedHashSet<>(deallocated);
      d.remove(e.nodeId());
      return withNodeSettings(schedulingDisabled, d, restarting, leaving);
    } else if (event instanceof PoolEvent.NodeSchedulingDisabled e) {
      Set<String> d = new LinkedHashSet<>(schedulingDisabled);
      if (nodes.containsKey(e.nodeId())) {
        d.add(e.nodeId());
      }
      return withNodeSettings(d, deallocated, restarting, leaving);
    } else if (event instanceof PoolEvent.NodeSchedulingEnabled e) {
      Set<String> d = new LinkedHashSet<>(schedulingDisabled);
      d.remove(e.nodeId());
      return withNodeSettings(d, deallocated, restarting, leaving);
    } else if (event instanceof PoolEvent.NodeRestartRequested e) {
      Map<String, NodeRestart> r = new LinkedHashMap<>(restarting);
      if (nodes.containsKey(e.nodeId())) {
        r.put(e.nodeId(), new NodeRestart(e.option(), e.reimage(), e.timeMs()));
      }
      return withNodeSettings(schedulingDisabled, deallocated, r, leaving);
    } else if (event instanceof PoolEvent.NodeRestarted e) {
      Map<String, NodeRestart> r = new LinkedHashMap<>(restarting);
      r.remove(e.nodeId());
      return withNodeSettings(schedulingDisabled, deallocated, r, leaving);
    } else if (event instanceof PoolEvent.NodesLeaving e) {
      Set<String> l = new LinkedHashSet<>(leaving);
      e.nodeIds().stream().filter(nodes::containsKey).forEach(l::add);
      return withNodeSettings(schedulingDisabled, deallocated, restarting, l);
    }
    PoolRecord next = applyToPool(event);
    if (!next.exists()) {
      return next;
    }
    // A removed node's settings go with it.
    Set<String> d = new LinkedHashSet<>(schedulingDisabled);
    d.retainAll(next.nodes().keySet());
    Set<String> off = new LinkedHashSet<>(deallocated);
    off.retainAll(next.nodes().keySet());
    Map<String, NodeRestart> r = new LinkedHashMap<>(restarting);
    r.keySet().retainAll(next.nodes().keySet());
    Set<String> l = new LinkedHashSet<>(leaving);
    l.retainAll(next.nodes().keySet());
    return new PoolRecord(next.spec, next.state, next.allocationState, next.creationTimeMs, next.stateTransitionTimeMs,
        next.allocationStateTransitionTimeMs, next.lastModifiedMs, next.version, next.targetDedicatedNodes, next.nodes,
        next.resizeError, d, off, r, l);
  }

  private PoolRecord withNodeSettings(Set<String> disabled, Set<String> off, Map<String, NodeRestart> r, Set<String> l) {
    return new PoolRecord(spec, state, allocationState, creationTimeMs, stateTransitionTimeMs,
        allocationStateTransitionTimeMs, lastModifiedMs, version, targetDedicatedNodes, nodes, resizeError, disabled,
        off, r, l);
  }

  private PoolRecord applyToPool(PoolEvent event) {
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
    } else if (event instanceof PoolEvent.PoolUpdated e) {
      return new PoolRecord(e.spec(), state, allocationState, creationTimeMs, stateTransitionTimeMs,
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
