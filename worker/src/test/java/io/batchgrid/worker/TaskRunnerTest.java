package io.batchgrid.worker;

import static io.batchgrid.worker.Launches.launch;
import static io.batchgrid.worker.Launches.nv;
import static io.batchgrid.worker.Launches.spec;
import static io.batchgrid.worker.Launches.withWallClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.TaskLaunch;

/** Real processes in a temporary node root. */
class TaskRunnerTest {
  // Only for awaitAssert: watching processes come and go needs polling, not sleeping.
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final ExecutorService blocking = Executors.newFixedThreadPool(2);

  @TempDir Path root;
  private NodeConfig node;
  private TestProbe<Object> probe;

  @BeforeEach
  void setUp() {
    node = new NodeConfig("pool1", "node1", 2, root, "acct", "http://127.0.0.1:8080");
    probe = testKit.createTestProbe();
  }

  @AfterAll
  static void tearDown() {
    blocking.shutdownNow();
    testKit.shutdownTestKit();
  }

  private static TaskOutcome await(TaskRunner runner) throws Exception {
    return runner.outcome().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private Path taskDir(String job, String task) {
    return root.resolve("workitems").resolve(job).resolve("job-1").resolve(task);
  }

  @Test
  void createsTheLayoutAndCapturesOutputExitCodeAndWorkingDirectory() throws Exception {
    TaskOutcome outcome = await(TaskRunner.start(
        launch("job1", "t1", 1, "sh -c 'pwd; echo oops >&2; echo keep > kept.txt; exit 3'"), node, blocking));

    Path dir = taskDir("job1", "t1");
    assertEquals(3, outcome.exitCode());
    assertNull(outcome.failureInfo());
    assertEquals("t1", outcome.taskId());
    assertEquals(1, outcome.attempt());
    assertTrue(outcome.startTimeMs() > 0 && outcome.endTimeMs() >= outcome.startTimeMs());
    assertEquals(dir.resolve("wd") + "\n", Files.readString(dir.resolve("stdout.txt")));
    assertEquals("oops\n", Files.readString(dir.resolve("stderr.txt")));
    assertTrue(Files.isDirectory(root.resolve("shared")));
    assertTrue(Files.isDirectory(root.resolve("startup")));
  }

  @Test
  void aRetryReusesTheWorkingDirectoryAndTruncatesOutput() throws Exception {
    await(TaskRunner.start(launch("job1", "t1", 1, "sh -c 'echo first run output; echo kept > kept.txt'"), node, blocking));
    TaskOutcome retry = await(TaskRunner.start(launch("job1", "t1", 2, "cat kept.txt"), node, blocking));

    assertEquals(0, retry.exitCode());
    assertEquals(2, retry.attempt());
    assertTrue(retry.succeeded());
    assertEquals("kept\n", Files.readString(taskDir("job1", "t1").resolve("stdout.txt")));
  }

  @Test
  void splitsTheCommandLineWithoutAShell() throws Exception {
    await(TaskRunner.start(launch("job1", "q", 1, "printf '%s|' \"a b\" 'c d' e\\ f $HOME"), node, blocking));
    assertEquals("a b|c d|e f|$HOME|", Files.readString(taskDir("job1", "q").resolve("stdout.txt")));
  }

  @Test
  void givesACleanEnvironmentWithTheJobsTheTasksAndAzureBatchVariables() throws Exception {
    TaskLaunch launch = new TaskLaunch("job1", "env", 1,
        spec("env", "env").addEnvironmentSettings(nv("B", "task")).addEnvironmentSettings(nv("C", "task")).build(),
        List.of(nv("A", "job"), nv("B", "job")));
    TaskOutcome outcome = await(TaskRunner.start(launch, node, blocking));
    assertEquals(0, outcome.exitCode());

    Map<String, String> env = new HashMap<>();
    for (String line : Files.readAllLines(taskDir("job1", "env").resolve("stdout.txt"))) {
      int eq = line.indexOf('=');
      env.put(line.substring(0, eq), line.substring(eq + 1));
    }
    Path dir = taskDir("job1", "env");
    assertEquals("job", env.get("A"));
    assertEquals("task", env.get("B"), "the task's settings override the job's");
    assertEquals("task", env.get("C"));
    assertEquals(System.getenv("PATH"), env.get("PATH"));
    assertEquals("env", env.get("AZ_BATCH_TASK_ID"));
    assertEquals("job1", env.get("AZ_BATCH_JOB_ID"));
    assertEquals("pool1", env.get("AZ_BATCH_POOL_ID"));
    assertEquals("node1", env.get("AZ_BATCH_NODE_ID"));
    assertEquals(dir.toString(), env.get("AZ_BATCH_TASK_DIR"));
    assertEquals(dir.resolve("wd").toString(), env.get("AZ_BATCH_TASK_WORKING_DIR"));
    assertEquals(root.toString(), env.get("AZ_BATCH_NODE_ROOT_DIR"));
    assertEquals(root.resolve("shared").toString(), env.get("AZ_BATCH_NODE_SHARED_DIR"));
    assertEquals(root.resolve("startup").toString(), env.get("AZ_BATCH_NODE_STARTUP_DIR"));
    assertEquals("acct", env.get("AZ_BATCH_ACCOUNT_NAME"));
    assertEquals("http://127.0.0.1:8080", env.get("AZ_BATCH_ACCOUNT_URL"));
    assertEquals("PoolNonAdmin", env.get("AZ_BATCH_TASK_USER_IDENTITY"));

    Set<String> allowed = Set.of("PATH", "HOME", "LANG", "A", "B", "C");
    for (String name : env.keySet()) {
      assertTrue(allowed.contains(name) || name.startsWith("AZ_BATCH_"), "the worker's " + name + " leaked");
    }
  }

  @Test
  void killsTheWholeTreeWhenTheWallClockExpires() throws Exception {
    TaskLaunch launch = new TaskLaunch("job1", "wall", 1,
        withWallClock(spec("wall", "sh -c \"sleep 60 & sleep 60\" wall-clock-test"), 2_000).build(), List.of());
    TaskRunner runner = TaskRunner.start(launch, node, blocking);

    List<ProcessHandle> tree = new ArrayList<>();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      tree.clear();
      tree.addAll(treeOf("wall-clock-test"));
      assertEquals(3, tree.size(), "sh and its two sleeps");
      return null;
    });

    TaskOutcome outcome = await(runner);
    assertNotNull(outcome.failureInfo());
    assertEquals("MaxWallClockTimeExpiry", outcome.failureInfo().code());
    assertEquals("usererror", outcome.failureInfo().category());
    assertEquals(137, outcome.exitCode(), "killed by SIGKILL");
    assertTrue(outcome.endTimeMs() - outcome.startTimeMs() >= 2_000);
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      tree.forEach(p -> assertFalse(p.isAlive(), () -> "still alive: " + p.info()));
      return null;
    });
  }

  @Test
  void terminateKillsTheTreeAndSaysTheUserEndedIt() throws Exception {
    TaskRunner runner = TaskRunner.start(launch("job1", "term", 1, "sh -c 'sleep 60; echo never' terminate-test"), node, blocking);
    List<ProcessHandle> tree = new ArrayList<>();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      tree.clear();
      tree.addAll(treeOf("terminate-test"));
      assertEquals(2, tree.size(), "sh and its sleep");
      return null;
    });

    runner.terminate();
    TaskOutcome outcome = await(runner);
    assertEquals("TaskEnded", outcome.failureInfo().code());
    assertEquals("Task Was Ended by User Request", outcome.failureInfo().message());
    assertNotNull(outcome.exitCode());
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      tree.forEach(p -> assertFalse(p.isAlive()));
      return null;
    });
    assertEquals("", Files.readString(taskDir("job1", "term").resolve("stdout.txt")));
  }

  @Test
  void anAttemptTerminatedBeforeItStartsNeverStarts() throws Exception {
    ExecutorService paused = Executors.newSingleThreadExecutor();
    try {
      java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
      paused.execute(() -> {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      TaskRunner runner = TaskRunner.start(launch("job1", "early", 1, "sleep 60"), node, paused);
      runner.terminate();
      gate.countDown();
      TaskOutcome outcome = await(runner);
      assertNull(outcome.exitCode());
      assertEquals("TaskEnded", outcome.failureInfo().code());
    } finally {
      paused.shutdownNow();
    }
  }

  @Test
  void aMissingProgramIsAFailureWithoutExitCode() throws Exception {
    for (String commandLine : List.of("/definitely/not/here arg", "no-such-program-in-path")) {
      TaskOutcome outcome = await(TaskRunner.start(launch("job1", "missing", 1, commandLine), node, blocking));
      assertNull(outcome.exitCode());
      assertEquals("CommandProgramNotFound", outcome.failureInfo().code());
      assertEquals("usererror", outcome.failureInfo().category());
      assertFalse(outcome.succeeded());
    }
  }

  @Test
  void anUnbalancedQuoteIsAnInvalidCommandLine() throws Exception {
    TaskOutcome outcome = await(TaskRunner.start(launch("job1", "bad", 1, "echo \"unbalanced"), node, blocking));
    assertNull(outcome.exitCode());
    assertEquals("InvalidCommandLine", outcome.failureInfo().code());
    assertTrue(outcome.failureInfo().message().contains("unbalanced double quote"));
    assertTrue(Files.isDirectory(taskDir("job1", "bad").resolve("wd")), "the task directory exists all the same");
  }

  /** The JVM's child started with {@code marker} as its $0, with all its descendants. */
  private static List<ProcessHandle> treeOf(String marker) {
    List<ProcessHandle> tree = new ArrayList<>();
    ProcessHandle.current().children()
        .filter(p -> p.info().arguments().map(args -> List.of(args).contains(marker)).orElse(false))
        .forEach(p -> {
          tree.add(p);
          p.descendants().forEach(tree::add);
        });
    return tree;
  }
}
