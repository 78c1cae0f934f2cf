package io.batchgrid.protocol.node;

/**
 * Where things are under a compute node's root directory, as Azure Batch lays them out, so scripts
 * written for Azure Batch find their files. Paths are relative to the node root, '/'-separated.
 */
public final class NodeLayout {
  public static final String SHARED = "shared";
  public static final String STARTUP = "startup";
  public static final String WORKITEMS = "workitems";

  private NodeLayout() {}

  /** The task directory: holds stdout.txt, stderr.txt and the working directory {@code wd}. */
  public static String taskDirectory(String jobId, String taskId) {
    return WORKITEMS + "/" + jobId + "/job-1/" + taskId;
  }

  public static String taskWorkingDirectory(String jobId, String taskId) {
    return taskDirectory(jobId, taskId) + "/wd";
  }
}
