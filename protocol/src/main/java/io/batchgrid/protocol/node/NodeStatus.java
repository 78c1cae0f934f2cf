package io.batchgrid.protocol.node;

import java.util.List;

/** A node's own account of itself, answered live to {@link NodeMessage.GetStatus}. */
public record NodeStatus(
    String poolId,
    String nodeId,
    NodeState state,
    int taskSlots,
    List<RunningTask> running,
    long totalTasksRun,
    long totalTasksSucceeded,
    long runningTaskSlots,
    long stateTransitionTimeMs,
    String rootDirectory) {
  public NodeStatus {
    running = List.copyOf(running);
  }
}
