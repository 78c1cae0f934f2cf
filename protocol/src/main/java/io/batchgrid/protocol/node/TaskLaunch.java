package io.batchgrid.protocol.node;

import java.util.List;

import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * One attempt of a task for a node to run. {@code jobEnvironment} is the job's common environment,
 * which the task's own settings override.
 */
public record TaskLaunch(String jobId, String taskId, int attempt, TaskSpec spec, List<NameValue> jobEnvironment) {
  public TaskLaunch {
    jobEnvironment = List.copyOf(jobEnvironment);
  }
}
