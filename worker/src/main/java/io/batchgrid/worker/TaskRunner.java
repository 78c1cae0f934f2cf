package io.batchgrid.worker;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.NodeLayout;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.ApplicationPackageReference;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.worker.staging.FileStaging;

/**
 * Runs one attempt of a task as a real process, the way an Azure Batch node does: in the task's
 * directory layout ({@link NodeLayout}), with a clean environment ({@link TaskEnvironment}), its
 * output in {@code stdout.txt} and {@code stderr.txt}, under its wall-clock limit. Its resource
 * files are downloaded into the working directory before the process starts (a failed download
 * ends the attempt without running it: exit code null, the pre-processing failure as
 * failureInfo), and its output files are uploaded after the process exits, before the outcome
 * completes (a failed upload keeps the exit code and adds the upload failure), see
 * {@link FileStaging}.
 *
 * <p>{@link #start} returns at once; the directory creation and the process start run on the
 * {@code blocking} executor, and the exit is awaited with {@link Process#onExit()} (the JDK's reaper
 * waits, no thread of ours). A retry of the task runs in the same directories: the working directory
 * keeps what the previous attempt left, as on Azure; stdout and stderr are truncated.
 *
 * <p>Thread-safe: {@link #terminate} may be called from any thread at any time.
 */
public final class TaskRunner {
  static final FailureInfo WALL_CLOCK_EXPIRED =
      FailureInfo.user("MaxWallClockTimeExpiry", "The task exceeded its maximum wall clock time");
  static final FailureInfo ENDED_BY_USER = FailureInfo.user("TaskEnded", "Task Was Ended by User Request");

  private static final Map<String, String> WORKER_ENV = System.getenv();
  /** Tasks get no stdin: a pipe nobody writes to would hang a task that reads it. */
  private static final File NO_INPUT =
      new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");

  private final TaskLaunch launch;
  private final NodeConfig node;
  private final Executor blocking;
  private final FileStaging staging;
  private final ApplicationPackages packages;
  private final List<ApplicationPackageReference> poolPackages;
  private final TaskUser taskUser;
  private final CompletableFuture<TaskOutcome> outcome = new CompletableFuture<>();
  /** Why the node ends the process itself; the first reason wins. */
  private final AtomicReference<FailureInfo> killReason = new AtomicReference<>();
  private volatile Process process;
  private volatile long startTimeMs;
  /** The process group of a coordination command (its pid): what it leaves in the background is killed with it. */
  private volatile long coordinationGroup = -1;

  private TaskRunner(TaskLaunch launch, NodeConfig node, Executor blocking, FileStaging staging,
      ApplicationPackages packages, List<ApplicationPackageReference> poolPackages, TaskUser taskUser) {
    this.launch = launch;
    this.taskUser = taskUser;
    this.node = node;
    this.blocking = blocking;
    this.staging = staging;
    this.packages = packages;
    this.poolPackages = List.copyOf(poolPackages);
  }

  /**
   * Starts the attempt on {@code blocking} and returns its handle. Never throws for anything the
   * task's spec contains: such failures become the outcome.
   */
  public static TaskRunner start(TaskLaunch launch, NodeConfig node, Executor blocking) {
    return start(launch, node, blocking, FileStaging.defaults());
  }

  /**
   * As {@link #start(TaskLaunch, NodeConfig, Executor)}, staging files with {@code staging}. The
   * downloads, the process start and, after the exit, the uploads all run on {@code blocking}.
   */
  public static TaskRunner start(TaskLaunch launch, NodeConfig node, Executor blocking, FileStaging staging) {
    return start(launch, node, blocking, staging, null, List.of(), TaskUser.workerOnly());
  }

  /**
   * As {@link #start(TaskLaunch, NodeConfig, Executor, FileStaging)}, first installing the pool's
   * application packages ({@code poolPackages}) and the task's own through {@code packages} (null:
   * a task with package references fails), whose variables the process then sees.
   */
  public static TaskRunner start(TaskLaunch launch, NodeConfig node, Executor blocking, FileStaging staging,
      ApplicationPackages packages, List<ApplicationPackageReference> poolPackages) {
    return start(launch, node, blocking, staging, packages, poolPackages, TaskUser.workerOnly());
  }

  /**
   * As above, running the process as {@code taskUser} says for the task's {@code userIdentity}
   * (non-admin tasks as the unprivileged task user when the worker is root).
   */
  public static TaskRunner start(TaskLaunch launch, NodeConfig node, Executor blocking, FileStaging staging,
      ApplicationPackages packages, List<ApplicationPackageReference> poolPackages, TaskUser taskUser) {
    TaskRunner runner = new TaskRunner(launch, node, blocking, staging, packages, poolPackages, taskUser);
    try {
      blocking.execute(runner::run);
    } catch (RejectedExecutionException e) {
      runner.finishNotStarted(FailureInfo.server("NodeShuttingDown", "The node is shutting down"));
    }
    return runner;
  }

  public TaskLaunch launch() {
    return launch;
  }

  /**
   * How the attempt ended. Always completes normally: a process that could not start is an outcome
   * with a null exit code and a {@link FailureInfo}. Completes on a JDK or blocking-pool thread.
   */
  public CompletionStage<TaskOutcome> outcome() {
    return outcome;
  }

  /**
   * Kills the attempt's process tree (TerminateTask); the outcome then carries the "TaskEnded"
   * failure. An attempt not started yet never starts. Returns at once; the kill runs on the
   * blocking executor.
   */
  public void terminate() {
    kill(ENDED_BY_USER);
  }

  /**
   * For a multi-instance coordination command that has ended: kills what it left running in the
   * background (its process group). Blocking; call it on the blocking executor.
   */
  public void killLeftovers() {
    long group = coordinationGroup;
    if (group > 0) {
      ProcessTrees.killGroup(group);
    }
  }

  /** A multi-instance task's coordination command, not a task's own command line. */
  private boolean coordination() {
    return launch.instance() != null && !launch.instance().application();
  }

  private void run() {
    startTimeMs = System.currentTimeMillis();
    try {
      launchProcess();
    } catch (RuntimeException | Error e) {
      finishNotStarted(FailureInfo.server("InternalError", "The node could not start the task: " + e));
      if (e instanceof Error error) {
        throw error;
      }
    }
  }

  private void launchProcess() {
    FailureInfo early = killReason.get();
    if (early != null) {
      finishNotStarted(early);
      return;
    }
    Path taskDir;
    try {
      taskDir = TaskPaths.taskDir(node.nodeRoot(), launch.jobId(), launch.taskId());
    } catch (IllegalArgumentException e) {
      finishNotStarted(FailureInfo.server("InvalidTaskId", e.getMessage()));
      return;
    }
    Path workingDir = taskDir.resolve(TaskPaths.WORKING_DIR);
    try {
      Files.createDirectories(node.nodeRoot().resolve(NodeLayout.SHARED));
      Files.createDirectories(node.nodeRoot().resolve(NodeLayout.STARTUP));
      Files.createDirectories(workingDir);
    } catch (IOException e) {
      finishNotStarted(FailureInfo.server("TaskDirectoryCreationFailed",
          "The node could not create the task's directories: " + e));
      return;
    }

    List<String> argv;
    try {
      argv = CommandLine.split(coordination()
          ? launch.spec().getMultiInstanceSettings().getCoordinationCommandLine() : launch.spec().getCommandLine());
    } catch (IllegalArgumentException e) {
      finishNotStarted(FailureInfo.user("InvalidCommandLine", e.getMessage()));
      return;
    }
    // Common resource files go to the task directory (AZ_BATCH_TASK_SHARED_DIR) on every instance;
    // the task's own, to the working directory of the primary when it runs the command line.
    List<io.batchgrid.protocol.spec.ResourceFile> downloads = coordination()
        ? launch.spec().getMultiInstanceSettings().getCommonResourceFilesList() : launch.spec().getResourceFilesList();
    Path downloadTo = coordination() ? taskDir : workingDir;
    if (coordination() && !argv.isEmpty()) {
      // Its own session and process group, so that what it starts in the background can be found
      // (and killed) when the task ends, after the command itself has exited.
      argv = new java.util.ArrayList<>(argv);
      argv.add(0, "setsid");
    }

    // Packages before resource files, as Azure: a failure is a pre-processing error either way.
    List<ApplicationPackages.Installed> installed = List.of();
    if (!poolPackages.isEmpty() || launch.spec().getApplicationPackageReferencesCount() > 0) {
      if (packages == null) {
        finishNotStarted(FailureInfo.server("ApplicationPackageDownloadFailed",
            "This node cannot install application packages"));
        return;
      }
      List<ApplicationPackageReference> refs = new ArrayList<>(poolPackages);
      refs.addAll(launch.spec().getApplicationPackageReferencesList());
      try {
        installed = packages.installAll(refs);
      } catch (ApplicationPackages.InstallFailed e) {
        finishNotStarted(e.failure());
        return;
      }
    }

    if (!downloads.isEmpty()) {
      FailureInfo downloadFailed = staging.download(downloads, downloadTo);
      if (downloadFailed != null) {
        finishNotStarted(downloadFailed);
        return;
      }
      FailureInfo endedMeanwhile = killReason.get();
      if (endedMeanwhile != null) {
        finishNotStarted(endedMeanwhile);
        return;
      }
    }

    TaskUser.Account account;
    try {
      account = taskUser.accountFor(launch.spec().getUserIdentity(), node.nodeRoot());
      if (account != null) {
        // The task's directory (with what resource files brought) becomes the task user's; the
        // shared directory is everyone's, as on Azure.
        TaskUser.handOver(account, taskDir);
        Files.setPosixFilePermissions(node.nodeRoot().resolve(NodeLayout.SHARED),
            java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        if (!CommandLine.isRunnable(argv.get(0), WORKER_ENV.get("PATH"))) {
          // setpriv would start and fail with 127: say what Azure says when the program is missing.
          finishNotStarted(FailureInfo.user("CommandProgramNotFound",
              "The specified command program could not be started: " + argv.get(0) + " was not found"));
          return;
        }
        argv = TaskUser.command(account, argv);
      }
    } catch (IllegalStateException | IOException e) {
      finishNotStarted(FailureInfo.server("TaskUserUnavailable",
          "The node could not run the task as its user: " + e.getMessage()));
      return;
    }

    ProcessBuilder builder = new ProcessBuilder(argv)
        .directory(workingDir.toFile())
        .redirectInput(Redirect.from(NO_INPUT))
        // Redirect.to truncates: a retry starts with empty output files. The primary of a
        // multi-instance task appends its command line's output to its coordination command's.
        .redirectOutput(application() ? Redirect.appendTo(taskDir.resolve(TaskPaths.STDOUT).toFile())
            : Redirect.to(taskDir.resolve(TaskPaths.STDOUT).toFile()))
        .redirectError(application() ? Redirect.appendTo(taskDir.resolve(TaskPaths.STDERR).toFile())
            : Redirect.to(taskDir.resolve(TaskPaths.STDERR).toFile()));
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(TaskEnvironment.build(WORKER_ENV, launch, node, taskDir, workingDir));
    installed.forEach(p -> ApplicationPackages.putVariables(env, p));
    if (account != null) {
      env.put("HOME", workingDir.toString()); // the worker's home is not the task user's to write
    }

    Process started;
    try {
      started = builder.start();
    } catch (IOException e) {
      finishNotStarted(FailureInfo.user("CommandProgramNotFound",
          "The specified command program could not be started: " + e.getMessage()));
      return;
    }
    process = started;
    if (coordination()) {
      coordinationGroup = started.pid();
    }
    ScheduledFuture<?> wallClock = scheduleWallClock(started);
    started.onExit().whenComplete((p, error) -> {
      if (wallClock != null) {
        wallClock.cancel(false);
      }
      afterExit(started.exitValue());
    });
    // terminate() may have run while the process was starting and seen no process yet.
    if (killReason.get() != null) {
      ProcessTrees.killTree(started.toHandle());
    }
  }

  private ScheduledFuture<?> scheduleWallClock(Process started) {
    TaskConstraints constraints = launch.spec().getConstraints();
    if (!constraints.hasMaxWallClockTimeMs() || constraints.getMaxWallClockTimeMs() <= 0) {
      return null;
    }
    long remaining = constraints.getMaxWallClockTimeMs() - (System.currentTimeMillis() - startTimeMs);
    return WallClock.TIMER.schedule(() -> {
      if (started.isAlive()) {
        kill(WALL_CLOCK_EXPIRED);
      }
    }, Math.max(0, remaining), TimeUnit.MILLISECONDS);
  }

  private void kill(FailureInfo reason) {
    Process p = process;
    if (p != null && !p.isAlive()) {
      return; // it ended on its own: its exit code stands, without a failure
    }
    killReason.compareAndSet(null, reason);
    p = process;
    if (p == null) {
      return; // not started yet: launchProcess sees the reason
    }
    ProcessHandle root = p.toHandle();
    Runnable killTree = () -> ProcessTrees.killTree(root);
    try {
      blocking.execute(killTree);
    } catch (RejectedExecutionException e) {
      killTree.run(); // the node is stopping: kill now rather than leave the tree running
    }
  }

  /** Uploads the output files (on the blocking executor) when there are any, then finishes. */
  private void afterExit(int exitCode) {
    if (launch.spec().getOutputFilesCount() == 0 || coordination()) {
      finish(exitCode, null);
      return;
    }
    boolean failed = exitCode != 0 || killReason.get() != null;
    Path workingDir = TaskPaths.taskDir(node.nodeRoot(), launch.jobId(), launch.taskId()).resolve(TaskPaths.WORKING_DIR);
    try {
      blocking.execute(() -> {
        FailureInfo uploadFailed;
        try {
          uploadFailed = staging.upload(launch.spec().getOutputFilesList(), workingDir, node.nodeRoot(), failed);
        } catch (RuntimeException e) {
          uploadFailed = FailureInfo.user("FileUploadMiscError", "The node could not upload the output files: " + e);
        }
        finish(exitCode, uploadFailed);
      });
    } catch (RejectedExecutionException e) {
      finish(exitCode, FailureInfo.user("FileUploadMiscError",
          "The node is shutting down: the output files were not uploaded"));
    }
  }

  /** The node's own reason to end the process wins over an upload failure; the exit code stays. */
  private void finish(int exitCode, FailureInfo uploadFailed) {
    FailureInfo killed = killReason.get();
    outcome.complete(new TaskOutcome(launch.taskId(), launch.attempt(), exitCode, startTimeMs,
        System.currentTimeMillis(), killed != null ? killed : uploadFailed, instance()));
  }

  private void finishNotStarted(FailureInfo why) {
    long now = System.currentTimeMillis();
    long start = startTimeMs == 0 ? now : startTimeMs;
    outcome.complete(new TaskOutcome(launch.taskId(), launch.attempt(), null, start, now, why, instance()));
  }

  /** The primary of a multi-instance task running the task's command line. */
  private boolean application() {
    return launch.instance() != null && launch.instance().application();
  }

  /** Which outcome this is: a coordination command's (its instance) or the task's own. */
  private int instance() {
    return coordination() ? launch.instance().index() : TaskOutcome.TASK;
  }

  /**
   * One timer thread for every node in the JVM: it only hands expired tasks to a node's blocking
   * executor. Cancelled timers are removed at once, so a million short tasks with long limits
   * leave nothing behind.
   */
  private static final class WallClock {
    static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "batchgrid-wall-clock");
      t.setDaemon(true);
      return t;
    });

    static {
      TIMER.setRemoveOnCancelPolicy(true);
    }
  }
}
