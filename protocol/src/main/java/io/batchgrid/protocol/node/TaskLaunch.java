package io.batchgrid.protocol.node;

import java.util.List;

import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * One attempt of a task for a node to run. {@code jobEnvironment} is the job's common environment,
 * which the task's own settings override. {@code jobPreparationTaskId} names the job's preparation
 * task ("" when it has none), whose directories the task finds in {@code AZ_BATCH_JOB_PREP_DIR} and
 * {@code AZ_BATCH_JOB_PREP_WORKING_DIR}.
 */
public record TaskLaunch(String jobId, String taskId, int attempt, TaskSpec spec, List<NameValue> jobEnvironment,
    String jobPreparationTaskId) {
  public TaskLaunch {
    jobEnvironment = List.copyOf(jobEnvironment);
    jobPreparationTaskId = jobPreparationTaskId == null ? "" : jobPreparationTaskId;
  }

  /** A launch of a task of a job without a preparation task. */
  public TaskLaunch(String jobId, String taskId, int attempt, TaskSpec spec, List<NameValue> jobEnvironment) {
    this(jobId, taskId, attempt, spec, jobEnvironment, "");
  }
}
