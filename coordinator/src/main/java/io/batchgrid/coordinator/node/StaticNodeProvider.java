package io.batchgrid.coordinator.node;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.pekko.actor.typed.ActorRef;

import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.node.NodeMessage;

/**
 * Nodes that operators start: {@code batchgrid worker --pool P --node NAME [--labels a,b]} processes
 * on any machine join the cluster through a seed node and register with pool P. Nothing is started
 * here: a pool of this provider claims a registering worker it does not know yet while it has fewer
 * nodes than its target and the worker has every label the pool asks for (pool metadata
 * {@value #LABELS_METADATA}, comma-separated). The worker's name is the node's id, so a worker that
 * restarts, or outlives a coordinator, comes back as the same node.
 *
 * <p>Stopping a node (resize down, removenodes, pool delete) retires its worker: the process kills
 * its tasks and exits; run it under a supervisor that starts it again to offer the machine anew.
 * Thread-safe: pools on any thread call it.
 */
public final class StaticNodeProvider implements NodeProvider {
  /** Pool metadata naming the labels a worker needs to be claimed by the pool, e.g. {@code gpu,linux}. */
  public static final String LABELS_METADATA = "batchgrid.labels";

  /** The agents of claimed nodes by pool and node key: the only way to reach a worker to retire it. */
  private final Map<String, ActorRef<NodeMessage>> agents = new ConcurrentHashMap<>();

  @Override
  public boolean claimsRegisteringNodes() {
    return true;
  }

  @Override
  public void registered(String poolId, String nodeId, ActorRef<NodeMessage> agent) {
    agents.put(key(poolId, nodeId), agent);
  }

  /** Nothing to start: the worker comes when its operator runs it, and the pool claims it then. */
  @Override
  public void start(String poolId, List<String> nodeIds, int taskSlots) {}

  @Override
  public void stop(String poolId, List<String> nodeIds) {
    for (String id : nodeIds) {
      ActorRef<NodeMessage> agent = agents.remove(key(poolId, id));
      if (agent != null) {
        agent.tell(new NodeMessage.Retire());
      }
    }
  }

  private static String key(String poolId, String nodeId) {
    return Ids.key(poolId) + "/" + Ids.key(nodeId);
  }
}
