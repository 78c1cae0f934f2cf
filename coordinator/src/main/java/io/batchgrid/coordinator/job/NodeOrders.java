package io.batchgrid.coordinator.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.typed.ActorRef;

import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.NodeJobTasks;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.node.TaskLaunch;

/**
 * The job's orders to its nodes, once the entity has persisted what it decided: run these tasks,
 * run a gang's instances, stop those attempts, run the preparation or release task. The slots the
 * orders take and free are kept on the job's {@link Leases}; a multi-instance task's instances in
 * {@link MultiInstanceRuns}. Live state of one incarnation, as the leases are.
 *
 * <p>A node's agent is reached through its lease while the job holds one, else as last seen (a
 * grant, a registration): release tasks run after the leases are gone. After a restart neither is
 * known, and the entity asks the pool.
 */
final class NodeOrders {
  private final Leases leases;
  private final MultiInstanceRuns gangs;
  private final ActorRef<CoordinatorMessage> gateway;
  private final Map<String, ActorRef<NodeMessage>> lastSeen = new HashMap<>();

  /** @param gateway where the nodes send their reports of the job's tasks */
  NodeOrders(Leases leases, MultiInstanceRuns gangs, ActorRef<CoordinatorMessage> gateway) {
    this.leases = leases;
    this.gangs = gangs;
    this.gateway = gateway;
  }

  /** The node's agent, to reach it for release tasks once its lease is gone. */
  void seen(String nodeId, ActorRef<NodeMessage> agent) {
    lastSeen.put(nodeId, agent);
  }

  /** The node left: its lease and agent are gone. */
  void lost(String nodeId) {
    leases.lose(nodeId);
    lastSeen.remove(nodeId);
  }

  /** The job ended: it holds no slots, and no gang runs. */
  void clear() {
    leases.clear();
    gangs.clear();
  }

  /** The node's agent as the job knows it now: its lease's, else the one last seen; null when none. */
  ActorRef<NodeMessage> agentOf(String nodeId) {
    return agent(nodeId);
  }

  private ActorRef<NodeMessage> agent(String nodeId) {
    ActorRef<NodeMessage> agent = leases.agent(nodeId);
    return agent != null ? agent : lastSeen.get(nodeId);
  }

  /** Sends the attempt of the preparation or release task to the node; false when its agent is not known now. */
  boolean runJobTask(JobRecord s, JobTaskKind kind, String nodeId, int attempt) {
    ActorRef<NodeMessage> agent = agent(nodeId);
    if (agent == null) {
      return false;
    }
    agent.tell(new NodeMessage.RunJobTask(s.spec().getPoolId(), s.id(), PreparationGate.launch(s, kind, attempt), gateway));
    return true;
  }

  /** Sends the dispatched tasks to their nodes, one message per node, on the slots of its lease. */
  void run(JobRecord s, List<TaskDispatch> dispatches) {
    Map<String, List<TaskLaunch>> byNode = new LinkedHashMap<>();
    for (TaskDispatch d : dispatches) {
      TaskRecord t = s.task(d.taskId());
      leases.use(d.nodeId(), t.requiredSlots());
      byNode.computeIfAbsent(d.nodeId(), k -> new ArrayList<>())
          .add(new TaskLaunch(s.id(), t.id(), d.attempt(), t.spec(), s.spec().getCommonEnvironmentSettingsList(),
              PreparationGate.preparationTaskId(s)));
    }
    byNode.forEach((node, launches) -> {
      ActorRef<NodeMessage> agent = leases.agent(node);
      if (agent != null) {
        agent.tell(new NodeMessage.RunTasks(s.spec().getPoolId(), s.id(), launches, gateway));
      }
      // A lease lost between planning and launch: NodeLost requeues those tasks.
    });
  }

  /** Starts the instances of a multi-instance task's dispatched attempt, one on each node of its gang. */
  void runGang(JobRecord s, TaskRecord t, int attempt, List<JobEntity.GangMember> members, long nowMs) {
    List<String> nodes = members.stream().map(JobEntity.GangMember::nodeId).toList();
    List<ActorRef<NodeMessage>> agents = members.stream().map(JobEntity.GangMember::agent).toList();
    List<TaskLaunch> launches = gangs.start(s.id(), t.id(), attempt, t.spec(), s.spec().getCommonEnvironmentSettingsList(),
        PreparationGate.preparationTaskId(s), nodes, agents, nowMs);
    for (int i = 0; i < nodes.size(); i++) {
      leases.grant(nodes.get(i), agents.get(i), 1);
      leases.use(nodes.get(i), 1);
      // Only this instance runs there (taskSlotsPerNode is 1): no single task is sent after
      // it, and the slot goes back to the pool when the instance ends.
      leases.drain(nodes.get(i));
      agents.get(i).tell(new NodeMessage.RunTasks(s.spec().getPoolId(), s.id(), List.of(launches.get(i)), gateway));
    }
  }

  /** Every instance of a multi-instance task coordinated: its primary runs the task's command line now. */
  void runApplication(JobRecord s, MultiInstanceRuns.StartApplication start) {
    start.primary().tell(new NodeMessage.RunTasks(s.spec().getPoolId(), s.id(), List.of(start.launch()), gateway));
  }

  /** Stops attempts a registering node still runs that are no longer current: nobody counts them. */
  void stopStale(JobRecord s, ActorRef<NodeMessage> agent, List<RunningTask> stale) {
    stale.forEach(r -> agent.tell(new NodeMessage.TerminateTask(s.id(), r.taskId(), r.attempt())));
  }

  /** Stops these running attempts where they run and frees their slots. */
  void stop(JobRecord s, List<TaskRecord> tasks) {
    stopGangs(s, tasks.stream().filter(TaskRecord::multiInstance).toList(), false);
    for (TaskRecord t : tasks) {
      if (t.multiInstance()) {
        continue; // every instance, the primary's too, was stopped just above
      }
      ActorRef<NodeMessage> agent = t.nodeId() == null ? null : leases.agent(t.nodeId());
      if (agent != null) {
        agent.tell(new NodeMessage.TerminateTask(s.id(), t.id(), t.attempt()));
        leases.free(t.nodeId(), t.requiredSlots());
      }
    }
  }

  /**
   * Stops the instances of multi-instance tasks whose attempt ended (or was ended): each node kills
   * what the instance still runs, including what its coordination command left in the background.
   * The subtasks' slots are freed here, the primary's too unless the task's outcome freed it.
   */
  void stopGangs(JobRecord s, List<TaskRecord> tasks, boolean primaryFreed) {
    for (TaskRecord t : tasks) {
      List<Map.Entry<String, ActorRef<NodeMessage>>> members = gangs.members(t.id());
      for (int i = 0; i < members.size(); i++) {
        Map.Entry<String, ActorRef<NodeMessage>> m = members.get(i);
        m.getValue().tell(new NodeMessage.TerminateTask(s.id(), t.id(), t.attempt()));
        if (i > 0 || !primaryFreed) {
          leases.free(m.getKey(), 1);
        }
      }
      gangs.end(t.id(), System.currentTimeMillis());
    }
  }

  /** Stops the preparation tasks running on these nodes (the job ends). */
  void stopPreparations(JobRecord s, List<String> nodes) {
    for (String node : nodes) {
      ActorRef<NodeMessage> agent = agent(node);
      NodeJobTasks n = s.nodeJobTasks(node);
      if (agent != null && n != null && n.preparation() != null) {
        agent.tell(new NodeMessage.TerminateTask(s.id(), s.jobTaskId(JobTaskKind.PREPARATION), n.preparation().attempt()));
      }
    }
  }

  /** The running tasks on the node, multi-instance ones with an instance there included. */
  List<TaskRecord> runningOn(JobRecord s, String nodeId) {
    List<TaskRecord> out = new ArrayList<>();
    if (s.runningCount() == 0) {
      return out;
    }
    for (TaskRecord t : s.allTasks()) {
      if (t.state() == TaskState.RUNNING
          && (nodeId.equals(t.nodeId()) || (t.multiInstance() && gangs.involves(t.id(), nodeId)))) {
        out.add(t);
      }
    }
    return out;
  }
}
