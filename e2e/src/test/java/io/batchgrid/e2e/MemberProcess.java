package io.batchgrid.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * One role of batchgrid ({@code coordinator}, {@code api}, ...) from the packaged jar in its own JVM,
 * as an operator runs it: started with its arguments and environment, ready when it prints its
 * ready line, killable with SIGKILL.
 */
final class MemberProcess implements AutoCloseable {
  private final String name;
  private final List<String> args;
  private final Map<String, String> env;
  private final String readyMarker;
  private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();
  private Process process;

  MemberProcess(String name, List<String> args, Map<String, String> env, String readyMarker) {
    this.name = name;
    this.args = List.copyOf(args);
    this.env = Map.copyOf(env);
    this.readyMarker = readyMarker;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts it without waiting (several coordinators must start together to form their cluster). */
  MemberProcess launch() throws IOException {
    Path root = Path.of(System.getProperty("batchgrid.root", "..")).toAbsolutePath().normalize();
    Path jar = root.resolve("cli/target/batchgrid.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException("build the cli first (mvn package): " + jar + " is missing");
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:+UseSerialGC", "-Djdk.lang.Process.launchMechanism=VFORK",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2", "-jar", jar.toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    process = pb.start();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.add(line);
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "output-" + name);
    reader.setDaemon(true);
    reader.start();
    return this;
  }

  /** Waits for the ready line; fails with the output when the process exits first. */
  MemberProcess awaitReady() throws Exception {
    org.awaitility.Awaitility.await(name + " ready").atMost(java.time.Duration.ofSeconds(120))
        .pollInterval(java.time.Duration.ofMillis(100)).until(() -> {
          if (output.stream().anyMatch(l -> l.contains(readyMarker))) {
            return true;
          }
          if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited " + process.exitValue() + ":\n" + output());
          }
          return false;
        });
    return this;
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no leaving the cluster; only what was persisted survives. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  String name() {
    return name;
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
