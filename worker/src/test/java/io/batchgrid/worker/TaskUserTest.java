package io.batchgrid.worker;

import static io.batchgrid.worker.Launches.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.AutoUser;
import io.batchgrid.protocol.spec.ResourceFile;
import io.batchgrid.protocol.spec.UserIdentity;
import io.batchgrid.worker.staging.FileStaging;

/**
 * Task identities on real processes: as root (how the node runs here and in CI) a non-admin task
 * runs as the unprivileged task user and an admin task as root; a worker that is not root runs both
 * as itself.
 */
class TaskUserTest {
  private static final ExecutorService blocking = Executors.newFixedThreadPool(2);
  private static final TaskUser USER = TaskUser.configured(TaskUser.DEFAULT_NAME);

  @TempDir Path tmp;
  private NodeConfig node;

  @BeforeEach
  void setUp() throws Exception {
    // JUnit's temporary directory is private to root; a data directory must be reachable by the task user.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    node = new NodeConfig("pool1", "node1", 2, tmp.resolve("node1"), "acct", null);
  }

  @AfterAll
  static void tearDown() {
    blocking.shutdownNow();
  }

  private String run(String taskId, String elevation, String commandLine) throws Exception {
    TaskOutcome outcome = outcome(taskId, elevation, commandLine);
    Path taskDir = TaskPaths.taskDir(node.nodeRoot(), "job1", taskId);
    assertEquals(0, outcome.exitCode(), outcome + " " + Files.readString(taskDir.resolve("stderr.txt")));
    return Files.readString(taskDir.resolve("stdout.txt"));
  }

  private TaskOutcome outcome(String taskId, String elevation, String commandLine) throws Exception {
    UserIdentity.Builder identity = UserIdentity.newBuilder();
    if (elevation != null) {
      identity.setAutoUser(AutoUser.newBuilder().setScope("task").setElevationLevel(elevation));
    }
    TaskLaunch launch = new TaskLaunch("job1", taskId, 1, spec(taskId, commandLine).setUserIdentity(identity).build(),
        List.of());
    return TaskRunner.start(launch, node, blocking, FileStaging.defaults(), null, List.of(), USER)
        .outcome().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void nonAdminTasksRunAsTheTaskUserAndAdminTasksAsTheWorker() throws Exception {
    String workerUid = Integer.toString(TaskUser.isRoot() ? 0 : Integer.parseInt(
        new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim()));
    String byDefault = run("default", null, "/bin/sh -c 'id -u; touch mine.txt; echo shared > $AZ_BATCH_NODE_SHARED_DIR/s.txt'");
    String nonAdmin = run("nonadmin", "nonadmin", "/bin/sh -c 'id -u; id -G'");
    String admin = run("admin", "admin", "/bin/sh -c 'id -u'");
    assertEquals(workerUid + "\n", admin);
    if (TaskUser.isRoot()) {
      TaskUser.Account account = USER.nonAdmin();
      assertNotEquals("0", byDefault.lines().findFirst().orElseThrow(), "nonadmin is Azure's default");
      assertEquals(Integer.toString(account.uid()), byDefault.lines().findFirst().orElseThrow());
      assertEquals(account.uid() + "\n" + account.gid() + "\n", nonAdmin, "no supplementary groups (root's are gone)");
      Path mine = TaskPaths.taskDir(node.nodeRoot(), "job1", "default").resolve("wd/mine.txt");
      assertEquals(account.uid(), (int) Files.getAttribute(mine, "unix:uid"), "written by the task user in its own wd");
    } else {
      // An unprivileged worker cannot become anyone else: every task runs as it.
      assertEquals(workerUid, byDefault.lines().findFirst().orElseThrow());
      assertEquals(workerUid, nonAdmin.lines().findFirst().orElseThrow());
    }
    assertTrue(Files.exists(node.nodeRoot().resolve("shared/s.txt")), "the shared directory is writable by tasks");
  }

  @Test
  void aNonAdminTaskCanChangeItsResourceFilesAndAMissingProgramIsReportedAsSuch() throws Exception {
    com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    byte[] body = "from the resource file\n".getBytes();
    http.createContext("/in.txt", exchange -> {
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    http.start();
    try {
      UserIdentity nonAdmin = UserIdentity.newBuilder()
          .setAutoUser(AutoUser.newBuilder().setElevationLevel("nonadmin")).build();
      String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/in.txt";
      TaskLaunch withFile = new TaskLaunch("job1", "files", 1, spec("files", "/bin/sh -c 'echo more >> in.txt && cat in.txt'")
          .setUserIdentity(nonAdmin)
          .addResourceFiles(ResourceFile.newBuilder().setHttpUrl(url).setFilePath("in.txt").setFileMode("0644"))
          .build(), List.of());
      TaskOutcome files = TaskRunner.start(withFile, node, blocking, FileStaging.defaults(), null, List.of(), USER)
          .outcome().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Path taskDir = TaskPaths.taskDir(node.nodeRoot(), "job1", "files");
      assertEquals(0, files.exitCode(), files + " " + Files.readString(taskDir.resolve("stderr.txt")));
      assertEquals("from the resource file\nmore\n", Files.readString(taskDir.resolve("stdout.txt")),
          "the downloaded file (mode 0644) was handed to the task user, who could append to it");
    } finally {
      http.stop(0);
    }

    TaskOutcome missing = outcome("missing", "nonadmin", "no-such-program-anywhere --flag");
    assertNull(missing.exitCode());
    assertEquals("CommandProgramNotFound", missing.failureInfo().code());
  }
}
