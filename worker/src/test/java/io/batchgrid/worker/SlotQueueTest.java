package io.batchgrid.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SlotQueueTest {

  @Test
  void startsInArrivalOrderWhileSlotsAreFree() {
    SlotQueue<String> q = new SlotQueue<>(2);
    q.offer("a", 1);
    q.offer("b", 1);
    q.offer("c", 1);
    assertEquals("a", q.poll());
    assertEquals("b", q.poll());
    assertNull(q.poll(), "both slots are taken");
    assertEquals(2, q.used());
    q.release(1);
    assertEquals("c", q.poll());
    assertEquals(0, q.waiting());
  }

  @Test
  void aWideAttemptHoldsBackTheOnesBehindIt() {
    SlotQueue<String> q = new SlotQueue<>(3);
    q.offer("narrow", 1);
    q.offer("wide", 3);
    q.offer("late", 1);
    assertEquals("narrow", q.poll());
    assertNull(q.poll(), "wide waits for all three slots, late waits behind it");
    q.release(1);
    assertEquals("wide", q.poll());
    assertNull(q.poll());
    q.release(3);
    assertEquals("late", q.poll());
  }

  @Test
  void removesWaitingItems() {
    SlotQueue<String> q = new SlotQueue<>(1);
    q.offer("a", 1);
    q.offer("b", 1);
    assertEquals("a", q.poll());
    assertTrue(q.removeWaiting("b"::equals));
    assertEquals(0, q.waiting());
  }

  @Test
  void rejectsAttemptsWiderThanTheNode() {
    SlotQueue<String> q = new SlotQueue<>(2);
    assertThrows(IllegalArgumentException.class, () -> q.offer("x", 3));
  }
}
