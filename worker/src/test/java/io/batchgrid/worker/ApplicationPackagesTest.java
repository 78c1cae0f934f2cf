package io.batchgrid.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.spec.ApplicationPackageReference;

/** Installing packages on a node from a gateway that streams real archives, as the coordinator's does. */
class ApplicationPackagesTest {
  @TempDir
  Path tmp;
  private ActorTestKit testKit;
  private ExecutorService blocking;
  /** (id#version) → archive the fake gateway serves; the default version of each id. */
  private final Map<String, Path> archives = new HashMap<>();
  private final Map<String, String> defaults = new HashMap<>();
  private final AtomicInteger downloads = new AtomicInteger();
  private ApplicationPackages packages;
  private Path nodeRoot;

  @BeforeEach
  void start() throws IOException {
    testKit = ActorTestKit.create();
    blocking = Executors.newFixedThreadPool(4);
    ActorRef<CoordinatorMessage> gateway = testKit.spawn(gateway());
    nodeRoot = Files.createDirectories(tmp.resolve("node"));
    packages = new ApplicationPackages(nodeRoot, () -> gateway, testKit.system(), blocking);
  }

  @AfterEach
  void stop() {
    blocking.shutdownNow();
    testKit.shutdownTestKit();
  }

  private Behavior<CoordinatorMessage> gateway() {
    return Behaviors.setup(ctx -> {
      Materializer mat = Materializer.matFromSystem(ctx.getSystem());
      return Behaviors.receiveMessage(m -> {
        if (m instanceof CoordinatorMessage.FetchPackage f) {
          String version = f.version().isEmpty() ? defaults.get(f.applicationId()) : f.version();
          Path file = version == null ? null : archives.get(f.applicationId() + "#" + version);
          if (file == null) {
            f.replyTo().tell(StatusReply.error(BatchException.of(ErrorCode.APPLICATION_PACKAGE_NOT_FOUND,
                "no such package", "Reason", "The application has no such version")));
          } else {
            if (f.withContent()) {
              downloads.incrementAndGet();
            }
            f.replyTo().tell(StatusReply.success(new NodeMessage.PackageContent(f.applicationId(), version,
                file.toString().endsWith(".zip") ? "zip" : "tar.gz", Files.size(file),
                f.withContent() ? FileIO.fromPath(file).runWith(StreamRefs.sourceRef(), mat) : null)));
          }
        }
        return Behaviors.same();
      });
    });
  }

  private static ApplicationPackageReference ref(String id, String version) {
    return ApplicationPackageReference.newBuilder().setApplicationId(id).setVersion(version).build();
  }

  private Path zipWithScript(String name) throws IOException {
    Path zip = tmp.resolve(name + ".zip");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()),
        Map.of("create", "true", "enablePosixFileAttributes", "true"))) {
      Path script = fs.getPath("/bin/run.sh");
      Files.createDirectories(script.getParent());
      Files.writeString(script, "#!/bin/sh\necho ran\n");
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
    }
    return zip;
  }

  @Test
  void aVersionIsDownloadedOnceAndExtractedWithItsModes() throws Exception {
    archives.put("app#1.0", zipWithScript("app"));
    // Eight tasks asking at once share one download.
    List<CompletableFuture<ApplicationPackages.Installed>> all = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      all.add(CompletableFuture.supplyAsync(() -> {
        try {
          return packages.install(ref("app", "1.0"));
        } catch (ApplicationPackages.InstallFailed e) {
          throw new IllegalStateException(e);
        }
      }, Executors.newSingleThreadExecutor()));
    }
    for (CompletableFuture<ApplicationPackages.Installed> f : all) {
      assertEquals(nodeRoot.resolve("applications/app#1.0"), f.get(30, TimeUnit.SECONDS).dir());
    }
    assertEquals(1, downloads.get());
    Path script = nodeRoot.resolve("applications/app#1.0/bin/run.sh");
    assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(script)));
    packages.install(ref("app", "1.0"));
    assertEquals(1, downloads.get(), "installed: not fetched again");
    try (var left = Files.list(nodeRoot.resolve("applications"))) {
      assertEquals(List.of("app#1.0"), left.map(p -> p.getFileName().toString()).toList(), "no partial directory left");
    }
  }

  @Test
  void theDefaultVersionIsAskedForEachTimeAndNamedByAzuresRules() throws Exception {
    archives.put("Agent-linux-x64#1.1.46.0", zipWithScript("agent"));
    defaults.put("Agent-linux-x64", "1.1.46.0");
    ApplicationPackages.Installed p = packages.install(ref("Agent-linux-x64", ""));
    assertEquals("1.1.46.0", p.version());
    Map<String, String> env = new HashMap<>();
    ApplicationPackages.putVariables(env, p);
    String dir = nodeRoot.resolve("applications/agent-linux-x64#1.1.46.0").toString();
    assertEquals(Map.of(
        "AZ_BATCH_APP_PACKAGE_Agent_linux_x64_1_1_46_0", dir,
        "AZ_BATCH_APP_PACKAGE_agent_linux_x64_1_1_46_0", dir,
        "AZ_BATCH_APP_PACKAGE_Agent_linux_x64", dir,
        "AZ_BATCH_APP_PACKAGE_agent_linux_x64", dir), env);

    Map<String, String> pinned = new HashMap<>();
    ApplicationPackages.putVariables(pinned, packages.install(ref("agent-linux-x64", "1.1.46.0")));
    assertEquals(Map.of("AZ_BATCH_APP_PACKAGE_agent_linux_x64_1_1_46_0", dir), pinned,
        "a pinned version gets no default-version variable");
  }

  @Test
  void failuresAreTheTasksPreProcessingErrors() throws Exception {
    ApplicationPackages.InstallFailed missing = assertThrows(ApplicationPackages.InstallFailed.class,
        () -> packages.install(ref("nope", "1")));
    assertEquals("ApplicationPackageNotFound", missing.failure().code());
    assertEquals("usererror", missing.failure().category());
    assertTrue(missing.failure().message().contains("nope"), missing.failure().message());

    Path corrupt = tmp.resolve("corrupt.zip");
    Files.write(corrupt, new byte[] {'P', 'K', 3, 4, 0, 0, 1, 2, 3});
    archives.put("bad#1", corrupt);
    ApplicationPackages.InstallFailed broken = assertThrows(ApplicationPackages.InstallFailed.class,
        () -> packages.install(ref("bad", "1")));
    assertEquals("ApplicationPackageExtractionFailed", broken.failure().code());
    assertFalse(Files.exists(nodeRoot.resolve("applications/bad#1")));

    // An entry that would leave the package's directory is refused, and nothing is installed.
    Path evil = tmp.resolve("evil.zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(evil))) {
      z.putNextEntry(new ZipEntry("../../escaped.txt"));
      z.write("x".getBytes());
    }
    archives.put("evil#1", evil);
    ApplicationPackages.InstallFailed escaped = assertThrows(ApplicationPackages.InstallFailed.class,
        () -> packages.install(ref("evil", "1")));
    assertEquals("ApplicationPackageExtractionFailed", escaped.failure().code());
    assertFalse(Files.exists(nodeRoot.resolve("escaped.txt")));
    assertFalse(Files.exists(tmp.resolve("escaped.txt")));
    assertFalse(Files.exists(nodeRoot.resolve("applications/evil#1")));
  }
}
