package io.batchgrid.protocol.node;

import java.util.List;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.pattern.StatusReply;

import io.batchgrid.protocol.job.TaskOutcome;

/**
 * What compute nodes send to the coordinator's gateway, which forwards each message to the pool or
 * job entity it is about. Nodes find gateways through the receptionist under {@link #GATEWAY_KEY}.
 */
public sealed interface CoordinatorMessage {
  ServiceKey<CoordinatorMessage> GATEWAY_KEY =
      ServiceKey.create(CoordinatorMessage.class, "batchgrid-coordinator-gateway");

  /**
   * A node joins (or re-joins) its pool, telling what it still runs, how its start task went
   * ({@code startTask} null: it has not been given one since it started), and which ended attempts
   * it has not had acknowledged yet (their reports follow): after a coordinator restart the jobs
   * keep those and requeue the rest. {@code labels}: an operator-started worker's labels, which a
   * pool of the static provider claims it by. Answered with {@link NodeMessage.Registered}. A node
   * registers again when its start task ends, so the pool learns the result through the same
   * idempotent, retried path.
   */
  record RegisterNode(String poolId, String nodeId, int taskSlots, ActorRef<NodeMessage> agent, List<RunningTask> running,
      StartTaskInfo startTask, List<RunningTask> ended, List<String> labels) implements CoordinatorMessage {
    public RegisterNode {
      running = List.copyOf(running);
      ended = List.copyOf(ended);
      labels = List.copyOf(labels);
    }

    /** A node with nothing ended unacknowledged and no labels. */
    public RegisterNode(String poolId, String nodeId, int taskSlots, ActorRef<NodeMessage> agent, List<RunningTask> running,
        StartTaskInfo startTask) {
      this(poolId, nodeId, taskSlots, agent, running, startTask, List.of(), List.of());
    }

    public RegisterNode(String poolId, String nodeId, int taskSlots, ActorRef<NodeMessage> agent, List<RunningTask> running) {
      this(poolId, nodeId, taskSlots, agent, running, null);
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

  /**
   * A node asks for an application package: {@code version} empty means the application's default
   * version. Answered with {@link NodeMessage.PackageContent} (its bytes only when {@code
   * withContent}), or an error: {@code ApplicationPackageNotFound} when there is no such package.
   */
  record FetchPackage(String applicationId, String version, boolean withContent,
      ActorRef<StatusReply<NodeMessage.PackageContent>> replyTo) implements CoordinatorMessage {}
}
