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
}
