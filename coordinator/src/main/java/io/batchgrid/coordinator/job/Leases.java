package io.batchgrid.coordinator.job;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.pekko.actor.typed.ActorRef;

import io.batchgrid.protocol.node.NodeMessage;

/**
 * The slots a job holds on its pool's nodes, and how many of them its running tasks use. Live
 * information of one incarnation of the job entity: leases are granted again after a restart.
 */
final class Leases {

  private static final class Lease {
    final ActorRef<NodeMessage> agent;
    int granted;
    int used;

    Lease(ActorRef<NodeMessage> agent) {
      this.agent = agent;
    }
  }

  private final Map<String, Lease> byNode = new LinkedHashMap<>();
  private int owed;

  void grant(String nodeId, ActorRef<NodeMessage> agent, int slots) {
    Lease l = byNode.get(nodeId);
    if (l == null || !l.agent.equals(agent)) {
      Lease fresh = new Lease(agent);
      if (l != null) {
        fresh.used = l.used;
      }
      l = fresh;
      byNode.put(nodeId, l);
    }
    l.granted += slots;
  }

  ActorRef<NodeMessage> agent(String nodeId) {
    Lease l = byNode.get(nodeId);
    return l == null ? null : l.agent;
  }

  void use(String nodeId, int slots) {
    Lease l = byNode.get(nodeId);
    if (l != null) {
      l.used += slots;
    }
  }

  void free(String nodeId, int slots) {
    Lease l = byNode.get(nodeId);
    if (l != null) {
      l.used = Math.max(0, l.used - slots);
    }
  }

  /** Free leased slots per node. */
  Map<String, Integer> freeByNode() {
    Map<String, Integer> free = new LinkedHashMap<>();
    byNode.forEach((id, l) -> {
      if (l.granted > l.used) {
        free.put(id, l.granted - l.used);
      }
    });
    return free;
  }

  int totalFree() {
    int sum = 0;
    for (Lease l : byNode.values()) {
      sum += Math.max(0, l.granted - l.used);
    }
    return sum;
  }

  /** The pool asked for slots back: the next free ones go back instead of being reused. */
  void owe(int slots) {
    owed += slots;
  }

  int owed() {
    return owed;
  }

  /**
   * Takes up to {@code max} free slots out of the leases, to be returned to the pool; any that pay
   * what is owed reduce the debt.
   */
  Map<String, Integer> takeFree(int max) {
    Map<String, Integer> taken = new HashMap<>();
    int left = max;
    for (Map.Entry<String, Lease> e : byNode.entrySet()) {
      if (left <= 0) {
        break;
      }
      Lease l = e.getValue();
      int n = Math.min(left, l.granted - l.used);
      if (n > 0) {
        l.granted -= n;
        left -= n;
        taken.put(e.getKey(), n);
      }
    }
    byNode.values().removeIf(l -> l.granted <= 0 && l.used <= 0);
    owed = Math.max(0, owed - (max - left));
    return taken;
  }

  /** Drops the lease on a lost node. */
  void lose(String nodeId) {
    byNode.remove(nodeId);
  }

  void clear() {
    byNode.clear();
    owed = 0;
  }
}
