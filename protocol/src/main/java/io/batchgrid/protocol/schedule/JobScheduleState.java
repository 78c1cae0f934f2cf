package io.batchgrid.protocol.schedule;

/** Azure Batch job schedule states. */
public enum JobScheduleState {
  ACTIVE, COMPLETED, DISABLED, TERMINATING, DELETING;

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
