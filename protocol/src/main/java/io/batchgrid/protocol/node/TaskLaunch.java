package io.batchgrid.protocol.node;

import java.util.List;

import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * One attempt of a task for a node to run. {@code jobEnvironment} is the job's common environment,
 * which the task's own settings override. {@code jobPreparationTaskId} names the job's preparation
 * task ("" when it has none), whose directories the task finds in {@code AZ_BATCH_JOB_PREP_DIR} and
 * {@code AZ_BATCH_JOB_PREP_WORKING_DIR}. {@code instance} is set for a multi-instance task.
 */
public record TaskLaunch(String jobId, String taskId, int attempt, TaskSpec spec, List<NameValue> jobEnvironment,
    String jobPreparationTaskId, Instance instance) {
  public TaskLaunch {
    jobEnvironment = List.copyOf(jobEnvironment);
    jobPreparationTaskId = jobPreparationTaskId == null ? "" : jobPreparationTaskId;
  }

  /** A launch of a task that is not multi-instance. */
  public TaskLaunch(String jobId, String taskId, int attempt, TaskSpec spec, List<NameValue> jobEnvironment,
      String jobPreparationTaskId) {
    this(jobId, taskId, attempt, spec, jobEnvironment, jobPreparationTaskId, null);
  }

  /** A launch of a task of a job without a preparation task. */
  public TaskLaunch(String jobId, String taskId, int attempt, TaskSpec spec, List<NameValue> jobEnvironment) {
    this(jobId, taskId, attempt, spec, jobEnvironment, "", null);
  }

  /**
   * This node's part of a multi-instance task. Without {@code application}, the node downloads the
   * common resource files into the task directory, runs the coordination command line, reports its
   * end (an outcome with this {@code index}) and keeps the slot — with what the command left running
   * in the background — until the task ends. With {@code application} (the primary only, once every
   * instance's coordination command succeeded) it runs the task's own command line in that slot.
   *
   * @param index 0 for the primary, 1..n-1 for the subtasks
   * @param hosts the addresses of every instance's node, the primary's first
   * @param masterNode the primary's address and port (AZ_BATCH_MASTER_NODE)
   */
  public record Instance(int index, List<String> hosts, String masterNode, boolean application) {
    public Instance {
      hosts = List.copyOf(hosts);
    }

    public boolean primary() {
      return index == 0;
    }
  }
}
