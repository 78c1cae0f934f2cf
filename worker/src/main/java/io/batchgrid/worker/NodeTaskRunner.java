package io.batchgrid.worker;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.node.NodeLayout;
import io.batchgrid.protocol.spec.ResourceFile;
import io.batchgrid.worker.staging.FileStaging;

/**
 * Runs one attempt of a node-level task: a task that belongs to the node rather than to a job's
 * task table, such as the pool's start task ({@link StartTask}); job preparation and release
 * tasks have the same shape. The caller chooses the directory and builds the environment; this
 * class does what every such attempt needs: create {@code <dir>/wd}, download the resource files
 * into it, start the process there with {@code stdout.txt} and {@code stderr.txt} in {@code <dir>},
 * and report how it ended. Retries are the caller's: each attempt is a new runner.
 *
 * <p>{@link #start} returns at once; directory work, downloads and the process start run on the
 * {@code blocking} executor, the exit is awaited with {@link Process#onExit()}. Thread-safe.
 */
final class NodeTaskRunner {
  static final String WORKING_DIR = "wd";
  private static final File NO_INPUT = new File("/dev/null");

  /**
   * What to run, where: {@code taskDir} holds stdout.txt and stderr.txt, its {@code wd} is the
   * working directory; the node's {@code shared} and {@code startup} directories under
   * {@code nodeRoot} are made first, as for every task, since the command may use them.
   */
  record Spec(String commandLine, List<ResourceFile> resourceFiles, Map<String, String> environment, Path nodeRoot,
      Path taskDir) {
    Spec {
      resourceFiles = List.copyOf(resourceFiles);
      environment = Map.copyOf(environment);
    }
  }

  /**
   * How an attempt ended: an exit code, or (exit code null) a failure before the process ran
   * (Azure's pre-processing errors: a download, the command line, the program not found).
   */
  record Attempt(Integer exitCode, FailureInfo failure, long startTimeMs, long endTimeMs) {
    boolean succeeded() {
      return exitCode != null && exitCode == 0 && failure == null;
    }
  }

  private final Spec spec;
  private final Executor blocking;
  private final FileStaging staging;
  private final CompletableFuture<Attempt> outcome = new CompletableFuture<>();
  private volatile Process process;
  private volatile boolean terminated;
  private volatile long startTimeMs;

  private NodeTaskRunner(Spec spec, Executor blocking, FileStaging staging) {
    this.spec = spec;
    this.blocking = blocking;
    this.staging = staging;
  }

  static NodeTaskRunner start(Spec spec, Executor blocking, FileStaging staging) {
    NodeTaskRunner runner = new NodeTaskRunner(spec, blocking, staging);
    try {
      blocking.execute(runner::run);
    } catch (RejectedExecutionException e) {
      runner.notStarted(FailureInfo.server("NodeShuttingDown", "The node is shutting down"));
    }
    return runner;
  }

  /** Always completes normally, on a JDK or blocking-pool thread. */
  CompletionStage<Attempt> outcome() {
    return outcome;
  }

  /**
   * Kills the attempt's process tree (the node stops or restarts); an attempt not started yet never
   * starts. Returns at once: the kill runs on the blocking executor.
   */
  void terminate() {
    terminated = true;
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    Runnable kill = () -> ProcessTrees.killTree(p.toHandle());
    try {
      blocking.execute(kill);
    } catch (RejectedExecutionException e) {
      kill.run(); // the node is stopping: kill now rather than leave the tree running
    }
  }

  private void run() {
    startTimeMs = System.currentTimeMillis();
    try {
      launch();
    } catch (RuntimeException e) {
      notStarted(FailureInfo.server("InternalError", "The node could not start the task: " + e));
    }
  }

  private void launch() {
    if (terminated) {
      notStarted(FailureInfo.server("NodeShuttingDown", "The node is shutting down"));
      return;
    }
    Path workingDir = spec.taskDir().resolve(WORKING_DIR);
    try {
      Files.createDirectories(spec.nodeRoot().resolve(NodeLayout.SHARED));
      Files.createDirectories(spec.nodeRoot().resolve(NodeLayout.STARTUP));
      Files.createDirectories(workingDir);
    } catch (IOException e) {
      notStarted(FailureInfo.server("TaskDirectoryCreationFailed", "The node could not create the task's directories: " + e));
      return;
    }
    List<String> argv;
    try {
      argv = CommandLine.split(spec.commandLine());
    } catch (IllegalArgumentException e) {
      notStarted(FailureInfo.user("InvalidCommandLine", e.getMessage()));
      return;
    }
    if (!spec.resourceFiles().isEmpty()) {
      FailureInfo downloadFailed = staging.download(spec.resourceFiles(), workingDir);
      if (downloadFailed != null) {
        notStarted(downloadFailed);
        return;
      }
    }
    ProcessBuilder builder = new ProcessBuilder(argv)
        .directory(workingDir.toFile())
        .redirectInput(Redirect.from(NO_INPUT))
        .redirectOutput(Redirect.to(spec.taskDir().resolve(TaskPaths.STDOUT).toFile()))
        .redirectError(Redirect.to(spec.taskDir().resolve(TaskPaths.STDERR).toFile()));
    builder.environment().clear();
    builder.environment().putAll(spec.environment());
    Process started;
    try {
      started = builder.start();
    } catch (IOException e) {
      notStarted(FailureInfo.user("CommandProgramNotFound",
          "The specified command program could not be started: " + e.getMessage()));
      return;
    }
    process = started;
    started.onExit().whenComplete((p, error) -> outcome.complete(
        new Attempt(started.exitValue(), null, startTimeMs, System.currentTimeMillis())));
    if (terminated) {
      ProcessTrees.killTree(started.toHandle()); // terminate() ran while the process was starting
    }
  }

  private void notStarted(FailureInfo why) {
    long now = System.currentTimeMillis();
    outcome.complete(new Attempt(null, why, startTimeMs == 0 ? now : startTimeMs, now));
  }
}
