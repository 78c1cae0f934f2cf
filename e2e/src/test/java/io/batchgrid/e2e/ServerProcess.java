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
public final class ServerProcess implements AutoCloseable {
  public static final String ACCOUNT = "e2eaccount";
  public static final String KEY = Base64.getEncoder().encodeToString("batchgrid-e2e-test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8));

  final Path dataDir;
  final int port;
  private Process process;
  private String bind = "127.0.0.1";
  private boolean tls;
  private final List<String> extraArgs = new ArrayList<>();
  private final java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
  private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();

  public ServerProcess(Path dataDir) throws IOException {
    this.dataDir = dataDir;
    try (ServerSocket s = new ServerSocket(0)) {
      this.port = s.getLocalPort();
    }
  }

  /** Adds options to the {@code server} command line (before {@link #start}). */
  public ServerProcess withArgs(String... args) {
    extraArgs.addAll(List.of(args));
    return this;
  }

  /** The API's listen address (default 127.0.0.1). */
  public ServerProcess withBind(String address) {
    bind = address;
    return this;
  }

  /** Serves HTTPS with a PKCS12 keystore, its password given as the environment variable the runbook names. */
  public ServerProcess withTls(Path keystore, String password) {
    tls = true;
    extraArgs.addAll(List.of("--tls-keystore", keystore.toString()));
    env.put("BATCHGRID_TLS_KEYSTORE_PASSWORD", password);
    return this;
  }

  /** The server's JVM, e.g. to find the worker processes it started. */
  ProcessHandle handle() {
    return process.toHandle();
  }

  public String url() {
    return (tls ? "https" : "http") + "://127.0.0.1:" + port;
  }

  /** Starts the server and waits until it says it is ready. */
  public ServerProcess start() throws Exception {
    Path root = Path.of(System.getProperty("batchgrid.root", "..")).toAbsolutePath().normalize();
    Path jar = root.resolve("cli/target/batchgrid.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException("build the cli first (mvn package): " + jar + " is missing");
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-Djdk.lang.Process.launchMechanism=VFORK",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2", "-jar", jar.toString(),
        "server", "--data", dataDir.toString(), "--port", Integer.toString(port), "--bind", bind));
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("BATCHGRID_ACCOUNT_NAME", ACCOUNT);
    pb.environment().put("BATCHGRID_ACCOUNT_KEY", KEY);
    pb.environment().putAll(env);
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

  public String output() {
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
