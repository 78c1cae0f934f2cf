package io.batchgrid.worker.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import io.batchgrid.config.AutoStorage;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.OutputFile;
import io.batchgrid.protocol.spec.ResourceFile;
import io.batchgrid.protocol.spec.TaskSpec;
import io.batchgrid.worker.NodeConfig;
import io.batchgrid.worker.TaskRunner;

/**
 * Resource files in and output files out of real task processes, against a real Azurite and a
 * local HTTP server.
 */
class FileStagingTest {
  private static Azurite azurite;
  private static HttpServer web;
  private static final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private static final ExecutorService blocking = Executors.newFixedThreadPool(2);
  private static final BlobTransfer transfer = BlobTransfer.create(Duration.ofMillis(10), 2);
  private static String inputs;

  @TempDir Path root;
  private NodeConfig node;
  private FileStaging staging;
  private static int taskCounter;

  @BeforeAll
  static void start() throws Exception {
    azurite = Azurite.start();
    inputs = azurite.createContainer("inputs");
    azurite.putBlob("inputs", "data/a.txt", "blob a\n");
    azurite.putBlob("inputs", "data/sub/deep/b.txt", "blob b\n");
    azurite.putBlob("inputs", "data/c d.txt", "blob c\n");
    azurite.putBlob("inputs", "other/x.txt", "not under the prefix\n");

    web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    web.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      int n = hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      int status;
      byte[] body;
      if (path.equals("/hello.txt")) {
        status = 200;
        body = "hello over http\n".getBytes(StandardCharsets.UTF_8);
      } else if (path.equals("/tool.sh")) {
        status = 200;
        body = "#!/bin/sh\necho tool ran\n".getBytes(StandardCharsets.UTF_8);
      } else if (path.equals("/flaky.txt")) {
        status = n < 3 ? 503 : 200;
        body = (n < 3 ? "busy" : "third time lucky\n").getBytes(StandardCharsets.UTF_8);
      } else {
        status = 404;
        body = "no such file".getBytes(StandardCharsets.UTF_8);
      }
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    web.start();
  }

  @AfterAll
  static void stop() {
    if (web != null) {
      web.stop(0);
    }
    if (azurite != null) {
      azurite.close();
    }
    blocking.shutdownNow();
  }

  @BeforeEach
  void setUp() {
    node = new NodeConfig("pool1", "node1", 2, root, "acct", null);
    staging = new FileStaging(AutoStorage.NONE, transfer);
  }

  private static String http(String path) {
    return "http://127.0.0.1:" + web.getAddress().getPort() + path;
  }

  private TaskOutcome run(TaskSpec.Builder spec) throws Exception {
    return run(spec, staging);
  }

  private TaskOutcome run(TaskSpec.Builder spec, FileStaging with) throws Exception {
    TaskLaunch launch = new TaskLaunch("job1", spec.getId(), 1, spec.build(), List.of());
    return TaskRunner.start(launch, node, blocking, with).outcome().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  private static TaskSpec.Builder task(String commandLine) {
    return TaskSpec.newBuilder().setId("t" + (++taskCounter)).setCommandLine(commandLine);
  }

  private Path wd(TaskSpec.Builder spec) {
    return root.resolve("workitems/job1/job-1").resolve(spec.getId()).resolve("wd");
  }

  private static ResourceFile.Builder rf() {
    return ResourceFile.newBuilder();
  }

  private static Map<String, String> details(FailureInfo info) {
    return info.details().stream().collect(Collectors.toMap(NameValue::getName, NameValue::getValue));
  }

  // ---- resource files -----------------------------------------------------------------------

  @Test
  void downloadsHttpFilesAndContainerBlobsWithPrefixKeepingPathsAndModes() throws Exception {
    TaskSpec.Builder spec = task("sh -c 'cat in/hello.txt staged/data/a.txt staged/data/sub/deep/b.txt \"staged/data/c d.txt\"; ./tool.sh'")
        .addResourceFiles(rf().setHttpUrl(http("/hello.txt")).setFilePath("in/hello.txt"))
        .addResourceFiles(rf().setHttpUrl(http("/tool.sh")).setFilePath("tool.sh").setFileMode("0755"))
        .addResourceFiles(rf().setStorageContainerUrl(inputs).setBlobPrefix("data/").setFilePath("staged"));

    TaskOutcome outcome = run(spec);

    assertNull(outcome.failureInfo());
    assertEquals(0, outcome.exitCode());
    Path wd = wd(spec);
    assertEquals("hello over http\nblob a\nblob b\nblob c\ntool ran\n",
        Files.readString(wd.resolve("../stdout.txt")));
    assertFalse(Files.exists(wd.resolve("staged/other/x.txt")), "only blobs under the prefix");
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(wd.resolve("tool.sh"))));
    assertEquals("rwxrwx---", PosixFilePermissions.toString(Files.getPosixFilePermissions(wd.resolve("in/hello.txt"))),
        "Azure's default mode 0770");
    try (var leftovers = Files.walk(wd)) {
      assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().endsWith(".download")), "no partial files");
    }
  }

  @Test
  void wholeContainerIntoTheWorkingDirectoryAcrossListingPages() throws Exception {
    // The transfer lists 2 blobs per page: 4 blobs take 2 NextMarker round trips.
    TaskSpec.Builder spec = task("/bin/true").addResourceFiles(rf().setStorageContainerUrl(inputs));
    TaskOutcome outcome = run(spec);
    assertNull(outcome.failureInfo());
    Path wd = wd(spec);
    for (String name : List.of("data/a.txt", "data/sub/deep/b.txt", "data/c d.txt", "other/x.txt")) {
      assertTrue(Files.isRegularFile(wd.resolve(name)), name);
    }
  }

  @Test
  void autoStorageContainerNeedsTheLinkedStorage() throws Exception {
    FileStaging linked = new FileStaging(new AutoStorage(azurite.serviceUrl(), Azurite.sas("rl")), transfer);
    TaskSpec.Builder spec = task("cat a.txt")
        .addResourceFiles(rf().setAutoStorageContainerName("inputs").setBlobPrefix("data/a"));
    TaskOutcome outcome = run(spec, linked);
    assertNull(outcome.failureInfo());
    assertEquals("blob a\n", Files.readString(wd(spec).resolve("data/a.txt")));

    TaskSpec.Builder unlinked = task("sh -c 'touch ran'")
        .addResourceFiles(rf().setAutoStorageContainerName("inputs"));
    TaskOutcome failed = run(unlinked);
    assertNull(failed.exitCode());
    assertEquals("usererror", failed.failureInfo().category());
    assertEquals("AutoStorageNotConfigured", failed.failureInfo().code());
    assertTrue(failed.failureInfo().message().contains("batchgrid.auto-storage.url"));
    assertFalse(Files.exists(wd(unlinked).resolve("ran")), "the command never ran");
  }

  @Test
  void transientErrorsAreRetriedAndNotFoundIsNot() throws Exception {
    TaskSpec.Builder flaky = task("cat f.txt").addResourceFiles(rf().setHttpUrl(http("/flaky.txt")).setFilePath("f.txt"));
    TaskOutcome ok = run(flaky);
    assertNull(ok.failureInfo());
    assertEquals(3, hits.get("/flaky.txt").get(), "two 503s, then the file");
    assertEquals("third time lucky\n", Files.readString(wd(flaky).resolve("f.txt")));

    TaskSpec.Builder missing = task("sh -c 'touch ran'")
        .addResourceFiles(rf().setHttpUrl(http("/missing.txt")).setFilePath("m.txt"));
    TaskOutcome notFound = run(missing);
    assertEquals(1, hits.get("/missing.txt").get(), "404 is final");
    assertNull(notFound.exitCode());
    FailureInfo info = notFound.failureInfo();
    assertEquals("usererror", info.category());
    assertEquals("BlobNotFound", info.code());
    Map<String, String> d = details(info);
    assertEquals(http("/missing.txt"), d.get("Url"));
    assertEquals("404", d.get("HttpStatusCode"));
    assertEquals("m.txt", d.get("FilePath"));
    assertNotNull(d.get("Message"));
    assertFalse(Files.exists(wd(missing).resolve("ran")));
    assertFalse(Files.exists(wd(missing).resolve("m.txt")));
  }

  @Test
  void badSasIsAccessDeniedWithTheSignatureRedacted() throws Exception {
    String forged = azurite.containerUrl("inputs", Azurite.sas("rl").replaceAll("sig=[^&]*", "sig=Zm9yZ2Vk"));
    TaskSpec.Builder listing = task("sh -c 'touch ran'").addResourceFiles(rf().setStorageContainerUrl(forged));
    TaskOutcome denied = run(listing);
    assertNull(denied.exitCode());
    assertEquals("ResourceContainerAccessDenied", denied.failureInfo().code());
    assertEquals("403", details(denied.failureInfo()).get("HttpStatusCode"));
    assertFalse(details(denied.failureInfo()).get("Url").contains("Zm9yZ2Vk"), "no signature in what clients see");
    assertFalse(Files.exists(wd(listing).resolve("ran")));

    String blobUrl = ContainerUrl.parse(forged).blob("data/a.txt").toString();
    TaskSpec.Builder blob = task("/bin/true").addResourceFiles(rf().setHttpUrl(blobUrl).setFilePath("a.txt"));
    TaskOutcome blobDenied = run(blob);
    assertNull(blobDenied.exitCode());
    assertEquals("BlobAccessDenied", blobDenied.failureInfo().code());

    String missingBlob = ContainerUrl.parse(inputs).blob("data/nope.txt").toString();
    TaskOutcome blobMissing = run(task("/bin/true").addResourceFiles(rf().setHttpUrl(missingBlob).setFilePath("n.txt")));
    assertEquals("BlobNotFound", blobMissing.failureInfo().code());
  }

  @Test
  void pathsMayNotLeaveTheWorkingDirectory() throws Exception {
    for (String path : List.of("../escape.txt", "/tmp/abs.txt", "a/../../b.txt")) {
      TaskSpec.Builder spec = task("sh -c 'touch ran'")
          .addResourceFiles(rf().setHttpUrl(http("/hello.txt")).setFilePath(path));
      TaskOutcome outcome = run(spec);
      assertNull(outcome.exitCode(), path);
      assertEquals("BlobDownloadMiscError", outcome.failureInfo().code(), path);
      assertTrue(outcome.failureInfo().message().contains(path), outcome.failureInfo().message());
      assertFalse(Files.exists(wd(spec).resolve("ran")));
    }
    assertFalse(Files.exists(root.resolve("workitems/job1/job-1/escape.txt")));
  }

  // ---- output files -------------------------------------------------------------------------

  private static OutputFile.Builder out(String pattern, String containerUrl, String path, String condition) {
    return OutputFile.newBuilder().setFilePattern(pattern).setContainerUrl(containerUrl).setPath(path)
        .setUploadCondition(condition);
  }

  private List<String> blobs(String container) throws Exception {
    return transfer.listBlobs(ContainerUrl.parse(azurite.containerUrl(container, Azurite.fullSas())), "");
  }

  @Test
  void uploadsWhatTheConditionSaysWithAzureNaming() throws Exception {
    String outputs = azurite.createContainer("outputs");
    String make = "mkdir -p res/sub; echo r1 > res/one.txt; echo r2 > res/sub/two.txt; echo bin > res/x.bin; "
        + "echo single > result.dat; echo ok; echo warn >&2";
    TaskSpec.Builder success = task("sh -c '" + make + "; exit 0'")
        .addOutputFiles(out("res/**/*.txt", outputs, "s/texts", "tasksuccess")
            .addUploadHeaders(NameValue.newBuilder().setName("x-ms-blob-content-type").setValue("text/plain; charset=utf-8")))
        .addOutputFiles(out("result.dat", outputs, "s/renamed.dat", "taskcompletion"))
        .addOutputFiles(out("../std*.txt", outputs, "s/logs", ""))
        .addOutputFiles(out("res/*.bin", outputs, "s/failed-only", "taskfailure"));
    TaskOutcome ok = run(success);
    assertEquals(0, ok.exitCode());
    assertNull(ok.failureInfo());

    TaskSpec.Builder failure = task("sh -c '" + make + "; exit 3'")
        .addOutputFiles(out("res/**/*.txt", outputs, "f/texts", "tasksuccess"))
        .addOutputFiles(out("result.dat", outputs, "", "taskcompletion"))
        .addOutputFiles(out("res/*.bin", outputs, "f/failed-only", "taskfailure"));
    TaskOutcome failed = run(failure);
    assertEquals(3, failed.exitCode());
    assertNull(failed.failureInfo());

    assertEquals(List.of("f/failed-only/x.bin", "result.dat", "s/logs/stderr.txt", "s/logs/stdout.txt",
        "s/renamed.dat", "s/texts/one.txt", "s/texts/sub/two.txt"), blobs("outputs"));
    var two = azurite.getBlob("outputs", "s/texts/sub/two.txt");
    assertEquals("r2\n", two.body());
    assertEquals("text/plain; charset=utf-8", two.headers().firstValue("Content-Type").orElse(""));
    assertEquals("ok\n", azurite.getBlob("outputs", "s/logs/stdout.txt").body());
    assertEquals("single\n", azurite.getBlob("outputs", "s/renamed.dat").body());
  }

  @Test
  void failedUploadKeepsTheExitCodeAndReportsFailureInfo() throws Exception {
    azurite.createContainer("readonly");
    String readOnly = azurite.containerUrl("readonly", Azurite.sas("rl"));
    TaskSpec.Builder spec = task("sh -c 'echo data > r.txt'")
        .addOutputFiles(out("r.txt", readOnly, "r.txt", "taskcompletion"));
    TaskOutcome outcome = run(spec);
    assertEquals(0, outcome.exitCode(), "the exit code stays");
    FailureInfo info = outcome.failureInfo();
    assertNotNull(info);
    assertEquals("usererror", info.category());
    assertEquals("FileUploadMiscError", info.code());
    assertEquals("403", details(info).get("HttpStatusCode"));
    assertEquals("r.txt", details(info).get("FilePattern"));
    assertFalse(outcome.succeeded());
    assertEquals(List.of(), blobs("readonly"));
  }
}
