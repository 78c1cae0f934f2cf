package io.batchgrid.protocol.job;

/** Azure Batch task states; {@link #wire()} is the value on the wire. Ordinals are persisted: append only. */
public enum TaskState {
  ACTIVE, PREPARING, RUNNING, COMPLETED;

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
