package io.batchgrid.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A {@code batchgrid worker} JVM from the packaged jar, started as an operator would on a machine of its own. */
final class WorkerJvm {
  private WorkerJvm() {}

  /** Runs {@code worker ARGS --data DIR}, logging to {@code DIR/worker.log}. */
  static Process start(Path dir, String... args) throws IOException {
    return start(dir, Map.of(), args);
  }

  /** As {@link #start(Path, String...)}, with these environment variables added (e.g. the journal kind). */
  static Process start(Path dir, Map<String, String> env, String... args) throws IOException {
    Path root = Path.of(System.getProperty("batchgrid.root", "..")).toAbsolutePath().normalize();
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx192m", "-jar", root.resolve("cli/target/batchgrid.jar").toString(), "worker"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--data", dir.toString()));
    dir.toFile().mkdirs();
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(dir.toFile(), "worker.log")));
    pb.environment().putAll(env);
    return pb.start();
  }

  /** Kills worker JVMs and the task processes they left running, as a test's clean-up. */
  static void stopAll(List<Process> workers) throws InterruptedException {
    for (Process p : workers) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
