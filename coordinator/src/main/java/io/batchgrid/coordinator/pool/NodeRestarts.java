package io.batchgrid.coordinator.pool;

import java.util.HashMap;
import java.util.Map;

import org.apache.pekko.actor.typed.ActorRef;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.pool.PoolRecord;

/**
 * Reboots and reimages of a pool's nodes. Which nodes are restarting is persisted in the pool
 * ({@link PoolRecord#restarting()}: {@code NodeRestartRequested} before the request is answered,
 * {@code NodeRestarted} when the node is back), so a restart of the service carries them out.
 *
 * <p>A node's reboot is done when an agent registers that has not been given the start task since
 * it started ({@code RegisterNode.startTask} null): a new process (local-process, static), a new
 * in-process agent, or any agent after the single-JVM server restarted. Any other agent of a
 * restarting node, the one asked to restart or one that outlived a coordinator before it was told,
 * is told {@link NodeMessage.Reboot} once no task runs there (no job holds slots on it, and tasks
 * it brought along when it registered have ended). A reimage also deletes the
 * node's files, which only the agent told to reimage does: so a reimage is done by a fresh agent
 * only once this pool (since it last started) has told one of the node's agents to reimage; after a
 * restart of the service the node's first agent is told to reimage, fresh or not. Live only is
 * which incarnation was told, so that it is told once.
 */
final class NodeRestarts {
  // The agent last told to restart, per node (kept after it stopped, until the node is back): it is
  // not told again; another one is.
  private final Map<String, ActorRef<NodeMessage>> told = new HashMap<>();

  /** Whether this registration brings the node back from its reboot or reimage. */
  boolean completedBy(PoolRecord s, CoordinatorMessage.RegisterNode r) {
    PoolRecord.NodeRestart restart = s.restart(r.nodeId());
    return restart != null && r.startTask() == null && (!restart.reimage() || told.containsKey(r.nodeId()));
  }

  /** The node's state while it restarts, or null when it does not. */
  static NodeState state(PoolRecord s, String nodeId) {
    PoolRecord.NodeRestart restart = s.restart(nodeId);
    return restart == null ? null : restart.reimage() ? NodeState.REIMAGING : NodeState.REBOOTING;
  }

  /** Why the node may not be rebooted, reimaged or deallocated now because it restarts, or null. */
  static BatchException busy(PoolRecord s, String nodeId) {
    PoolRecord.NodeRestart restart = s.restart(nodeId);
    if (restart == null) {
      return null;
    }
    return BatchException.of(restart.reimage() ? ErrorCode.NODE_BEING_REIMAGED : ErrorCode.NODE_BEING_REBOOTED,
        "The node is being " + (restart.reimage() ? "reimaged" : "rebooted") + ".");
  }

  /**
   * Tells the registered agents of restarting nodes on which no task runs any more ({@code busy}
   * false) to restart (each incarnation once).
   */
  void tellDrained(PoolRecord s, Map<String, ActorRef<NodeMessage>> agents, java.util.function.Predicate<String> busy) {
    if (!s.exists()) {
      return;
    }
    s.restarting().forEach((nodeId, restart) -> {
      ActorRef<NodeMessage> agent = agents.get(nodeId);
      if (agent != null && !agent.equals(told.get(nodeId)) && !busy.test(nodeId)) {
        agent.tell(new NodeMessage.Reboot(restart.reimage()));
        told.put(nodeId, agent);
      }
    });
  }

  /** The node is back from its restart, or left the pool. */
  void forget(String nodeId) {
    told.remove(nodeId);
  }
}
