package io.batchgrid.worker;

import java.nio.file.Path;

import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.node.NodeLayout;

/**
 * A task's files on this node, in the Azure Batch layout that {@link NodeLayout} names:
 * {@code workitems/<jobId>/job-1/<taskId>/} holds {@code stdout.txt} and {@code stderr.txt}, and
 * its {@code wd/} is the process's working directory.
 */
final class TaskPaths {
  static final String STDOUT = "stdout.txt";
  static final String STDERR = "stderr.txt";
  static final String WORKING_DIR = "wd";

  private TaskPaths() {}

  /**
   * The task's directory under {@code nodeRoot}.
   *
   * @throws IllegalArgumentException when an id is not a valid Azure Batch id: it could name a
   *     path outside the node root
   */
  static Path taskDir(Path nodeRoot, String jobId, String taskId) {
    if (!Ids.isValid(jobId) || !Ids.isValid(taskId)) {
      throw new IllegalArgumentException("Invalid job or task id: " + jobId + "/" + taskId);
    }
    return nodeRoot.resolve(NodeLayout.taskDirectory(jobId, taskId));
  }
}
