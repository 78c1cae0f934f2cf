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

  /**
   * Stop {@code slots} slots' worth of {@code jobId}'s running tasks now and give the slots back: a
   * job of higher priority waits, and this job allows its tasks to be preempted.
   */
  record Preemption(String jobId, int slots) {}

  /** One slot on each of these distinct nodes, leased to {@code jobId} for its multi-instance task. */
  record GangGrant(String jobId, String taskId, List<String> nodeIds) {}

  record Plan(List<Grant> grants, List<YieldRequest> yields, List<GangGrant> gangGrants, List<Preemption> preemptions) {
    Plan(List<Grant> grants, List<YieldRequest> yields) {
      this(grants, yields, List.of(), List.of());
    }
  }

  private static final class Node {
    final int slots;
    final Map<String, Integer> leases = new HashMap<>();
    int free;

    Node(int slots) {
      this.slots = slots;
      this.free = slots;
    }
  }

  /**
   * {@code since} orders jobs of equal priority: it is when the job last got a slot (or began to
   * wait), so jobs that wait at the same priority take turns slot by slot instead of the oldest
   * taking every slot that frees while it has work.
   */
  private record Want(int priority, int demand, long since) {}

  /** A multi-instance task that needs one slot on each of {@code instances} distinct nodes at once. */
  private record GangWant(String taskId, int priority, int instances, long since) {}

  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, Want> waiting = new LinkedHashMap<>();
  private final Map<String, Integer> yieldAsked = new HashMap<>();
  private final Map<String, Integer> priorities = new HashMap<>();
  // Nodes a job must not be given slots on (its preparation task failed there).
  private final Map<String, java.util.Set<String>> avoid = new HashMap<>();
  /** Jobs whose running tasks may be stopped and requeued for jobs of higher priority (allowTaskPreemption). */
  private final java.util.Set<String> preemptible = new java.util.HashSet<>();
  /** Waiting multi-instance tasks by job, oldest first (a job sends its first few). */
  private final Map<String, List<GangWant>> gangs = new LinkedHashMap<>();
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
    want(jobId, priority, demand, false, java.util.Set.of());
  }

  /** As {@link #want(String, int, int)}, never on {@code avoidNodes}. */
  void want(String jobId, int priority, int demand, java.util.Set<String> avoidNodes) {
    want(jobId, priority, demand, false, avoidNodes);
  }

  /** As {@link #want(String, int, int)}, saying too whether the job's running tasks may be preempted. */
  void want(String jobId, int priority, int demand, boolean allowPreemption) {
    want(jobId, priority, demand, allowPreemption, java.util.Set.of());
  }

  /**
   * As {@link #want(String, int, int)}, saying too whether the job's running tasks may be preempted,
   * and never on {@code avoidNodes}.
   */
  void want(String jobId, int priority, int demand, boolean allowPreemption, java.util.Set<String> avoidNodes) {
    if (avoidNodes.isEmpty()) {
      avoid.remove(jobId);
    } else {
      avoid.put(jobId, avoidNodes);
    }
    priorities.put(jobId, priority);
    if (allowPreemption) {
      preemptible.add(jobId);
    } else {
      preemptible.remove(jobId);
    }
    if (demand <= 0) {
      waiting.remove(jobId);
      return;
    }
    Want before = waiting.get(jobId);
    waiting.put(jobId, new Want(priority, demand, before == null ? ++clock : before.since()));
  }

  /** A multi-instance task that waits for {@code instances} distinct nodes. */
  record Gang(String taskId, int instances) {}

  /**
   * A job's multi-instance tasks that wait for nodes, oldest first: each needs {@code instances}
   * distinct nodes with a free slot each. Replaces what the job asked before; empty withdraws it.
   */
  void wantGangs(String jobId, int priority, List<Gang> wanted) {
    priorities.put(jobId, priority);
    Map<String, Long> before = new HashMap<>();
    gangs.getOrDefault(jobId, List.of()).forEach(g -> before.put(g.taskId(), g.since()));
    if (wanted.isEmpty()) {
      gangs.remove(jobId);
      return;
    }
    List<GangWant> list = new ArrayList<>(wanted.size());
    for (Gang g : wanted) {
      Long since = before.get(g.taskId());
      list.add(new GangWant(g.taskId(), priority, Math.max(1, g.instances()), since != null ? since : ++clock));
    }
    gangs.put(jobId, list);
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

  /**
   * A job's running tasks use these slots of a node although it was granted none there by this
   * ledger (the job or the pool restarted): they count as its lease. The node may end up with more
   * leased than it has for a while; nothing more is granted there until they come back.
   */
  void adopt(String jobId, String nodeId, int slots) {
    Node n = nodes.get(nodeId);
    if (n == null || slots <= 0) {
      return;
    }
    n.leases.merge(jobId, slots, Integer::sum);
    n.free -= slots;
  }

  /** A job is gone (completed, deleted): all its slots come back. */
  void releaseJob(String jobId) {
    waiting.remove(jobId);
    gangs.remove(jobId);
    preemptible.remove(jobId);
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
   * Hands free slots to waiting jobs, highest priority first; among jobs of equal priority, the one
   * holding fewest slots first, then in turns.
   * {@code pack} fills one node before the next, otherwise slots are spread. A multi-instance task
   * gets one slot on each of its n distinct nodes in one step, or nothing: a gang never holds part
   * of what it needs, so gangs cannot deadlock each other. While a gang that the pool's nodes could
   * hold waits first in line, nothing is granted to anyone behind it (so a stream of single tasks
   * cannot starve it), and the holders of its priority or lower are asked to give their slots back;
   * a gang that needs more nodes than the pool has waits without holding anyone back. When jobs still
   * wait, holders above their fair share (or of lower priority) are asked to yield, or, if they allow
   * it, to preempt.
   */
  Plan rebalance(boolean pack) {
    List<Grant> grants = new ArrayList<>();
    List<GangGrant> gangGrants = new ArrayList<>();
    Map<String, Map<String, Integer>> byJobNode = new LinkedHashMap<>();
    // Jobs that no free slot suits this round (all on nodes they avoid).
    java.util.Set<String> unsuited = new java.util.HashSet<>();
    java.util.Set<GangWant> passedGangs = new java.util.HashSet<>();
    GangWant blocking = null;
    Map<String, Integer> held = new HashMap<>();
    nodes.values().forEach(n -> n.leases.forEach((j, x) -> held.merge(j, x, Integer::sum)));
    while (true) {
      String job = nextWaiting(held, unsuited);
      Map.Entry<String, GangWant> next = nextGang(passedGangs, held);
      String gangJob = next == null ? null : next.getKey();
      GangWant gang = next == null ? null : next.getValue();
      Want w = job == null ? null : waiting.get(job);
      if (gang != null && (w == null || ahead(gang.priority(), held.getOrDefault(gangJob, 0), gang.since(),
          w.priority(), held.getOrDefault(job, 0), w.since()))) {
        List<String> members = gangNodes(gang.instances(), pack, avoid.getOrDefault(gangJob, java.util.Set.of()));
        if (members != null) {
          for (String id : members) {
            Node n = nodes.get(id);
            n.free--;
            n.leases.merge(gangJob, 1, Integer::sum);
          }
          List<GangWant> rest = new ArrayList<>(gangs.get(gangJob));
          rest.remove(gang);
          if (rest.isEmpty()) {
            gangs.remove(gangJob);
          } else {
            gangs.put(gangJob, rest);
          }
          gangGrants.add(new GangGrant(gangJob, gang.taskId(), members));
          continue;
        }
        if (schedulableNodes() >= gang.instances()) {
          blocking = gang;
          break;
        }
        passedGangs.add(gang);
        continue;
      }
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
      held.merge(job, 1, Integer::sum);
      byJobNode.computeIfAbsent(job, k -> new LinkedHashMap<>()).merge(nodeId, 1, Integer::sum);
      if (w.demand() <= 1) {
        waiting.remove(job);
      } else {
        waiting.put(job, new Want(w.priority(), w.demand() - 1, ++clock)); // to the back of its priority
      }
    }
    byJobNode.forEach((job, perNode) -> perNode.forEach((node, n) -> grants.add(new Grant(job, node, n))));
    if (blocking == null) {
      // No slot was free to find out: the first gang in line that the nodes could hold is waited for.
      Map.Entry<String, GangWant> first = nextGang(new java.util.HashSet<>(), held);
      while (first != null && schedulableNodes() < first.getValue().instances()) {
        java.util.Set<GangWant> skip = new java.util.HashSet<>();
        gangs.values().forEach(list -> list.stream().filter(g -> schedulableNodes() < g.instances()).forEach(skip::add));
        first = nextGang(skip, held);
      }
      blocking = first == null ? null : first.getValue();
    }
    if (waiting.isEmpty() && blocking == null) {
      return new Plan(grants, List.of(), gangGrants, List.of());
    }
    List<YieldRequest> yields = new ArrayList<>();
    List<Preemption> preemptions = new ArrayList<>();
    yields(blocking, yields, preemptions);
    return new Plan(grants, yields, gangGrants, preemptions);
  }

  /** {@code count} distinct schedulable nodes with a free slot each (the freest first when spreading), or null. */
  private List<String> gangNodes(int count, boolean pack, java.util.Set<String> avoided) {
    List<Map.Entry<String, Node>> candidates = new ArrayList<>();
    for (Map.Entry<String, Node> e : nodes.entrySet()) {
      if (e.getValue().free > 0 && !disabled.contains(e.getKey()) && !avoided.contains(e.getKey())) {
        candidates.add(e);
      }
    }
    if (candidates.size() < count) {
      return null;
    }
    Comparator<Map.Entry<String, Node>> byFree = Comparator.comparingInt(e -> e.getValue().free);
    candidates.sort(pack ? byFree : byFree.reversed());
    return candidates.subList(0, count).stream().map(Map.Entry::getKey).toList();
  }

  private int schedulableNodes() {
    int n = 0;
    for (String id : nodes.keySet()) {
      if (!disabled.contains(id)) {
        n++;
      }
    }
    return n;
  }

  /** The gang first in line (as {@link #nextWaiting}), among those not passed over in this round. */
  private Map.Entry<String, GangWant> nextGang(java.util.Set<GangWant> passed, Map<String, Integer> held) {
    Map.Entry<String, GangWant> best = null;
    for (Map.Entry<String, List<GangWant>> e : gangs.entrySet()) {
      for (GangWant g : e.getValue()) {
        if (passed.contains(g)) {
          continue;
        }
        if (best == null || ahead(g.priority(), held.getOrDefault(e.getKey(), 0), g.since(),
            best.getValue().priority(), held.getOrDefault(best.getKey(), 0), best.getValue().since())) {
          best = Map.entry(e.getKey(), g);
        }
      }
    }
    return best;
  }

  /** Line order: higher priority, then fewer slots held by the job, then waiting (or served) longest ago. */
  private static boolean ahead(int priority, int held, long since, int otherPriority, int otherHeld, long otherSince) {
    if (priority != otherPriority) {
      return priority > otherPriority;
    }
    if (held != otherHeld) {
      return held < otherHeld;
    }
    return since < otherSince;
  }

  /**
   * The job next in line for a slot: highest priority; among equals, the one holding the fewest
   * slots, then the one served (or asked to yield) longest ago. So a job cannot take back the slot
   * it yielded while another job of its priority waits. Jobs in {@code skip} are passed over.
   */
  private String nextWaiting(Map<String, Integer> held, java.util.Set<String> skip) {
    return waiting.entrySet().stream().filter(e -> !skip.contains(e.getKey()))
        .min(Comparator.<Map.Entry<String, Want>>comparingInt(e -> -e.getValue().priority())
            .thenComparingInt(e -> held.getOrDefault(e.getKey(), 0))
            .thenComparingLong(e -> e.getValue().since()))
        .map(Map.Entry::getKey).orElse(null);
  }

  private void yields(GangWant blocking, List<YieldRequest> yields, List<Preemption> preemptions) {
    int total = nodes.entrySet().stream().filter(e -> !disabled.contains(e.getKey()))
        .mapToInt(e -> e.getValue().slots).sum();
    Map<String, Integer> held = new HashMap<>();
    nodes.values().forEach(n -> n.leases.forEach((j, s) -> held.merge(j, s, Integer::sum)));
    int topWaiting = waiting.values().stream().mapToInt(Want::priority).max().orElse(Integer.MIN_VALUE);
    if (blocking != null) {
      topWaiting = Math.max(topWaiting, blocking.priority());
    }
    int top = topWaiting;
    // Jobs competing at the top waiting priority share the slots evenly.
    long competitors = held.keySet().stream()
        .filter(j -> priorities.getOrDefault(j, 0) == top && !waiting.containsKey(j)).count()
        + waiting.values().stream().filter(w -> w.priority() == top).count();
    int share = (int) Math.max(1, total / Math.max(1, competitors));
    held.forEach((job, slots) -> {
      int priority = priorities.getOrDefault(job, 0);
      int excess;
      if (blocking != null && priority <= blocking.priority()) {
        excess = slots; // a gang waits first in line: its nodes must empty
      } else {
        excess = priority < top ? slots : priority == top ? slots - share : 0;
      }
      int already = yieldAsked.getOrDefault(job, 0);
      if (excess > already) {
        yieldAsked.put(job, excess);
        // What it gives back is for the others: it goes to the back of its priority.
        waiting.computeIfPresent(job, (k, w) -> new Want(w.priority(), w.demand(), ++clock));
        if (priority < top && preemptible.contains(job)) {
          preemptions.add(new Preemption(job, excess - already));
        } else {
          yields.add(new YieldRequest(job, excess - already));
        }
      }
    });
  }
}
