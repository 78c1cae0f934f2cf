package io.batchgrid.protocol.pool;

/** Azure Batch pool allocation states. Ordinals are persisted: append only. */
public enum AllocationState {
  STEADY, RESIZING, STOPPING;

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
