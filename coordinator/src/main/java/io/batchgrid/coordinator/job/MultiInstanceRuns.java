package io.batchgrid.coordinator.job;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.typed.ActorRef;

import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.job.SubtaskRecord;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.TaskLaunch;

/**
 * The running attempts of a job's multi-instance tasks: which nodes hold their instances (index 0,
 * the primary, first), whose coordination command has ended and how. Live information of one
 * incarnation of the job entity, as its leases are: after a restart running tasks are requeued.
 *
 * <p>The task's life, as on Azure Batch: every instance downloads the common resource files and
 * runs the coordination command; once all of them succeeded, the primary runs the task's command
 * line, and the task ends with it (its exit code). A coordination command that fails ends the
 * attempt as failed, with that exit code (it is retried like any failed attempt). When the attempt
 * ends, every instance is stopped: whatever its coordination command left running goes with it.
 */
final class MultiInstanceRuns {
  /** The port Azure Batch reports in AZ_BATCH_MASTER_NODE (reserved for the service, not for MPI). */
  static final int MASTER_PORT = 6000;

  /** The host of nodes whose agents run in this JVM (in-process nodes): this member's own. */
  private final String localHost;

  MultiInstanceRuns() {
    this(io.batchgrid.protocol.node.NodeAddress.LOOPBACK);
  }

  MultiInstanceRuns(String localHost) {
    this.localHost = localHost;
  }

  /** What the job does after a coordination command ended. */
  sealed interface Next {}

  /** Nothing yet: other instances are still coordinating (or the report was seen before). */
  record Wait() implements Next {}

  /** Every instance coordinated: the primary runs the task's command line now. */
  record StartApplication(ActorRef<NodeMessage> primary, TaskLaunch launch) implements Next {}

  /** A coordination command failed: the attempt ends with this outcome. */
  record Fail(TaskOutcome outcome) implements Next {}

  private static final class Instance {
    final String nodeId;
    final ActorRef<NodeMessage> agent;
    long startTimeMs;
    long endTimeMs;
    Integer exitCode;
    FailureInfo failureInfo;
    boolean coordinated;

    Instance(String nodeId, ActorRef<NodeMessage> agent, long startTimeMs) {
      this.nodeId = nodeId;
      this.agent = agent;
      this.startTimeMs = startTimeMs;
    }
  }

  private static final class Run {
    final String jobId;
    final String taskId;
    final int attempt;
    final List<Instance> instances = new ArrayList<>();
    final TaskLaunch primaryLaunch;
    boolean applicationStarted;

    Run(String jobId, String taskId, int attempt, TaskLaunch primaryLaunch) {
      this.jobId = jobId;
      this.taskId = taskId;
      this.attempt = attempt;
      this.primaryLaunch = primaryLaunch;
    }
  }

  private final Map<String, Run> runs = new HashMap<>();

  /**
   * Records a dispatched attempt on these nodes (the primary's first) and returns the launch for
   * each instance, in the same order.
   */
  List<TaskLaunch> start(String jobId, String taskId, int attempt, io.batchgrid.protocol.spec.TaskSpec spec,
      List<io.batchgrid.protocol.spec.NameValue> jobEnvironment, String jobPreparationTaskId, List<String> nodeIds,
      List<ActorRef<NodeMessage>> agents, long nowMs) {
    // Each instance's node as others reach it: the host of its worker's cluster address.
    List<String> hosts = agents.stream().map(a -> io.batchgrid.protocol.node.NodeAddress.of(a, localHost)).toList();
    String master = hosts.get(0) + ":" + MASTER_PORT;
    List<TaskLaunch> launches = new ArrayList<>(nodeIds.size());
    for (int i = 0; i < nodeIds.size(); i++) {
      launches.add(new TaskLaunch(jobId, taskId, attempt, spec, jobEnvironment, jobPreparationTaskId,
          new TaskLaunch.Instance(i, hosts, master, false)));
    }
    Run run = new Run(jobId, taskId, attempt, new TaskLaunch(jobId, taskId, attempt, spec, jobEnvironment, jobPreparationTaskId,
        new TaskLaunch.Instance(0, hosts, master, true)));
    for (int i = 0; i < nodeIds.size(); i++) {
      run.instances.add(new Instance(nodeIds.get(i), agents.get(i), nowMs));
    }
    runs.put(Ids.key(taskId), run);
    return launches;
  }

  boolean isRunning(String taskId) {
    return runs.containsKey(Ids.key(taskId));
  }

  /** Whether an instance of this task's running attempt is on that node. */
  boolean involves(String taskId, String nodeId) {
    Run run = runs.get(Ids.key(taskId));
    return run != null && run.instances.stream().anyMatch(i -> i.nodeId.equals(nodeId));
  }

  /** A coordination command of the current attempt ended (the caller checked the attempt). */
  Next coordinated(TaskOutcome o) {
    Run run = runs.get(Ids.key(o.taskId()));
    if (run == null || run.attempt != o.attempt() || o.instance() < 0 || o.instance() >= run.instances.size()) {
      return new Wait();
    }
    Instance in = run.instances.get(o.instance());
    if (in.coordinated) {
      return new Wait(); // a resent report
    }
    in.coordinated = true;
    in.startTimeMs = o.startTimeMs() > 0 ? o.startTimeMs() : in.startTimeMs;
    in.exitCode = o.exitCode();
    in.failureInfo = o.failureInfo();
    if (!o.succeeded()) {
      FailureInfo why = o.failureInfo() != null ? o.failureInfo() : FailureInfo.user("FailureExitCode",
          "The coordination command of " + (o.instance() == 0 ? "the primary" : "subtask " + o.instance())
              + " exited with an exit code representing a failure");
      // A non-zero exit without a failure spends a retry, as a failed task command does.
      return new Fail(new TaskOutcome(o.taskId(), o.attempt(), o.exitCode(), run.instances.get(0).startTimeMs,
          o.endTimeMs(), o.exitCode() != null && o.failureInfo() == null ? null : why));
    }
    if (run.applicationStarted || run.instances.stream().anyMatch(i -> !i.coordinated)) {
      return new Wait();
    }
    run.applicationStarted = true;
    return new StartApplication(run.instances.get(0).agent, run.primaryLaunch);
  }

  /** The subtasks (instances 1..n-1) of the running attempt, as they stand now. */
  List<SubtaskRecord> subtasks(String taskId) {
    Run run = runs.get(Ids.key(taskId));
    return run == null ? List.of() : records(run, false, 0);
  }

  /** The subtasks of the running attempt as they are recorded when it ends now (it is still running). */
  List<SubtaskRecord> completed(String taskId, long nowMs) {
    Run run = runs.get(Ids.key(taskId));
    return run == null ? List.of() : records(run, true, nowMs);
  }

  /** Nodes and agents of the instances of a running attempt, the primary's first. */
  List<Map.Entry<String, ActorRef<NodeMessage>>> members(String taskId) {
    Run run = runs.get(Ids.key(taskId));
    List<Map.Entry<String, ActorRef<NodeMessage>>> out = new ArrayList<>();
    if (run != null) {
      run.instances.forEach(i -> out.add(Map.entry(i.nodeId, i.agent)));
    }
    return out;
  }

  /** The attempt has ended: forgets it and returns its subtasks, completed at {@code nowMs}. */
  List<SubtaskRecord> end(String taskId, long nowMs) {
    Run run = runs.remove(Ids.key(taskId));
    return run == null ? List.of() : records(run, true, nowMs);
  }

  void clear() {
    runs.clear();
  }

  private static List<SubtaskRecord> records(Run run, boolean completed, long nowMs) {
    List<SubtaskRecord> out = new ArrayList<>(run.instances.size() - 1);
    for (int i = 1; i < run.instances.size(); i++) {
      Instance in = run.instances.get(i);
      FailureInfo failure = in.failureInfo;
      if (completed && in.exitCode != null && in.exitCode != 0 && failure == null) {
        failure = FailureInfo.user("FailureExitCode", "The task exited with an exit code representing a failure");
      }
      out.add(new SubtaskRecord(i, in.nodeId, completed, in.startTimeMs, completed ? nowMs : 0,
          completed || in.coordinated ? in.exitCode : null, failure, completed ? nowMs : in.startTimeMs));
    }
    return out;
  }
}
