package io.batchgrid.protocol.node;

import java.util.List;

/** A node's own account of itself, answered live to {@link NodeMessage.GetStatus}; {@code startTask} null before it was given one. */
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
    String rootDirectory,
    StartTaskInfo startTask) {
  public NodeStatus {
    running = List.copyOf(running);
  }

  public NodeStatus(String poolId, String nodeId, NodeState state, int taskSlots, List<RunningTask> running,
      long totalTasksRun, long totalTasksSucceeded, long runningTaskSlots, long stateTransitionTimeMs,
      String rootDirectory) {
    this(poolId, nodeId, state, taskSlots, running, totalTasksRun, totalTasksSucceeded, runningTaskSlots,
        stateTransitionTimeMs, rootDirectory, null);
  }
}
