package io.batchgrid.coordinator.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class SlotLedgerTest {

  private static Map<String, Integer> slotsByJob(SlotLedger.Plan plan) {
    return plan.grants().stream().collect(Collectors.groupingBy(SlotLedger.Grant::jobId,
        Collectors.summingInt(SlotLedger.Grant::slots)));
  }

  @Test
  void grantsNoMoreThanDemandOrFreeSlots() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    l.addNode("n2", 2);
    l.want("a", 0, 3);
    assertEquals(Map.of("a", 3), slotsByJob(l.rebalance(false)));
    l.want("b", 0, 5);
    SlotLedger.Plan plan = l.rebalance(false);
    assertEquals(Map.of("b", 1), slotsByJob(plan));
    // b still waits and a holds 3 of 4 slots: a is asked to come down to its fair share of 2
    assertEquals(List.of(new SlotLedger.YieldRequest("a", 1)), plan.yields());
    // asking again does not repeat the request
    assertTrue(l.rebalance(false).yields().isEmpty());
    l.release("a", "n1", 1);
    assertEquals(Map.of("b", 1), slotsByJob(l.rebalance(false)));
  }

  @Test
  void aJobIsNotGrantedSlotsOnNodesItAvoidsAndDoesNotHoldBackOtherJobs() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    l.addNode("n2", 2);
    // a's preparation task failed on n1 and n2: nothing suits it, and b still gets its slots
    l.want("a", 10, 4, java.util.Set.of("n1", "n2"));
    l.want("b", 0, 1);
    assertEquals(Map.of("b", 1), slotsByJob(l.rebalance(false)));
    // only on n2 now: a gets n2's free slots and nothing on n1
    l.want("a", 10, 4, java.util.Set.of("n1"));
    SlotLedger.Plan plan = l.rebalance(false);
    assertEquals(List.of(new SlotLedger.Grant("a", "n2", 2)), plan.grants().stream()
        .filter(g -> g.jobId().equals("a")).toList());
  }

  @Test
  void aNodeWithSchedulingDisabledIsNotGrantedAndItsLeasesCanBeRevoked() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    l.addNode("n2", 2);
    l.want("a", 0, 2);
    l.rebalance(false);
    assertEquals(1, l.leasesOn("n1").get("a"));
    l.setSchedulable("n1", false);
    assertEquals(Map.of("a", 1), l.revokeLeases("n1"));
    assertEquals(Map.of(), l.leasesOn("n1"));
    l.want("a", 0, 3);
    SlotLedger.Plan plan = l.rebalance(false);
    assertEquals(Map.of("a", 1), slotsByJob(plan), "only n2's last free slot");
    plan.grants().forEach(g -> assertEquals("n2", g.nodeId()));
    l.setSchedulable("n1", true);
    assertEquals(Map.of("a", 2), slotsByJob(l.rebalance(false)), "n1's two slots once enabled");
  }

  @Test
  void higherPriorityFirstAndLowerPriorityYieldsEverything() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    l.want("low", -10, 2);
    l.rebalance(false);
    l.want("high", 100, 2);
    l.want("mid", 0, 2);
    SlotLedger.Plan plan = l.rebalance(false);
    assertTrue(plan.grants().isEmpty());
    assertEquals(List.of(new SlotLedger.YieldRequest("low", 2)), plan.yields());
    l.release("low", "n1", 2);
    assertEquals(Map.of("high", 2), slotsByJob(l.rebalance(false)));
  }

  @Test
  void spreadUsesEveryNodePackFillsOneFirst() {
    SlotLedger spread = new SlotLedger();
    spread.addNode("n1", 4);
    spread.addNode("n2", 4);
    spread.want("a", 0, 2);
    assertEquals(2, spread.rebalance(false).grants().size());

    SlotLedger pack = new SlotLedger();
    pack.addNode("n1", 4);
    pack.addNode("n2", 4);
    pack.want("a", 0, 2);
    List<SlotLedger.Grant> grants = pack.rebalance(true).grants();
    assertEquals(1, grants.size());
    assertEquals(2, grants.get(0).slots());
  }

  @Test
  void aLostNodeTakesItsLeasesWithIt() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    l.want("a", 0, 2);
    l.rebalance(false);
    assertEquals(Map.of("a", 2), l.removeNode("n1"));
    assertEquals(0, l.nodeCount());
    l.releaseJob("a");
    assertTrue(l.rebalance(false).grants().isEmpty());
  }

  // ------------------------------------------------------------------ gangs (multi-instance tasks)

  private static String holding(SlotLedger l, String job) {
    return List.of("n1", "n2", "n3", "n4").stream().filter(n -> l.leasesOn(n).containsKey(job)).findFirst().orElseThrow();
  }

  private static SlotLedger threeSingleSlotNodes() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 1);
    l.addNode("n2", 1);
    l.addNode("n3", 1);
    return l;
  }

  @Test
  void aGangGetsDistinctNodesAllAtOnceAndHoldsBackWhatWaitsBehindIt() {
    SlotLedger l = threeSingleSlotNodes();
    l.want("single", 0, 1);
    assertEquals(Map.of("single", 1), slotsByJob(l.rebalance(false)));
    l.wantGangs("mpi", 0, List.of(new SlotLedger.Gang("t", 3)));
    l.want("later", 0, 5);
    SlotLedger.Plan plan = l.rebalance(false);
    // Two nodes are free but the gang needs three: it gets nothing, holds nothing, and the job
    // behind it does not take the two free slots; the holder is asked for its slot.
    assertTrue(plan.gangGrants().isEmpty());
    assertTrue(plan.grants().isEmpty(), "nothing granted behind a gang that could fit: " + plan.grants());
    assertEquals(List.of(new SlotLedger.YieldRequest("single", 1)), plan.yields());
    l.release("single", holding(l, "single"), 1);
    plan = l.rebalance(false);
    assertEquals(1, plan.gangGrants().size());
    SlotLedger.GangGrant g = plan.gangGrants().get(0);
    assertEquals("mpi", g.jobId());
    assertEquals("t", g.taskId());
    assertEquals(java.util.Set.of("n1", "n2", "n3"), new java.util.HashSet<>(g.nodeIds()));
    assertTrue(plan.grants().isEmpty());
    // The gang's slots come back one by one; the waiting job gets them.
    l.release("mpi", "n1", 1);
    assertEquals(Map.of("later", 1), slotsByJob(l.rebalance(false)));
  }

  @Test
  void aGangWiderThanThePoolWaitsWithoutHoldingAnyoneBack() {
    SlotLedger l = threeSingleSlotNodes();
    l.wantGangs("wide", 0, List.of(new SlotLedger.Gang("four", 4), new SlotLedger.Gang("two", 2)));
    l.want("single", 0, 1);
    SlotLedger.Plan plan = l.rebalance(false);
    assertEquals(1, plan.gangGrants().size(), "the job's next gang, which fits, is not hidden by the first");
    assertEquals("two", plan.gangGrants().get(0).taskId());
    assertEquals(Map.of("single", 1), slotsByJob(plan), "the third node goes to the single task");
    assertTrue(plan.yields().isEmpty(), "a gang that can never fit asks nobody to yield: " + plan.yields());
  }

  @Test
  void twoGangsThatCannotRunTogetherRunOneAfterTheOtherWithoutDeadlock() {
    SlotLedger l = new SlotLedger();
    for (int i = 1; i <= 4; i++) {
      l.addNode("n" + i, 1);
    }
    l.wantGangs("a", 0, List.of(new SlotLedger.Gang("ga", 3)));
    l.wantGangs("b", 0, List.of(new SlotLedger.Gang("gb", 3)));
    SlotLedger.Plan plan = l.rebalance(false);
    assertEquals(1, plan.gangGrants().size());
    assertEquals("a", plan.gangGrants().get(0).jobId());
    // b holds nothing while it waits: no partial gang can block a.
    assertEquals(0, (int) l.leasesOn("n4").getOrDefault("b", 0));
    plan.gangGrants().get(0).nodeIds().forEach(n -> l.release("a", n, 1));
    plan = l.rebalance(false);
    assertEquals(1, plan.gangGrants().size());
    assertEquals("b", plan.gangGrants().get(0).jobId());
  }

  @Test
  void aStreamOfSingleTasksCannotStarveAGangOfEqualPriority() {
    SlotLedger l = threeSingleSlotNodes();
    l.want("stream", 0, 1_000);
    assertEquals(Map.of("stream", 3), slotsByJob(l.rebalance(false)));
    l.wantGangs("mpi", 0, List.of(new SlotLedger.Gang("t", 3)));
    SlotLedger.Plan plan = l.rebalance(false);
    assertEquals(List.of(new SlotLedger.YieldRequest("stream", 3)), plan.yields());
    // The stream's tasks end one by one and it asks for more each time: the slots wait for the gang.
    int regranted = 0;
    for (String node : List.of("n1", "n2", "n3")) {
      l.release("stream", node, 1);
      assertTrue(plan.gangGrants().isEmpty());
      l.want("stream", 0, 1_000);
      plan = l.rebalance(false);
      regranted += slotsByJob(plan).getOrDefault("stream", 0);
      if (!plan.gangGrants().isEmpty()) {
        break;
      }
    }
    assertEquals(1, plan.gangGrants().size(), "the gang runs once the three nodes are free");
    assertEquals(0, regranted);
  }

  // ------------------------------------------------------------------ fairness and preemption

  @Test
  void jobsOfEqualPriorityTakeTurnsSoNoneStarves() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    l.want("a", 0, 1_000);
    assertEquals(Map.of("a", 2), slotsByJob(l.rebalance(false)));
    l.want("b", 0, 1_000);
    assertEquals(List.of(new SlotLedger.YieldRequest("a", 1)), l.rebalance(false).yields());
    // a gives back the slot it was asked for and still has work: the slot goes to b, which holds none.
    l.release("a", "n1", 1);
    assertEquals(Map.of("b", 1), slotsByJob(l.rebalance(false)));
    // From then on every slot that comes back goes to the job holding fewer.
    for (int i = 0; i < 100; i++) {
      String from = i % 2 == 0 ? "a" : "b";
      l.release(from, "n1", 1);
      assertEquals(Map.of(from, 1), slotsByJob(l.rebalance(false)), "round " + i);
    }
  }

  @Test
  void aLowPriorityJobProgressesOnTheSlotsHigherPriorityWorkDoesNotNeed() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    l.addNode("n2", 2);
    l.want("low", -100, 1_000);
    l.want("high", 100, 3);
    SlotLedger.Plan plan = l.rebalance(false);
    assertEquals(Map.of("high", 3, "low", 1), slotsByJob(plan));
    // A continuous stream of high-priority work that needs 3 slots at a time: each of its tasks
    // ends and another comes; the low-priority job's slot comes back to it each time it frees.
    int lowRuns = 0;
    for (int i = 0; i < 50; i++) {
      String node = plan.grants().stream().filter(g -> g.jobId().equals("high")).findFirst()
          .map(SlotLedger.Grant::nodeId).orElse("n1");
      l.release("high", node, 1);
      l.want("high", 100, 1);
      l.release("low", l.leasesOn("n1").containsKey("low") ? "n1" : "n2", 1);
      l.want("low", -100, 1_000);
      plan = l.rebalance(false);
      assertEquals(Map.of("high", 1, "low", 1), slotsByJob(plan), "round " + i);
      lowRuns++;
    }
    assertEquals(50, lowRuns);
  }

  @Test
  void aWaitingHigherPriorityJobPreemptsOnlyJobsThatAllowIt() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    l.want("keeps", -5, 1, false);
    l.want("yields", -5, 1, true);
    assertEquals(Map.of("keeps", 1, "yields", 1), slotsByJob(l.rebalance(false)));
    l.want("urgent", 10, 2);
    SlotLedger.Plan plan = l.rebalance(false);
    assertTrue(plan.grants().isEmpty());
    assertEquals(List.of(new SlotLedger.Preemption("yields", 1)), plan.preemptions());
    assertEquals(List.of(new SlotLedger.YieldRequest("keeps", 1)), plan.yields());
    l.release("yields", "n1", 1);
    assertEquals(Map.of("urgent", 1), slotsByJob(l.rebalance(false)));
  }

  @Test
  void slotsAdoptedAfterARestartCountAsLeasedUntilReturned() {
    SlotLedger l = new SlotLedger();
    l.addNode("n1", 2);
    // A job restarted while its task kept running on n1: it adopts the slot the task uses.
    l.adopt("a", "n1", 1);
    assertEquals(Map.of("a", 1), l.leasesOn("n1"));
    l.want("b", 0, 5);
    assertEquals(Map.of("b", 1), slotsByJob(l.rebalance(false)), "only the other slot is free");
    l.release("a", "n1", 1);
    assertEquals(Map.of("b", 1), slotsByJob(l.rebalance(false)), "the adopted slot comes back like any");
    // Adopting on a node the ledger does not know (not registered) changes nothing.
    l.adopt("a", "n9", 1);
    assertTrue(l.leasesOn("n9").isEmpty());
  }
}
