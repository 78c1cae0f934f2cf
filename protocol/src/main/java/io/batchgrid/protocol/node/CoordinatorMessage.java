package io.batchgrid.protocol.node;

import java.util.List;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

import io.batchgrid.protocol.job.TaskOutcome;

/**
 * What compute nodes send to the coordinator's gateway, which forwards each message to the pool or
 * job entity it is about. Nodes find gateways through the receptionist under {@link #GATEWAY_KEY}.
 */
public sealed interface CoordinatorMessage {
  ServiceKey<CoordinatorMessage> GATEWAY_KEY =
      ServiceKey.create(CoordinatorMessage.class, "batchgrid-coordinator-gateway");

  /** A node joins (or re-joins) its pool, telling what it still runs. Answered with {@link NodeMessage.Registered}. */
  record RegisterNode(String poolId, String nodeId, int taskSlots, ActorRef<NodeMessage> agent, List<RunningTask> running)
      implements CoordinatorMessage {
    public RegisterNode {
      running = List.copyOf(running);
    }
  }

  /**
   * Attempts of one job that ended on a node, numbered per job so the job can acknowledge them with
   * {@link NodeMessage.ReportAccepted}. The node resends until acknowledged; the job counts each
   * attempt once.
   */
  record TasksReport(String poolId, String nodeId, String jobId, long seq, List<TaskOutcome> outcomes,
      ActorRef<NodeMessage> replyTo) implements CoordinatorMessage {
    public TasksReport {
      outcomes = List.copyOf(outcomes);
    }
  }
}
