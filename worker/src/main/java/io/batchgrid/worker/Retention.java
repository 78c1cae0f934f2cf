package io.batchgrid.worker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.node.NodeLayout;

/**
 * A task's {@code constraints.retentionTime} on its node: after the task completes (default 7
 * days, Azure's), its directory is removed. The deadline is kept in a small file per task under
 * {@code <node root>/.retention/} (written atomically), so a worker that restarts finds what is due
 * and removes it, and after removal the file says so: the task's files API then answers Azure's 409
 * {@code TaskFilesUnavailable} instead of a plain "file not found". A new attempt of the task
 * forgets the deadline; its completion sets a new one.
 *
 * <p>Every method blocks on the file system: call it on the node's blocking executor.
 */
final class Retention {
  static final long DEFAULT_MS = 7L * 24 * 3600 * 1000;
  static final String DIR = ".retention";

  /** A task whose directory is to be removed at {@code deadlineMs}. */
  record Due(String jobId, String taskId, long deadlineMs) {}

  private final Path root;
  private final Path dir;

  Retention(Path nodeRoot) {
    this.root = nodeRoot;
    this.dir = nodeRoot.resolve(DIR);
  }

  /** The task's directory is to go at {@code deadlineMs}. */
  void retain(String jobId, String taskId, long deadlineMs) {
    write(jobId, taskId, "retain " + deadlineMs);
  }

  /** A new attempt runs: its completion will set the deadline. */
  void forget(String jobId, String taskId) {
    try {
      Files.deleteIfExists(marker(jobId, taskId));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every deadline not yet acted on. */
  List<Due> pending() {
    List<Due> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        int hash = name.indexOf('#');
        String[] state = read(f);
        if (hash > 0 && state != null && state[0].equals("retain")) {
          out.add(new Due(name.substring(0, hash), name.substring(hash + 1), Long.parseLong(state[1])));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Removes the task's directory when its deadline has passed (and is still the one recorded). */
  boolean expire(String jobId, String taskId, long nowMs) {
    String[] state = read(marker(jobId, taskId));
    if (state == null || !state[0].equals("retain") || Long.parseLong(state[1]) > nowMs) {
      return false;
    }
    // Recorded before the files go, so that a read meanwhile already answers TaskFilesUnavailable
    // rather than a plain "file not found". A crash halfway leaves the rest of the directory on
    // disk until the node is reimaged.
    write(jobId, taskId, "removed " + nowMs);
    Path taskDir = root.resolve(NodeLayout.taskDirectory(jobId, taskId));
    try (Stream<Path> all = Files.exists(taskDir) ? Files.walk(taskDir) : Stream.empty()) {
      for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return true;
  }

  /** True when the task's directory was removed by its retention time. */
  boolean removed(String jobId, String taskId) {
    if (!Ids.isValid(jobId) || !Ids.isValid(taskId)) {
      return false;
    }
    String[] state = read(marker(jobId, taskId));
    return state != null && state[0].equals("removed");
  }

  /**
   * The task a node path ({@code workitems/<job>/job-1/<task>/...}) belongs to, when its files were
   * removed by retention; else null.
   */
  String[] removedTaskOf(String path) {
    String[] parts = path.replace('\\', '/').replaceAll("^/+", "").split("/");
    if (parts.length >= 4 && parts[0].equals(NodeLayout.WORKITEMS) && parts[2].equals("job-1")
        && removed(parts[1], parts[3])) {
      return new String[] {parts[1], parts[3]};
    }
    return null;
  }

  private Path marker(String jobId, String taskId) {
    return dir.resolve(jobId + "#" + taskId);
  }

  private static String[] read(Path f) {
    try {
      String[] s = Files.readString(f, StandardCharsets.UTF_8).trim().split(" ");
      return s.length == 2 ? s : null;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void write(String jobId, String taskId, String content) {
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve("." + jobId + "#" + taskId + ".tmp");
      Files.writeString(tmp, content, StandardCharsets.UTF_8);
      Files.move(tmp, marker(jobId, taskId), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
