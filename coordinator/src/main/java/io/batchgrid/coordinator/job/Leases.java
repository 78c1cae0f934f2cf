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
    // Scheduling on the node was disabled with taskcompletion: no new tasks go there, and its
    // slots go back to the pool as the tasks on it end.
    boolean draining;

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
    l.draining = false; // the pool grants only on nodes that take tasks
  }

  /** No new tasks on this node; its slots go back as they free (see {@link #takeDraining}). */
  void drain(String nodeId) {
    Lease l = byNode.get(nodeId);
    if (l != null) {
      l.draining = true;
    }
  }

  /** Whether new tasks may go to this node: the job holds a lease there that is not draining. */
  boolean accepts(String nodeId) {
    Lease l = byNode.get(nodeId);
    return l != null && !l.draining;
  }

  /** The free slots of draining leases, taken out to be returned to the pool. */
  Map<String, Integer> takeDraining() {
    Map<String, Integer> taken = new HashMap<>();
    byNode.forEach((id, l) -> {
      int n = l.draining ? l.granted - l.used : 0;
      if (n > 0) {
        l.granted -= n;
        taken.put(id, n);
      }
    });
    byNode.values().removeIf(l -> l.granted <= 0 && l.used <= 0);
    return taken;
  }

  /** The nodes the job holds leases on. */
  java.util.Set<String> nodes() {
    return java.util.Set.copyOf(byNode.keySet());
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

  /**
   * Room per node for more tasks: free leased slots, plus {@code prefetchPerSlot} tasks per leased
   * slot that wait on the node for a slot, so that it starts the next task the moment one ends
   * instead of waiting for a round trip to the job.
   */
  Map<String, Integer> roomByNode(int prefetchPerSlot) {
    Map<String, Integer> room = new LinkedHashMap<>();
    byNode.forEach((id, l) -> {
      int r = l.draining ? 0 : l.granted * (1 + prefetchPerSlot) - l.used;
      if (r > 0) {
        room.put(id, r);
      }
    });
    return room;
  }

  int totalRoom(int prefetchPerSlot) {
    int sum = 0;
    for (Lease l : byNode.values()) {
      sum += l.draining ? 0 : Math.max(0, l.granted * (1 + prefetchPerSlot) - l.used);
    }
    return sum;
  }

  /** Leased slots that no task uses. */
  int totalFree() {
    return totalRoom(0);
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
