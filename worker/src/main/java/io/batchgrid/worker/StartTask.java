package io.batchgrid.worker;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executor;

import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.node.NodeLayout;
import io.batchgrid.protocol.node.StartTaskInfo;
import io.batchgrid.protocol.spec.StartTaskSpec;
import io.batchgrid.worker.staging.FileStaging;

/**
 * The pool's start task on one node, as Azure runs it: once each time the node (re)starts, in the
 * node's {@code startup} directory, retried up to its {@code maxTaskRetryCount} after a non-zero
 * exit (-1: without limit), never after a failure to start (a download, a missing program). Keeps
 * the node's {@link StartTaskInfo}.
 *
 * <p>Not thread-safe: used by its agent's actor only. Attempts run through {@link NodeTaskRunner};
 * the agent pipes each outcome back and hands it to {@link #attemptEnded}.
 */
final class StartTask {
  private static final Map<String, String> WORKER_ENV = System.getenv();
  static final FailureInfo FAILURE_EXIT_CODE =
      FailureInfo.user("FailureExitCode", "The task exited with an exit code representing a failure");

  private final NodeConfig node;
  private final Executor blocking;
  private final FileStaging staging;
  private StartTaskSpec spec;
  private StartTaskInfo info;
  private NodeTaskRunner runner;

  StartTask(NodeConfig node, Executor blocking, FileStaging staging) {
    this.node = node;
    this.blocking = blocking;
    this.staging = staging;
  }

  /** How it went; null until the pool said what to run (the node's first registration since it started). */
  StartTaskInfo info() {
    return info;
  }

  /**
   * The pool's answer to the node's first registration: runs {@code spec} (null: the pool has
   * none). Returns the attempt to await, or null when there is nothing to run or it was begun
   * already: a later registration (the coordinator restarted) does not run it again.
   */
  NodeTaskRunner begin(StartTaskSpec given, long nowMs) {
    if (info != null) {
      return null;
    }
    if (given == null) {
      info = StartTaskInfo.NONE;
      return null;
    }
    spec = given;
    info = StartTaskInfo.started(given.getWaitForSuccess(), nowMs);
    return launch();
  }

  /** Records an attempt's end; returns the retry to await, or null when the start task has completed. */
  NodeTaskRunner attemptEnded(NodeTaskRunner ended, NodeTaskRunner.Attempt attempt, long nowMs) {
    return attemptEnded(ended, attempt, nowMs, true);
  }

  /** As above; without {@code mayRetry} (the node is going) no retry starts. */
  NodeTaskRunner attemptEnded(NodeTaskRunner ended, NodeTaskRunner.Attempt attempt, long nowMs, boolean mayRetry) {
    if (ended != runner) {
      return null; // an attempt of a start task this node no longer runs
    }
    runner = null;
    if (!mayRetry) {
      return null;
    }
    if (attempt.succeeded()) {
      info = info.attemptEnded(attempt.exitCode(), null, attempt.endTimeMs(), true);
      return null;
    }
    int max = spec.getMaxTaskRetryCount();
    boolean retry = attempt.exitCode() != null && (max == -1 || info.retryCount() < max);
    if (!retry) {
      info = info.attemptEnded(attempt.exitCode(), attempt.failure() != null ? attempt.failure() : FAILURE_EXIT_CODE,
          attempt.endTimeMs(), true);
      return null;
    }
    info = info.attemptEnded(attempt.exitCode(), null, attempt.endTimeMs(), false).retried(nowMs);
    return launch();
  }

  /** The attempt running now, or null. */
  NodeTaskRunner current() {
    return runner;
  }

  /** Whether an attempt runs now. */
  boolean running() {
    return runner != null;
  }

  /** Kills a running attempt (the node stops). */
  void terminate() {
    if (runner != null) {
      runner.terminate();
    }
  }

  private NodeTaskRunner launch() {
    Path startup = node.nodeRoot().resolve(NodeLayout.STARTUP);
    runner = NodeTaskRunner.start(new NodeTaskRunner.Spec(spec.getCommandLine(), spec.getResourceFilesList(),
        TaskEnvironment.forStartTask(WORKER_ENV, spec, node), node.nodeRoot(), startup), blocking, staging);
    return runner;
  }
}
