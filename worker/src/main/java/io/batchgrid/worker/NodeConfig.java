package io.batchgrid.worker;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Who a compute node is and where it keeps its files.
 *
 * @param poolId the pool the node belongs to
 * @param nodeId the node's id, stable across restarts so its directory (and files) survive
 * @param taskSlots how many task slots the node offers (Azure's taskSlotsPerNode), at least 1
 * @param nodeRoot the node's root directory, Azure's {@code AZ_BATCH_NODE_ROOT_DIR}; made absolute
 * @param accountName the Batch account name, given to tasks as {@code AZ_BATCH_ACCOUNT_NAME}
 * @param accountUrl the Batch account URL for {@code AZ_BATCH_ACCOUNT_URL}, or null when unknown
 * @param labels an operator-started worker's labels, which a pool of the static provider claims it by
 */
public record NodeConfig(
    String poolId, String nodeId, int taskSlots, Path nodeRoot, String accountName, String accountUrl,
    List<String> labels) {

  /** A node without labels: what pools start themselves. */
  public NodeConfig(String poolId, String nodeId, int taskSlots, Path nodeRoot, String accountName, String accountUrl) {
    this(poolId, nodeId, taskSlots, nodeRoot, accountName, accountUrl, List.of());
  }

  public NodeConfig {
    Objects.requireNonNull(poolId, "poolId");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(nodeRoot, "nodeRoot");
    Objects.requireNonNull(accountName, "accountName");
    if (taskSlots < 1) {
      throw new IllegalArgumentException("taskSlots must be at least 1, was " + taskSlots);
    }
    // Task environments and file listings hand out paths under the root: they must not depend on
    // the JVM's working directory.
    nodeRoot = nodeRoot.toAbsolutePath().normalize();
    labels = List.copyOf(labels);
  }
}
