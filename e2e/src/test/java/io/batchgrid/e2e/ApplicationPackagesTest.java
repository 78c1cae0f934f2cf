package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.AllocationState;
import com.microsoft.azure.batch.protocol.models.AutoUserScope;
import com.microsoft.azure.batch.protocol.models.AutoUserSpecification;
import com.microsoft.azure.batch.protocol.models.ElevationLevel;
import com.microsoft.azure.batch.protocol.models.UserIdentity;
import com.microsoft.azure.batch.protocol.models.ApplicationPackageReference;
import com.microsoft.azure.batch.protocol.models.ApplicationSummary;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

/**
 * Application packages end to end: uploaded with the {@code batchgrid app} command of the packaged
 * jar, listed through the official SDK, installed on a node that is its own worker process (so the
 * package crosses the cluster connection), and read by tasks through {@code AZ_BATCH_APP_PACKAGE_*}.
 */
class ApplicationPackagesTest {
  @TempDir
  static Path data;
  @TempDir
  static Path work;
  static ServerProcess server;
  static BatchClient client;

  @BeforeAll
  static void start() throws Exception {
    // Reachable by the unprivileged task user (JUnit makes it private to its owner).
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    server = new ServerProcess(data).withArgs("--node-provider", "local-process").start();
    client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void packagesAreUploadedListedInstalledAndSeenByTasks() throws Exception {
    // A zip whose script keeps its executable bit, and a tar.gz.
    Path zip = work.resolve("hello.zip");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()),
        Map.of("create", "true", "enablePosixFileAttributes", "true"))) {
      Path script = fs.getPath("/bin/hello.sh");
      Files.createDirectories(script.getParent());
      Files.writeString(script, "#!/bin/sh\necho hello from the package\n");
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path tree = Files.createDirectories(work.resolve("tools-src/tools"));
    Files.writeString(tree.resolve("version.txt"), "tools 2.0-beta\n");
    Path tgz = work.resolve("tools.tar.gz");
    Process tar = new ProcessBuilder("tar", "-czf", tgz.toString(), "-C", work.resolve("tools-src").toString(), "tools")
        .inheritIO().start();
    assertEquals(0, tar.waitFor());

    assertEquals(0, cli("app", "upload", "--application", "Hello", "--version", "1.0", "--default",
        "--display-name", "Hello app", zip.toString()), "upload of the zip");
    assertEquals(0, cli("app", "upload", "--application", "tools", "--version", "2.0-beta", tgz.toString()),
        "upload of the tar.gz");
    assertEquals(1, cli("app", "upload", "--application", "tools", "--version", "2.0-beta", tgz.toString()),
        "a version is immutable");
    Path notAPackage = Files.writeString(work.resolve("readme.txt"), "plain text");
    assertEquals(1, cli("app", "upload", "--application", "tools", "--version", "3", notAPackage.toString()),
        "neither zip nor tar.gz");

    // The data plane lists them as Azure's ApplicationSummary.
    List<ApplicationSummary> apps = client.applicationOperations().listApplications();
    assertEquals(List.of("Hello", "tools"), apps.stream().map(ApplicationSummary::id).toList());
    ApplicationSummary hello = client.applicationOperations().getApplication("hello");
    assertEquals("Hello app", hello.displayName());
    assertEquals(List.of("1.0"), hello.versions());
    BatchErrorException unknown = assertThrows(BatchErrorException.class,
        () -> client.applicationOperations().getApplication("nope"));
    assertEquals("ApplicationNotFound", unknown.body().code());

    // A pool may only reference packages that exist (Azure: 409 InvalidApplicationPackageReferences).
    BatchErrorException invalid = assertThrows(BatchErrorException.class, () -> client.poolOperations().createPool(
        pool("bad-app-pool", new ApplicationPackageReference().withApplicationId("tools"))));
    assertEquals("InvalidApplicationPackageReferences", invalid.body().code(), "tools has no default version");
    assertEquals(409, invalid.response().code());

    // The pool's package (the default version) is installed on its node when it joins.
    client.poolOperations().createPool(pool("app-pool", new ApplicationPackageReference().withApplicationId("hello")));
    await().atMost(Duration.ofSeconds(90)).until(() -> {
      List<ComputeNode> nodes = client.computeNodeOperations().listComputeNodes("app-pool");
      return client.poolOperations().getPool("app-pool").allocationState() == AllocationState.STEADY
          && nodes.size() == 1 && nodes.get(0).state() == ComputeNodeState.IDLE;
    });
    assertEquals("hello", client.poolOperations().getPool("app-pool").applicationPackageReferences().get(0).applicationId());

    client.jobOperations().createJob("app-job", new PoolInformation().withPoolId("app-pool"));
    List<TaskAddParameter> tasks = new ArrayList<>();
    tasks.add(new TaskAddParameter().withId("uses-both")
        .withApplicationPackageReferences(List.of(new ApplicationPackageReference().withApplicationId("tools")
            .withVersion("2.0-beta")))
        .withCommandLine("/bin/sh -c '$AZ_BATCH_APP_PACKAGE_hello/bin/hello.sh && "
            + "cat $AZ_BATCH_APP_PACKAGE_tools_2_0_beta/tools/version.txt && "
            + "echo $AZ_BATCH_APP_PACKAGE_hello_1_0'"));
    tasks.add(new TaskAddParameter().withId("missing-version")
        .withApplicationPackageReferences(List.of(new ApplicationPackageReference().withApplicationId("tools")
            .withVersion("9.9")))
        .withCommandLine("/bin/true"));
    tasks.add(new TaskAddParameter().withId("no-default")
        .withApplicationPackageReferences(List.of(new ApplicationPackageReference().withApplicationId("tools")))
        .withCommandLine("/bin/true"));
    for (String elevation : List.of("nonadmin", "admin")) {
      tasks.add(new TaskAddParameter().withId("id-" + elevation).withCommandLine("/bin/sh -c 'id -u'")
          .withUserIdentity(new UserIdentity().withAutoUser(new AutoUserSpecification()
              .withScope(AutoUserScope.TASK).withElevationLevel(ElevationLevel.fromString(elevation)))));
    }
    client.taskOperations().createTasks("app-job", tasks);
    await().atMost(Duration.ofSeconds(90)).until(() -> client.jobOperations().getTaskCounts("app-job").completed() == 5);

    // As root (here and in CI) a non-admin task runs as the unprivileged task user, an admin one as root.
    ByteArrayOutputStream nonAdminUid = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("app-job", "id-nonadmin", "stdout.txt", nonAdminUid);
    ByteArrayOutputStream adminUid = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("app-job", "id-admin", "stdout.txt", adminUid);
    boolean root = new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim().equals("0");
    if (root) {
      assertEquals("0\n", adminUid.toString(StandardCharsets.UTF_8));
      assertTrue(!nonAdminUid.toString(StandardCharsets.UTF_8).equals("0\n"), "non-admin: " + nonAdminUid);
    } else {
      assertEquals(adminUid.toString(StandardCharsets.UTF_8), nonAdminUid.toString(StandardCharsets.UTF_8));
    }

    CloudTask both = client.taskOperations().getTask("app-job", "uses-both");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("app-job", "uses-both", "stdout.txt", stdout);
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    client.fileOperations().getFileFromTask("app-job", "uses-both", "stderr.txt", stderr);
    String out = stdout.toString(StandardCharsets.UTF_8);
    assertEquals(0, both.executionInfo().exitCode(), out + stderr.toString(StandardCharsets.UTF_8));
    String[] lines = out.split("\n");
    assertEquals("hello from the package", lines[0]);
    assertEquals("tools 2.0-beta", lines[1]);
    String nodeId = both.nodeInfo().nodeId();
    assertEquals(data.resolve("nodes").resolve(nodeId).resolve("applications").resolve("hello#1.0").toString(), lines[2]);
    assertEquals("tools", both.applicationPackageReferences().get(0).applicationId());

    for (String id : List.of("missing-version", "no-default")) {
      CloudTask failed = client.taskOperations().getTask("app-job", id);
      assertEquals(TaskState.COMPLETED, failed.state());
      assertNull(failed.executionInfo().exitCode(), id + " never ran");
      assertEquals("ApplicationPackageNotFound", failed.executionInfo().failureInfo().code(), id);
      assertEquals("usererror", failed.executionInfo().failureInfo().category().toString().toLowerCase());
    }

    // A package version is extracted once per node: the node has exactly the two it was asked for.
    try (var installed = Files.list(data.resolve("nodes").resolve(nodeId).resolve("applications"))) {
      assertEquals(List.of("hello#1.0", "tools#2.0-beta"),
          installed.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList());
    }

    // Deleting a version through the CLI; the catalog survives a restart of the server.
    assertEquals(0, cli("app", "delete", "--application", "tools", "--version", "2.0-beta"));
    assertEquals(1, cli("app", "delete", "--application", "tools", "--version", "2.0-beta"), "already gone");
    server.close();
    server = new ServerProcess(data).withArgs("--node-provider", "local-process").start();
    client = BatchClient.open(new BatchSharedKeyCredentials(server.url(), ServerProcess.ACCOUNT, ServerProcess.KEY));
    List<ApplicationSummary> after = client.applicationOperations().listApplications();
    assertEquals(1, after.size());
    assertEquals("Hello", after.get(0).id());
    assertEquals(List.of("1.0"), after.get(0).versions());
  }

  private static PoolAddParameter pool(String id, ApplicationPackageReference ref) {
    return new PoolAddParameter().withId(id).withVmSize("standard_d2s_v3")
        .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
            .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy")
                .withSku("22_04-lts"))
            .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
        .withTargetDedicatedNodes(1).withTaskSlotsPerNode(2)
        .withApplicationPackageReferences(List.of(ref));
  }

  /** Runs {@code batchgrid <args>} from the packaged jar against the server; its exit code. */
  private static int cli(String... args) throws Exception {
    Path root = Path.of(System.getProperty("batchgrid.root", "..")).toAbsolutePath().normalize();
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", root.resolve("cli/target/batchgrid.jar").toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--endpoint", server.url(), "--account", ServerProcess.ACCOUNT));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("BATCHGRID_ACCOUNT_KEY", ServerProcess.KEY);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the cli ended: " + output);
    System.out.println("batchgrid " + String.join(" ", args) + " -> " + p.exitValue() + "\n" + output);
    return p.exitValue();
  }
}
