package io.batchgrid.worker;

import java.nio.file.Path;

import io.batchgrid.protocol.Ids;

/**
 * The Azure Batch directory layout of a compute node, relative to its root directory:
 * <pre>
 *   shared/                                  AZ_BATCH_NODE_SHARED_DIR
 *   startup/                                 AZ_BATCH_NODE_STARTUP_DIR
 *   workitems/&lt;jobId&gt;/job-1/&lt;taskId&gt;/       AZ_BATCH_TASK_DIR: stdout.txt, stderr.txt
 *   workitems/&lt;jobId&gt;/job-1/&lt;taskId&gt;/wd/    AZ_BATCH_TASK_WORKING_DIR: the process's cwd
 * </pre>
 * "job-1" is where Azure keeps a job's tasks (its first and only job of that id, for batchgrid).
 * The API uses {@link #taskDirectory} to address a task's files on its node.
 */
public final class NodeLayout {
  public static final String SHARED = "shared";
  public static final String STARTUP = "startup";
  public static final String WORKITEMS = "workitems";
  public static final String STDOUT = "stdout.txt";
  public static final String STDERR = "stderr.txt";
  public static final String WORKING_DIR = "wd";

  private NodeLayout() {}

  /**
   * The task's directory relative to the node root, with '/' separators, e.g.
   * {@code workitems/job1/job-1/task7}.
   *
   * @throws IllegalArgumentException when an id is not a valid Azure Batch id (it could escape the root)
   */
  public static String taskDirectory(String jobId, String taskId) {
    requireId(jobId, "job");
    requireId(taskId, "task");
    return WORKITEMS + '/' + jobId + "/job-1/" + taskId;
  }

  /** The task's directory under {@code nodeRoot}. */
  public static Path taskDir(Path nodeRoot, String jobId, String taskId) {
    requireId(jobId, "job");
    requireId(taskId, "task");
    return nodeRoot.resolve(WORKITEMS).resolve(jobId).resolve("job-1").resolve(taskId);
  }

  private static void requireId(String id, String what) {
    if (!Ids.isValid(id)) {
      throw new IllegalArgumentException("Invalid " + what + " id: " + id);
    }
  }
}
