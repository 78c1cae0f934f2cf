package io.batchgrid.coordinator.job;

import io.batchgrid.protocol.spec.JobSpec;

/** Applies a {@link JobEntity.JobPatch} to a job spec: PATCH keeps what is not given, PUT resets it. */
final class JobPatches {
  private JobPatches() {}

  static JobSpec apply(JobSpec spec, JobEntity.JobPatch p) {
    JobSpec.Builder b = spec.toBuilder();
    if (p.priority() != null) {
      b.setPriority(p.priority());
    } else if (p.replace()) {
      b.clearPriority();
    }
    if (p.maxParallelTasks() != null) {
      b.setMaxParallelTasks(p.maxParallelTasks());
    } else if (p.replace()) {
      b.clearMaxParallelTasks();
    }
    if (p.constraints() != null) {
      b.setConstraints(p.constraints());
    } else if (p.replace()) {
      b.clearConstraints();
    }
    if (p.onAllTasksComplete() != null) {
      b.setOnAllTasksComplete(p.onAllTasksComplete());
    } else if (p.replace()) {
      b.setOnAllTasksComplete("noaction");
    }
    if (p.onTaskFailure() != null) {
      b.setOnTaskFailure(p.onTaskFailure());
    } else if (p.replace()) {
      b.setOnTaskFailure("noaction");
    }
    if (p.metadata() != null) {
      b.clearMetadata().addAllMetadata(p.metadata());
    } else if (p.replace()) {
      b.clearMetadata();
    }
    if (p.allowTaskPreemption() != null) {
      b.setAllowTaskPreemption(p.allowTaskPreemption());
    } else if (p.replace()) {
      b.clearAllowTaskPreemption();
    }
    return b.build();
  }
}
