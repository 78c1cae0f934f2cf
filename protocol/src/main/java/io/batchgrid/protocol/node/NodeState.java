package io.batchgrid.protocol.node;

/** Azure Batch compute node states; {@link #wire()} is the value on the wire. */
public enum NodeState {
  IDLE, REBOOTING, REIMAGING, RUNNING, UNUSABLE, CREATING, STARTING, WAITINGFORSTARTTASK,
  STARTTASKFAILED, UNKNOWN, LEAVINGPOOL, OFFLINE, PREEMPTED, UPGRADINGOS, DEALLOCATED, DEALLOCATING;

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
