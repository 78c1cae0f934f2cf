package io.batchgrid.protocol.job;

/** Azure Batch job states; {@link #wire()} is the value on the wire. Ordinals are persisted: append only. */
public enum JobState {
  ACTIVE, DISABLING, DISABLED, ENABLING, TERMINATING, COMPLETED, DELETING;

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
