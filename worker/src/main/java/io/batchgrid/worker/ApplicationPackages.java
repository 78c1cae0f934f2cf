package io.batchgrid.worker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.spec.ApplicationPackageReference;

/**
 * A node's application packages: each package version is fetched once from the coordinator's
 * gateway (a stream over the cluster connection, so workers in other processes need nothing more),
 * extracted under {@code <node root>/applications/<id>#<version>} (zip or tar.gz), and then shared
 * by every task on the node that references it, as on Azure Batch.
 *
 * <p>An install extracts into a hidden directory and renames it into place when complete, so a
 * directory under its final name is always a complete install, also after a worker crash. Installs
 * of the same version that are asked for at once share one download.
 *
 * <p>Thread-safe. {@link #install} blocks: call it on the node's blocking executor.
 */
public final class ApplicationPackages {
  /** Where a node keeps its packages, as Azure's {@code $AZ_BATCH_NODE_ROOT_DIR/applications}. */
  public static final String DIR = "applications";
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);
  /** The longest a download and extraction may take before the task fails. */
  static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(30);

  /** An installed package: the version resolved (the default one when the reference named none). */
  public record Installed(String applicationId, String version, boolean requestedDefault, Path dir) {}

  /** Why a package could not be installed: the task's pre-processing failure. */
  public static final class InstallFailed extends Exception {
    private final FailureInfo failure;

    InstallFailed(FailureInfo failure) {
      super(failure.message());
      this.failure = failure;
    }

    public FailureInfo failure() {
      return failure;
    }
  }

  private final Path root;
  private final Supplier<ActorRef<CoordinatorMessage>> gateway;
  private final ActorSystem<?> system;
  private final Executor blocking;
  private final Map<String, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();

  /**
   * @param nodeRoot the node's root directory
   * @param gateway the gateway the node talks to now (null while it knows none)
   */
  public ApplicationPackages(Path nodeRoot, Supplier<ActorRef<CoordinatorMessage>> gateway, ActorSystem<?> system,
      Executor blocking) {
    this.root = nodeRoot.resolve(DIR);
    this.gateway = gateway;
    this.system = system;
    this.blocking = blocking;
  }

  /** Installs every reference (each at most once per node) and returns them in order. */
  public List<Installed> installAll(List<ApplicationPackageReference> refs) throws InstallFailed {
    List<Installed> out = new java.util.ArrayList<>(refs.size());
    for (ApplicationPackageReference ref : refs) {
      out.add(install(ref));
    }
    return out;
  }

  /** Installs the package (a no-op when the node has it) and returns where it is. Blocks. */
  public Installed install(ApplicationPackageReference ref) throws InstallFailed {
    String id = ref.getApplicationId();
    String version = ref.getVersion();
    boolean requestedDefault = version.isEmpty();
    if (requestedDefault) {
      // Which version is the default is the service's to say, every time: it may change.
      try {
        version = ask(id, "", false).version();
      } catch (InstallFailedUnchecked u) {
        throw u.failed;
      }
    }
    Path dir = root.resolve(dirName(id, version));
    if (Files.isDirectory(dir)) {
      return new Installed(id, version, requestedDefault, dir);
    }
    String v = version;
    CompletableFuture<Path> install = inFlight.computeIfAbsent(dir.getFileName().toString(),
        k -> CompletableFuture.supplyAsync(() -> download(id, v, dir), blocking));
    try {
      install.get(INSTALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
      if (cause instanceof InstallFailedUnchecked u) {
        throw u.failed;
      }
      throw new InstallFailed(FailureInfo.user("ApplicationPackageInstallFailed",
          "The application package " + id + " " + v + " could not be installed: " + cause));
    } catch (TimeoutException e) {
      throw new InstallFailed(FailureInfo.user("ApplicationPackageInstallFailed",
          "The application package " + id + " " + v + " was not installed within " + INSTALL_TIMEOUT));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InstallFailed(FailureInfo.server("NodeShuttingDown", "The node is shutting down"));
    } finally {
      inFlight.remove(dir.getFileName().toString(), install);
    }
    return new Installed(id, version, requestedDefault, dir);
  }

  /** {@code <id in lower case>#<version>}: ids are case-insensitive, versions are not. */
  static String dirName(String applicationId, String version) {
    return applicationId.toLowerCase(Locale.ROOT) + "#" + version;
  }

  /**
   * The variables a task sees for its packages, Azure's Linux names: {@code
   * AZ_BATCH_APP_PACKAGE_<id>_<version>}, and {@code AZ_BATCH_APP_PACKAGE_<id>} for a reference
   * without a version (the default one), with every character other than a letter, digit or
   * underscore ({@code .}, {@code -}, {@code #}) turned into {@code _}. Azure's documentation shows
   * both the application id's own case and lower case for Linux; both are set when they differ.
   */
  static void putVariables(Map<String, String> env, Installed p) {
    String value = p.dir().toString();
    for (String id : idSpellings(p.applicationId())) {
      env.put(flatten("AZ_BATCH_APP_PACKAGE_" + id + "_" + p.version()), value);
      if (p.requestedDefault()) {
        env.put(flatten("AZ_BATCH_APP_PACKAGE_" + id), value);
      }
    }
  }

  private static List<String> idSpellings(String id) {
    String lower = id.toLowerCase(Locale.ROOT);
    return lower.equals(id) ? List.of(id) : List.of(id, lower);
  }

  static String flatten(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
    }
    return b.toString();
  }

  // ---------------------------------------------------------------------------------- install

  /** Carries an InstallFailed through a CompletableFuture. */
  private static final class InstallFailedUnchecked extends RuntimeException {
    final InstallFailed failed;

    InstallFailedUnchecked(InstallFailed failed) {
      super(failed.getMessage(), null, false, false);
      this.failed = failed;
    }
  }

  private Path download(String id, String version, Path dir) {
    if (Files.isDirectory(dir)) {
      return dir; // another install finished meanwhile
    }
    Path archive = root.resolve("." + UUID.randomUUID() + ".download");
    Path partial = root.resolve("." + dir.getFileName() + "." + UUID.randomUUID() + ".partial");
    try {
      Files.createDirectories(root);
      NodeMessage.PackageContent content = ask(id, version, true);
      try {
        content.data().getSource().runWith(FileIO.toPath(archive), Materializer.matFromSystem(system))
            .toCompletableFuture().get(INSTALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.user("ApplicationPackageDownloadFailed",
            "The application package " + id + " " + version + " could not be downloaded: "
                + (e instanceof ExecutionException ? e.getCause() : e))));
      }
      if (Files.size(archive) != content.size()) {
        throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.user("ApplicationPackageDownloadFailed",
            "The application package " + id + " " + version + " arrived with " + Files.size(archive)
                + " bytes instead of " + content.size())));
      }
      Files.createDirectories(partial);
      try {
        if ("zip".equals(content.format())) {
          unzip(archive, partial);
        } else {
          untar(archive, partial);
        }
      } catch (IOException | RuntimeException e) {
        throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.user("ApplicationPackageExtractionFailed",
            "The application package " + id + " " + version + " (" + content.format() + ") could not be extracted: "
                + e.getMessage())));
      }
      // Readable (and its programs runnable) by tasks that run as another user than the node.
      Files.setPosixFilePermissions(partial, MODE_755);
      Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
      return dir;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.server("NodeShuttingDown", "The node is shutting down")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteQuietly(archive);
      deleteQuietly(partial);
    }
  }

  private static final Set<PosixFilePermission> MODE_755 = java.nio.file.attribute.PosixFilePermissions
      .fromString("rwxr-xr-x");

  private NodeMessage.PackageContent ask(String id, String version, boolean withContent) {
    ActorRef<CoordinatorMessage> to = gateway.get();
    if (to == null) {
      throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.server("ApplicationPackageDownloadFailed",
          "The node knows no coordinator to fetch the application package " + id + " from")));
    }
    try {
      return AskPattern.<CoordinatorMessage, NodeMessage.PackageContent>askWithStatus(to,
              r -> new CoordinatorMessage.FetchPackage(id, version, withContent, r), ASK_TIMEOUT, system.scheduler())
          .toCompletableFuture().get(ASK_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
      if (cause instanceof BatchException b) {
        String reason = b.values().getOrDefault("Reason", b.getMessage());
        throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.user(b.code().wireCode(),
            "The application package " + id + (version.isEmpty() ? " (default version)" : " " + version)
                + " cannot be installed: " + reason)));
      }
      throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.server("ApplicationPackageDownloadFailed",
          "The node could not fetch the application package " + id + ": " + cause)));
    } catch (TimeoutException e) {
      throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.server("ApplicationPackageDownloadFailed",
          "The coordinator did not answer for the application package " + id + " within " + ASK_TIMEOUT)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InstallFailedUnchecked(new InstallFailed(FailureInfo.server("NodeShuttingDown", "The node is shutting down")));
    }
  }

  /** Unpacks a zip with its entries' Unix permissions (kept by zip tools in the external attributes). */
  static void unzip(Path archive, Path into) throws IOException {
    URI uri = URI.create("jar:" + archive.toUri());
    try (FileSystem zip = FileSystems.newFileSystem(uri, Map.of("enablePosixFileAttributes", "true"))) {
      for (Path top : zip.getRootDirectories()) {
        try (Stream<Path> entries = Files.walk(top)) {
          for (Path entry : (Iterable<Path>) entries::iterator) {
            String relative = top.relativize(entry).toString();
            if (relative.isEmpty()) {
              continue;
            }
            Path target = into.resolve(relative).normalize();
            if (!target.startsWith(into)) {
              throw new IOException("the entry " + relative + " leaves the package's directory");
            }
            if (Files.isDirectory(entry)) {
              Files.createDirectories(target);
              continue;
            }
            Files.createDirectories(target.getParent());
            Files.copy(entry, target, StandardCopyOption.REPLACE_EXISTING);
            Set<PosixFilePermission> mode = permissions(entry);
            if (mode != null) {
              Files.setPosixFilePermissions(target, mode);
            }
          }
        }
      }
    }
  }

  private static Set<PosixFilePermission> permissions(Path entry) {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(entry, LinkOption.NOFOLLOW_LINKS);
      // Zips made without Unix attributes report no permission at all: keep the default mode.
      return mode.isEmpty() ? null : mode;
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    }
  }

  /**
   * Unpacks a tar.gz with the system's tar (GNU tar keeps modes and links, refuses members that
   * would leave the directory); as root, files get the node's owner, not the archive's.
   */
  static void untar(Path archive, Path into) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", into.toString(), "--no-same-owner")
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("tar failed: " + (output.isEmpty() ? "exit " + p.exitValue() : output));
    }
  }

  private static void deleteQuietly(Path path) {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(path)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort: a leftover hidden directory is harmless and never used
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }
}
