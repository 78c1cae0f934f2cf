package io.batchgrid.coordinator.pool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which job holds how many slots of which node, and which jobs wait for slots. A pure data
 * structure with the pool's placement policy; the pool entity only wires it to messages.
 *
 * <p>Leases are live information, never persisted: after a restart nodes register again and jobs
 * ask again.
 */
final class SlotLedger {

  record Grant(String jobId, String nodeId, int slots) {}

  /** Ask {@code jobId} to give back {@code slots} slots as its tasks end. */
  record YieldRequest(String jobId, int slots) {}

  record Plan(List<Grant> grants, List<YieldRequest> yields) {}

  private static final class Node {
    final int slots;
    final Map<String, Integer> leases = new HashMap<>();
    int free;

    Node(int slots) {
      this.slots = slots;
      this.free = slots;
    }
  }

  private record Want(int priority, int demand, long since) {}

  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, Want> waiting = new LinkedHashMap<>();
  private final Map<String, Integer> yieldAsked = new HashMap<>();
  private final Map<String, Integer> priorities = new HashMap<>();
  // Nodes a job must not be given slots on (its preparation task failed there).
  private final Map<String, java.util.Set<String>> avoid = new HashMap<>();
  // Nodes with scheduling disabled: their free slots are not granted. Set again on registration.
  private final java.util.Set<String> disabled = new java.util.HashSet<>();
  private long clock;

  boolean hasNode(String nodeId) {
    return nodes.containsKey(nodeId);
  }

  int nodeCount() {
    return nodes.size();
  }

  void addNode(String nodeId, int slots) {
    nodes.putIfAbsent(nodeId, new Node(slots));
  }

  /** Removes a node; returns the leases that were on it, by job. */
  Map<String, Integer> removeNode(String nodeId) {
    disabled.remove(nodeId);
    Node n = nodes.remove(nodeId);
    return n == null ? Map.of() : n.leases;
  }

  /** Whether this node's free slots may be granted (ComputeNode_DisableScheduling / EnableScheduling). */
  void setSchedulable(String nodeId, boolean schedulable) {
    if (schedulable) {
      disabled.remove(nodeId);
    } else {
      disabled.add(nodeId);
    }
  }

  /** Takes back every lease on a node (its tasks were stopped); returns them by job. */
  Map<String, Integer> revokeLeases(String nodeId) {
    Node n = nodes.get(nodeId);
    if (n == null) {
      return Map.of();
    }
    Map<String, Integer> revoked = new HashMap<>(n.leases);
    revoked.forEach((job, held) -> yieldAsked.computeIfPresent(job, (k, v) -> v - held > 0 ? v - held : null));
    n.leases.clear();
    n.free = n.slots;
    return revoked;
  }

  /** Jobs holding slots on a node. */
  Map<String, Integer> leasesOn(String nodeId) {
    Node n = nodes.get(nodeId);
    return n == null ? Map.of() : Map.copyOf(n.leases);
  }

  boolean isLeased(String nodeId) {
    Node n = nodes.get(nodeId);
    return n != null && !n.leases.isEmpty();
  }

  /** A job says how many more slots it could use now; 0 withdraws it from the waiting list. */
  void want(String jobId, int priority, int demand) {
    want(jobId, priority, demand, java.util.Set.of());
  }

  /** As {@link #want(String, int, int)}, never on {@code avoidNodes}. */
  void want(String jobId, int priority, int demand, java.util.Set<String> avoidNodes) {
    if (avoidNodes.isEmpty()) {
      avoid.remove(jobId);
    } else {
      avoid.put(jobId, avoidNodes);
    }
    priorities.put(jobId, priority);
    if (demand <= 0) {
      waiting.remove(jobId);
      return;
    }
    Want before = waiting.get(jobId);
    waiting.put(jobId, new Want(priority, demand, before == null ? ++clock : before.since()));
  }

  /** A job gives slots back. */
  void release(String jobId, String nodeId, int slots) {
    Node n = nodes.get(nodeId);
    if (n == null) {
      return;
    }
    int held = n.leases.getOrDefault(jobId, 0);
    int back = Math.min(held, slots);
    if (held - back == 0) {
      n.leases.remove(jobId);
    } else {
      n.leases.put(jobId, held - back);
    }
    n.free += back;
    yieldAsked.computeIfPresent(jobId, (k, v) -> v - back > 0 ? v - back : null);
  }

  /** A job is gone (completed, deleted): all its slots come back. */
  void releaseJob(String jobId) {
    waiting.remove(jobId);
    yieldAsked.remove(jobId);
    priorities.remove(jobId);
    avoid.remove(jobId);
    for (Node n : nodes.values()) {
      Integer held = n.leases.remove(jobId);
      if (held != null) {
        n.free += held;
      }
    }
  }

  /**
   * Hands free slots to waiting jobs, highest priority first and longest waiting first within a
   * priority; {@code pack} fills one node before the next, otherwise slots are spread. When jobs
   * still wait, asks holders above their fair share (or of lower priority) to yield.
   */
  Plan rebalance(boolean pack) {
    List<Grant> grants = new ArrayList<>();
    Map<String, Map<String, Integer>> byJobNode = new LinkedHashMap<>();
    // Jobs that no free slot suits this round (all on nodes they avoid).
    java.util.Set<String> unsuited = new java.util.HashSet<>();
    while (true) {
      String job = nextWaiting(unsuited);
      java.util.Set<String> avoided = job == null ? java.util.Set.of() : avoid.getOrDefault(job, java.util.Set.of());
      Node node = null;
      String nodeId = null;
      for (Map.Entry<String, Node> e : nodes.entrySet()) {
        Node n = e.getValue();
        if (n.free <= 0 || disabled.contains(e.getKey()) || avoided.contains(e.getKey())) {
          continue;
        }
        if (node == null || (pack ? n.free < node.free : n.free > node.free)) {
          node = n;
          nodeId = e.getKey();
        }
      }
      if (job != null && node == null && !avoided.isEmpty()) {
        unsuited.add(job);
        continue;
      }
      if (job == null || node == null) {
        break;
      }
      node.free--;
      node.leases.merge(job, 1, Integer::sum);
      byJobNode.computeIfAbsent(job, k -> new LinkedHashMap<>()).merge(nodeId, 1, Integer::sum);
      Want w = waiting.get(job);
      if (w.demand() <= 1) {
        waiting.remove(job);
      } else {
        waiting.put(job, new Want(w.priority(), w.demand() - 1, w.since()));
      }
    }
    byJobNode.forEach((job, perNode) -> perNode.forEach((node, n) -> grants.add(new Grant(job, node, n))));
    return new Plan(grants, waiting.isEmpty() ? List.of() : yields());
  }

  private String nextWaiting(java.util.Set<String> skip) {
    return waiting.entrySet().stream().filter(e -> !skip.contains(e.getKey()))
        .min(Comparator.<Map.Entry<String, Want>>comparingInt(e -> -e.getValue().priority())
            .thenComparingLong(e -> e.getValue().since()))
        .map(Map.Entry::getKey).orElse(null);
  }

  private List<YieldRequest> yields() {
    int total = nodes.entrySet().stream().filter(e -> !disabled.contains(e.getKey()))
        .mapToInt(e -> e.getValue().slots).sum();
    Map<String, Integer> held = new HashMap<>();
    nodes.values().forEach(n -> n.leases.forEach((j, s) -> held.merge(j, s, Integer::sum)));
    int topWaiting = waiting.values().stream().mapToInt(Want::priority).max().orElse(Integer.MIN_VALUE);
    // Jobs competing at the top waiting priority share the slots evenly.
    long competitors = held.keySet().stream()
        .filter(j -> priorities.getOrDefault(j, 0) == topWaiting && !waiting.containsKey(j)).count()
        + waiting.values().stream().filter(w -> w.priority() == topWaiting).count();
    int share = (int) Math.max(1, total / Math.max(1, competitors));
    List<YieldRequest> out = new ArrayList<>();
    held.forEach((job, slots) -> {
      int priority = priorities.getOrDefault(job, 0);
      int excess = priority < topWaiting ? slots : priority == topWaiting ? slots - share : 0;
      int already = yieldAsked.getOrDefault(job, 0);
      if (excess > already) {
        yieldAsked.put(job, excess);
        out.add(new YieldRequest(job, excess - already));
      }
    });
    return out;
  }
}
