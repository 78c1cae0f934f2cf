package io.batchgrid.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.pekko.actor.typed.ActorRef;

import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.CoordinatorMessage.TasksReport;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.RunningTask;

/**
 * The outcomes a node owes its jobs, and the reports that carry them.
 *
 * <p>Per job at most one {@link TasksReport} is in flight; outcomes that end meanwhile wait and
 * travel together in the next report once the job acknowledges the current one. A busy job thus
 * gets few, large reports (one persist each) however fast its tasks end, which is what lets the
 * coordinator keep up with a thousand tasks a second. Reports are numbered per job from 1; an
 * unacknowledged report is sent again unchanged (same seq), the job counts each attempt once.
 *
 * <p>Not thread-safe: owned by the agent. Times are {@link System#nanoTime()} values passed in.
 */
final class ReportBook {
  /** Where a report goes; the agent may redirect it (see {@code NodeAgent}). */
  interface Sender {
    void send(ActorRef<CoordinatorMessage> to, TasksReport report);
  }

  private static final class Outbox {
    final String jobId;
    ActorRef<CoordinatorMessage> reportTo;
    // The sequence lives as long as the agent: a job that comes back later must not see seq 1 again.
    long nextSeq = 1;
    List<TaskOutcome> pending = new ArrayList<>();
    TasksReport inFlight;
    long sentAtNanos;

    Outbox(String jobId) {
      this.jobId = jobId;
    }
  }

  private final String poolId;
  private final String nodeId;
  private ActorRef<NodeMessage> replyTo;
  private Sender sender;
  private final long resendAfterNanos;
  private final Map<String, Outbox> outboxes = new HashMap<>();
  /** Outboxes with a report in flight: the resend sweep looks at these only. */
  private final Set<Outbox> awaitingAck = new HashSet<>();

  ReportBook(String poolId, String nodeId, ActorRef<NodeMessage> replyTo, Sender sender, long resendAfterNanos) {
    this.poolId = poolId;
    this.nodeId = nodeId;
    this.replyTo = replyTo;
    this.sender = sender;
    this.resendAfterNanos = resendAfterNanos;
  }

  /** The job's reports go to {@code reportTo} from now on (the latest RunTasks of the job says where). */
  void route(String jobId, ActorRef<CoordinatorMessage> reportTo) {
    outboxes.computeIfAbsent(jobId, Outbox::new).reportTo = reportTo;
  }

  /**
   * The book moves to a new agent (a worker's next ActorSystem, after it lost its cluster): reports
   * name the new agent as their {@code replyTo} and go through {@code sender}. Every route is
   * forgotten, being a reference of the old ActorSystem; {@link #routeUnrouted} gives new ones.
   * Sequence numbers and everything unacknowledged stay.
   */
  void reattach(ActorRef<NodeMessage> replyTo, Sender sender) {
    this.replyTo = replyTo;
    this.sender = sender;
    for (Outbox box : outboxes.values()) {
      box.reportTo = null;
      if (box.inFlight != null) {
        TasksReport r = box.inFlight;
        box.inFlight = new TasksReport(r.poolId(), r.nodeId(), r.jobId(), r.seq(), r.outcomes(), replyTo);
      }
    }
  }

  /**
   * Jobs without a route report to {@code to} from now on, and their reports in flight go at once:
   * after a re-registration they are what the coordinator waits for to reconcile.
   */
  void routeUnrouted(ActorRef<CoordinatorMessage> to, long nowNanos) {
    for (Outbox box : outboxes.values()) {
      if (box.reportTo == null) {
        box.reportTo = to;
        if (box.inFlight != null) {
          box.sentAtNanos = nowNanos;
          send(box);
        }
      }
    }
  }

  /** The attempts whose outcomes wait for an acknowledgement, in flight or not sent yet. */
  List<RunningTask> unacknowledgedAttempts() {
    List<RunningTask> out = new ArrayList<>();
    for (Outbox box : outboxes.values()) {
      if (box.inFlight != null) {
        box.inFlight.outcomes().forEach(o -> out.add(new RunningTask(box.jobId, o.taskId(), o.attempt(), o.startTimeMs())));
      }
      box.pending.forEach(o -> out.add(new RunningTask(box.jobId, o.taskId(), o.attempt(), o.startTimeMs())));
    }
    return out;
  }

  /** Adds an ended attempt; sends it at once if the job has no report in flight. */
  void add(String jobId, TaskOutcome outcome, long nowNanos) {
    Outbox box = outboxes.computeIfAbsent(jobId, Outbox::new);
    box.pending.add(outcome);
    if (box.inFlight == null) {
      sendPending(box, nowNanos);
    }
  }

  /**
   * The job has the report numbered {@code seq}: forget it and send what waits. An acknowledgement
   * of any other report (a duplicate, or one for an earlier resend) is ignored.
   *
   * @return whether the acknowledgement matched the report in flight
   */
  boolean accepted(String jobId, long seq, long nowNanos) {
    Outbox box = outboxes.get(jobId);
    if (box == null || box.inFlight == null || box.inFlight.seq() != seq) {
      return false;
    }
    box.inFlight = null;
    awaitingAck.remove(box);
    if (!box.pending.isEmpty()) {
      sendPending(box, nowNanos);
    }
    return true;
  }

  /** Sends again every report unacknowledged for {@code resendAfter}. */
  void resendDue(long nowNanos) {
    for (Outbox box : awaitingAck) {
      if (nowNanos - box.sentAtNanos >= resendAfterNanos) {
        box.sentAtNanos = nowNanos;
        send(box);
      }
    }
  }

  /** Outcomes not yet acknowledged, in flight or waiting. */
  int unacknowledged() {
    int n = 0;
    for (Outbox box : outboxes.values()) {
      n += box.pending.size() + (box.inFlight == null ? 0 : box.inFlight.outcomes().size());
    }
    return n;
  }

  private void sendPending(Outbox box, long nowNanos) {
    // TasksReport copies the list; the pending list is reused for the next batch.
    box.inFlight = new TasksReport(poolId, nodeId, box.jobId, box.nextSeq++, box.pending, replyTo);
    box.pending.clear();
    box.sentAtNanos = nowNanos;
    awaitingAck.add(box);
    send(box);
  }

  private void send(Outbox box) {
    // Without a route (no RunTasks named one) the report stays in flight until a RunTasks does.
    if (box.reportTo != null) {
      sender.send(box.reportTo, box.inFlight);
    }
  }
}
