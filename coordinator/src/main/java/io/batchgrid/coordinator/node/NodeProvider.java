package io.batchgrid.coordinator.node;

import java.util.List;

import org.apache.pekko.actor.typed.ActorRef;

import io.batchgrid.protocol.node.NodeMessage;

/**
 * Brings compute nodes into being for a pool and takes them away: the one place that knows where
 * nodes run (this JVM, a child process, another machine, a cloud VM). A node that is started
 * registers itself with its pool through the gateway; until then the pool shows it as starting.
 *
 * <p>Called from a pool entity's actor thread: implementations must not block.
 */
public interface NodeProvider {

  /**
   * Starts these nodes (or makes sure they run: starting a node that already runs is a no-op).
   * The ids are persisted by the pool before this is called, so a node keeps its id and directory
   * across restarts.
   */
  void start(String poolId, List<String> nodeIds, int taskSlots);

  /** Stops these nodes; whatever runs on them is killed. Stopping an unknown node is a no-op. */
  void stop(String poolId, List<String> nodeIds);

  /**
   * Whether nodes come by themselves instead of being started (the static provider's
   * operator-started workers): a pool then claims a registering node it does not know, while it has
   * fewer nodes than its target, and allocates no node ids of its own when it grows.
   */
  default boolean claimsRegisteringNodes() {
    return false;
  }

  /** The node registered with this agent (called on every registration, from the pool's thread). */
  default void registered(String poolId, String nodeId, ActorRef<NodeMessage> agent) {}
}
