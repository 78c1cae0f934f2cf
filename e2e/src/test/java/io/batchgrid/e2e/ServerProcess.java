package io.batchgrid.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The packaged batchgrid server ({@code cli/target/batchgrid.jar}) running as its own JVM, exactly as
 * {@code ./batchgrid server} runs it, so that a test can kill it with SIGKILL and start it again
 * on the same data directory.
 */
final class ServerProcess implements AutoCloseable {
  static final String ACCOUNT = "e2eaccount";
  static final String KEY = Base64.getEncoder().encodeToString("batchgrid-e2e-test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8));

  final Path dataDir;
  final int port;
  private Process process;
  private final List<String> extraArgs = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();

  ServerProcess(Path dataDir) throws IOException {
    this.dataDir = dataDir;
    try (ServerSocket s = new ServerSocket(0)) {
      this.port = s.getLocalPort();
    }
  }

  /** Adds options to the {@code server} command line (before {@link #start}). */
  ServerProcess withArgs(String... args) {
    extraArgs.addAll(List.of(args));
    return this;
  }

  /** The server's JVM, e.g. to find the worker processes it started. */
  ProcessHandle handle() {
    return process.toHandle();
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Starts the server and waits until it says it is ready. */
  ServerProcess start() throws Exception {
    Path root = Path.of(System.getProperty("batchgrid.root", "..")).toAbsolutePath().normalize();
    Path jar = root.resolve("cli/target/batchgrid.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException("build the cli first (mvn package): " + jar + " is missing");
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-Djdk.lang.Process.launchMechanism=VFORK",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2", "-jar", jar.toString(),
        "server", "--data", dataDir.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1"));
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("BATCHGRID_ACCOUNT_NAME", ACCOUNT);
    pb.environment().put("BATCHGRID_ACCOUNT_KEY", KEY);
    process = pb.start();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.add(line);
          if (line.contains("batchgrid ready")) {
            ready.complete(null);
          }
        }
      } catch (IOException e) {
        // the process is gone; whoever waits for readiness times out
      }
      ready.completeExceptionally(new IllegalStateException("server exited:\n" + String.join("\n", output)));
    }, "server-output-" + port);
    reader.setDaemon(true);
    reader.start();
    ready.get(120, TimeUnit.SECONDS);
    return this;
  }

  /** SIGKILL: no shutdown hook, no flush; only what was already persisted survives. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  String output() {
    return String.join("\n", output);
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
