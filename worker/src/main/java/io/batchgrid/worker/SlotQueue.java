package io.batchgrid.worker;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A node's task slots and the attempts waiting for them, started strictly in arrival order: an
 * attempt that needs more slots than are free holds back the ones behind it, so a wide task is not
 * starved by narrow ones. The coordinator leases slots and should never overbook a node; this
 * queue keeps the node correct when it does. Not thread-safe: owned by the agent.
 */
final class SlotQueue<T> {
  private record Waiting<T>(T item, int slots) {}

  private final int capacity;
  private final ArrayDeque<Waiting<T>> waiting = new ArrayDeque<>();
  private int used;

  SlotQueue(int capacity) {
    this.capacity = capacity;
  }

  int capacity() {
    return capacity;
  }

  int used() {
    return used;
  }

  int waiting() {
    return waiting.size();
  }

  /** Queues {@code item}, which needs {@code slots} (1..capacity) slots while it runs. */
  void offer(T item, int slots) {
    if (slots < 1 || slots > capacity) {
      throw new IllegalArgumentException("slots must be within 1.." + capacity + ", was " + slots);
    }
    waiting.addLast(new Waiting<>(item, slots));
  }

  /** Takes the slots of the first waiting item and returns it, or null when it does not fit (or none waits). */
  T poll() {
    Waiting<T> head = waiting.peekFirst();
    if (head == null || head.slots() > capacity - used) {
      return null;
    }
    waiting.removeFirst();
    used += head.slots();
    return head.item();
  }

  /** Gives back slots of an item that ended. */
  void release(int slots) {
    used -= slots;
    if (used < 0) {
      throw new IllegalStateException("released more slots than were taken");
    }
  }

  /** Removes the waiting items that match; returns whether any did. */
  boolean removeWaiting(Predicate<T> match) {
    boolean removed = false;
    for (Iterator<Waiting<T>> it = waiting.iterator(); it.hasNext(); ) {
      if (match.test(it.next().item())) {
        it.remove();
        removed = true;
      }
    }
    return removed;
  }

  void forEachWaiting(Consumer<T> action) {
    waiting.forEach(w -> action.accept(w.item()));
  }

  void clearWaiting() {
    waiting.clear();
  }
}
