package io.batchgrid.protocol.serialization;

import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.proto.JobSnapshotP;

/**
 * Snapshot form of a job. A {@link JobRecord} is mutable, and the snapshot store serializes on its
 * own thread; so the entity hands over an immutable Protobuf copy made on its own thread.
 */
public final class Snapshots {
  private Snapshots() {}

  public static Object toJournal(JobRecord state) {
    return PersistenceSerializer.jobSnapshot(state);
  }

  public static JobRecord fromJournal(Object stored) {
    if (stored instanceof JobSnapshotP p) {
      return PersistenceSerializer.jobSnapshot(p);
    }
    if (stored instanceof JobRecord r) {
      return r;
    }
    throw new IllegalArgumentException("not a job snapshot: " + stored.getClass());
  }
}
