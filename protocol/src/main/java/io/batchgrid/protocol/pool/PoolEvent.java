package io.batchgrid.protocol.pool;

import java.util.List;

import io.batchgrid.protocol.spec.PoolSpec;

/** What happened to a pool; persisted as {@code PoolEventP} (see state.proto). */
public sealed interface PoolEvent {
  long timeMs();

  record PoolCreated(PoolSpec spec, long timeMs) implements PoolEvent {}

  /** Node ids chosen for new nodes; persisted before the nodes are started so they keep their id and directory. */
  record NodesAllocated(List<String> nodeIds, long timeMs) implements PoolEvent {
    public NodesAllocated {
      nodeIds = List.copyOf(nodeIds);
    }
  }

  /**
   * A shrink with taskcompletion or retaineddata: these nodes (scheduling disabled) leave the pool
   * once their running tasks have ended. Persisted, so a restart of the service still removes them.
   */
  record NodesLeaving(List<String> nodeIds, long timeMs) implements PoolEvent {
    public NodesLeaving {
      nodeIds = List.copyOf(nodeIds);
    }
  }

  record NodesRemoved(List<String> nodeIds, long timeMs) implements PoolEvent {
    public NodesRemoved {
      nodeIds = List.copyOf(nodeIds);
    }
  }

  /** A new dedicated-node target: the pool is resizing until its node count meets it. */
  record PoolResized(int targetDedicatedNodes, long timeMs) implements PoolEvent {}

  record ResizeCompleted(long timeMs) implements PoolEvent {}

  /** A stop of the resize was asked for: the pool is {@code stopping} until nodes still starting are handled. */
  record ResizeStopping(long timeMs) implements PoolEvent {}

  /**
   * The resize ended before reaching its target: stopped by a user (no error), or timed out
   * ({@code errorCode} AllocationTimedout). The pool keeps the nodes it has.
   */
  record ResizeStopped(String errorCode, String errorMessage, long timeMs) implements PoolEvent {}

  /** Autoscaling on, with this formula evaluated every {@code evaluationIntervalMs}; the formula was checked first. */
  record AutoScaleEnabled(String formula, long evaluationIntervalMs, long timeMs) implements PoolEvent {}

  record AutoScaleDisabled(long timeMs) implements PoolEvent {}

  /**
   * New pool properties (Pool_Patch, Pool_UpdateProperties): the whole spec after the change, so
   * that replaying needs no knowledge of which request made it.
   */
  record PoolUpdated(PoolSpec spec, long timeMs) implements PoolEvent {}

  /**
   * No new tasks go to this node (ComputeNode_DisableScheduling). Persisted, so a node stays
   * disabled across a restart of the service, as it would in Azure.
   */
  record NodeSchedulingDisabled(String nodeId, long timeMs) implements PoolEvent {}

  record NodeSchedulingEnabled(String nodeId, long timeMs) implements PoolEvent {}

  /**
   * ComputeNode_Deallocate: the node stays in the pool without a process (deallocating until its
   * agent has stopped, then deallocated) until {@link NodeStarted}. Persisted, so a restart of the
   * service does not start it.
   */
  record NodeDeallocated(String nodeId, long timeMs) implements PoolEvent {}

  record NodeStarted(String nodeId, long timeMs) implements PoolEvent {}

  /**
   * ComputeNode_Reboot / ComputeNode_Reimage was accepted: the node is rebooting (reimaging) until
   * {@link NodeRestarted}. {@code option} is what the jobs do with their tasks on it (requeue,
   * terminate, taskcompletion). Persisted before the request is answered, so a restart of the
   * service still restarts the node.
   */
  record NodeRestartRequested(String nodeId, String option, boolean reimage, long timeMs) implements PoolEvent {}

  /** The node's new agent (one started since the reboot or reimage was asked for) registered. */
  record NodeRestarted(String nodeId, long timeMs) implements PoolEvent {}

  record PoolDeleting(long timeMs) implements PoolEvent {}

  record PoolDeleted(long timeMs) implements PoolEvent {}
}
