package io.batchgrid.protocol.pool;

/** Azure Batch pool states. Ordinals are persisted: append only. */
public enum PoolState {
  ACTIVE, DELETING;

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
