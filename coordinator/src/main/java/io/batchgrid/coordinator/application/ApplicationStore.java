package io.batchgrid.coordinator.application;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.proto.ApplicationCatalogP;
import io.batchgrid.protocol.proto.ApplicationP;
import io.batchgrid.protocol.proto.ApplicationPackageP;

/**
 * The application packages the service keeps: a durable file store under one directory.
 *
 * <pre>
 *   catalog.pb                        the catalog (applications, versions, default versions), Protobuf
 *   packages/&lt;id&gt;/&lt;version&gt;.zip|.tar.gz  the package files (id in lower case)
 *   incoming/                         uploads being received
 * </pre>
 *
 * <p>Why files and not an event-sourced entity: a package is a file of up to gigabytes that nodes
 * stream, so it lives on disk whatever holds the catalog, and the catalog is a handful of entries
 * changed by an operator now and then. Each change writes the whole catalog to a new file, forces
 * it to disk and renames it over the old one (then forces the directory), so a crash at any moment
 * leaves either the old catalog or the new one, never a torn one; a package file is forced to disk
 * and moved into place before the catalog names it. An acknowledged upload is therefore durable,
 * and a package file no catalog names (a crash between the two) is removed by the next upload of
 * that version.
 *
 * <p>The catalog is read from disk on every call rather than cached, so every reader in the JVM (the
 * API, the coordinator's node gateway) and in other processes sharing the directory sees the last
 * committed state. Changes are serialized by this object's lock: one writer per directory (the API
 * role). Thread-safe; every method blocks on the file system, call it off actor and stream threads.
 */
public final class ApplicationStore {
  /** Azure's rules for application names and versions (Batch management API). */
  public static final Pattern APPLICATION_ID = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
  public static final Pattern VERSION = Pattern.compile("[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,63}");

  /** One package version of an application. */
  public record PackageVersion(String version, String format, long size, long createdMs, String sha256) {}

  /** An application with its versions, oldest first; {@code defaultVersion} is null when none is set. */
  public record Application(String id, String displayName, String defaultVersion, List<PackageVersion> versions) {
    public Application {
      versions = List.copyOf(versions);
    }

    public Optional<PackageVersion> version(String v) {
      return versions.stream().filter(p -> p.version().equals(v)).findFirst();
    }
  }

  /** A package a reference resolves to, with its file. */
  public record Resolved(String applicationId, PackageVersion version, Path file) {}

  /** The store's directory under the server's data directory. */
  public static final String DIRECTORY = "applications";

  /** A store with nothing in it that takes nothing: for servers started without a data directory. */
  public static final ApplicationStore EMPTY = new ApplicationStore(null);

  private final Path dir;
  private final Path catalogFile;

  private ApplicationStore(Path dir) {
    this.dir = dir;
    this.catalogFile = dir == null ? null : dir.resolve("catalog.pb");
  }

  /** The store in {@code dir}, created when missing. */
  public static ApplicationStore open(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(abs.resolve("packages"));
      Files.createDirectories(abs.resolve("incoming"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the application store " + abs, e);
    }
    return new ApplicationStore(abs);
  }

  public Path directory() {
    return dir;
  }

  // ---------------------------------------------------------------------------------- reading

  /** Every application, by id (case-insensitively). */
  public List<Application> list() {
    List<Application> out = new ArrayList<>();
    for (ApplicationP a : read().getApplicationsList()) {
      out.add(application(a));
    }
    out.sort(Comparator.comparing(a -> a.id().toLowerCase(Locale.ROOT)));
    return out;
  }

  public Optional<Application> get(String applicationId) {
    return list().stream().filter(a -> a.id().equalsIgnoreCase(applicationId)).findFirst();
  }

  /**
   * The package {@code version} of the application, or its default version when {@code version} is
   * empty or null.
   *
   * @throws BatchException {@code ApplicationPackageNotFound} when there is no such package
   */
  public Resolved resolve(String applicationId, String version) {
    Application app = get(applicationId).orElseThrow(() -> notFound(applicationId, version,
        "The application does not exist"));
    String wanted = version == null || version.isEmpty() ? app.defaultVersion() : version;
    if (wanted == null) {
      throw notFound(applicationId, version, "No version was given and the application has no default version");
    }
    PackageVersion p = app.version(wanted).orElseThrow(() -> notFound(applicationId, wanted,
        "The application has no such version"));
    return new Resolved(app.id(), p, packageFile(app.id(), p.version(), p.format()));
  }

  private static BatchException notFound(String id, String version, String reason) {
    return BatchException.of(ErrorCode.APPLICATION_PACKAGE_NOT_FOUND, "The specified application package does not exist.",
        "ApplicationId", id, "Version", version == null ? "" : version, "Reason", reason);
  }

  // ---------------------------------------------------------------------------------- writing

  /** A fresh file to receive an upload into; hand it to {@link #add}, or delete it. */
  public Path incomingFile() {
    return dir.resolve("incoming").resolve(UUID.randomUUID() + ".part");
  }

  /**
   * Adds {@code version} of the application (created when new) from {@code received}, a file from
   * {@link #incomingFile()} that this call moves into the store. The format (zip or tar.gz) is read
   * from the file's first bytes. With {@code makeDefault} the version becomes the default one.
   *
   * @throws BatchException {@code InvalidPropertyValue} for a bad id, version or file format,
   *     {@code ApplicationPackageExists} when the version exists (versions are immutable: nodes keep
   *     what they installed under its name)
   */
  public synchronized Application add(String applicationId, String version, String displayName, Path received,
      boolean makeDefault) {
    if (dir == null) {
      throw BatchException.of(ErrorCode.FEATURE_NOT_SUPPORTED, "This server keeps no application packages.",
          "Feature", "applications");
    }
    checkIds(applicationId, version);
    String format = format(received);
    ApplicationCatalogP catalog = read();
    int index = indexOf(catalog, applicationId);
    ApplicationP app = index < 0
        ? ApplicationP.newBuilder().setId(applicationId).setDisplayName(displayName == null ? applicationId : displayName)
            .build()
        : catalog.getApplications(index);
    for (ApplicationPackageP p : app.getPackagesList()) {
      if (p.getVersion().equals(version)) {
        throw BatchException.of(ErrorCode.APPLICATION_PACKAGE_EXISTS,
            "The specified application package already exists.", "ApplicationId", app.getId(), "Version", version,
            "Reason", "A version is immutable once uploaded: delete it first or upload a new version");
      }
    }
    long size;
    String sha256;
    try {
      size = Files.size(received);
      sha256 = sha256(received);
      force(received);
      Path target = packageFile(app.getId(), version, format);
      Files.createDirectories(target.getParent());
      move(received, target);
      force(target.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store the package " + applicationId + " " + version, e);
    }
    ApplicationP.Builder updated = app.toBuilder().addPackages(ApplicationPackageP.newBuilder().setVersion(version)
        .setFormat(format).setSize(size).setCreatedMs(System.currentTimeMillis()).setSha256(sha256));
    if (displayName != null) {
      updated.setDisplayName(displayName);
    }
    if (makeDefault) {
      updated.setDefaultVersion(version);
    }
    write(index < 0 ? catalog.toBuilder().addApplications(updated).build()
        : catalog.toBuilder().setApplications(index, updated).build());
    return application(updated.build());
  }

  /**
   * Removes a version; the application goes with its last version, and a default version that is
   * removed is unset.
   *
   * @throws BatchException {@code ApplicationPackageNotFound}
   */
  public synchronized void delete(String applicationId, String version) {
    ApplicationCatalogP catalog = read();
    int index = indexOf(catalog, applicationId);
    if (index < 0) {
      throw notFound(applicationId, version, "The application does not exist");
    }
    ApplicationP app = catalog.getApplications(index);
    ApplicationP.Builder updated = app.toBuilder().clearPackages();
    ApplicationPackageP removed = null;
    for (ApplicationPackageP p : app.getPackagesList()) {
      if (p.getVersion().equals(version)) {
        removed = p;
      } else {
        updated.addPackages(p);
      }
    }
    if (removed == null) {
      throw notFound(applicationId, version, "The application has no such version");
    }
    if (version.equals(app.getDefaultVersion())) {
      updated.clearDefaultVersion();
    }
    ApplicationCatalogP next = updated.getPackagesCount() == 0
        ? catalog.toBuilder().removeApplications(index).build()
        : catalog.toBuilder().setApplications(index, updated).build();
    write(next);
    // The catalog no longer names it: removing the file may fail without harm.
    try {
      Files.deleteIfExists(packageFile(app.getId(), version, removed.getFormat()));
    } catch (IOException ignored) {
      // a leftover file is replaced by the next upload of that version
    }
  }

  /**
   * Sets the default version (null or empty: none) and, when not null, the display name.
   *
   * @throws BatchException {@code ApplicationNotFound}, or {@code ApplicationPackageNotFound} for a
   *     version the application does not have
   */
  public synchronized Application update(String applicationId, String defaultVersion, String displayName) {
    ApplicationCatalogP catalog = read();
    int index = indexOf(catalog, applicationId);
    if (index < 0) {
      throw BatchException.of(ErrorCode.APPLICATION_NOT_FOUND, "The specified application does not exist.",
          "ApplicationId", applicationId);
    }
    ApplicationP app = catalog.getApplications(index);
    ApplicationP.Builder updated = app.toBuilder();
    if (defaultVersion != null) {
      if (!defaultVersion.isEmpty() && app.getPackagesList().stream().noneMatch(p -> p.getVersion().equals(defaultVersion))) {
        throw notFound(applicationId, defaultVersion, "The application has no such version");
      }
      updated.setDefaultVersion(defaultVersion);
    }
    if (displayName != null) {
      updated.setDisplayName(displayName);
    }
    write(catalog.toBuilder().setApplications(index, updated).build());
    return application(updated.build());
  }

  // ---------------------------------------------------------------------------------- parts

  private static void checkIds(String applicationId, String version) {
    if (!APPLICATION_ID.matcher(applicationId).matches()) {
      throw BatchException.of(ErrorCode.INVALID_PROPERTY_VALUE, "The value provided for one of the properties in the "
          + "request body is invalid.", "PropertyName", "applicationId", "PropertyValue", applicationId,
          "Reason", "1 to 64 letters, digits, '_' and '-'");
    }
    if (!VERSION.matcher(version).matches()) {
      throw BatchException.of(ErrorCode.INVALID_PROPERTY_VALUE, "The value provided for one of the properties in the "
          + "request body is invalid.", "PropertyName", "version", "PropertyValue", version,
          "Reason", "1 to 64 letters, digits, '_', '-' and '.', not starting with '.'");
    }
  }

  /** zip (local file header, or an empty archive's end record) or gzip, from the magic bytes. */
  static String format(Path file) {
    byte[] head = new byte[4];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, 4);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (n == 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5) && (head[3] == 4 || head[3] == 6)) {
      return "zip";
    }
    if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return "tar.gz";
    }
    throw BatchException.of(ErrorCode.INVALID_PROPERTY_VALUE, "The package is neither a zip nor a tar.gz file.",
        "PropertyName", "package", "Reason", "A package is a .zip or a .tar.gz file (read from its first bytes)");
  }

  private Path packageFile(String applicationId, String version, String format) {
    return dir.resolve("packages").resolve(applicationId.toLowerCase(Locale.ROOT)).resolve(version + "." + format);
  }

  private static int indexOf(ApplicationCatalogP catalog, String applicationId) {
    for (int i = 0; i < catalog.getApplicationsCount(); i++) {
      if (catalog.getApplications(i).getId().equalsIgnoreCase(applicationId)) {
        return i;
      }
    }
    return -1;
  }

  private static Application application(ApplicationP a) {
    List<PackageVersion> versions = new ArrayList<>(a.getPackagesCount());
    for (ApplicationPackageP p : a.getPackagesList()) {
      versions.add(new PackageVersion(p.getVersion(), p.getFormat(), p.getSize(), p.getCreatedMs(), p.getSha256()));
    }
    return new Application(a.getId(), a.getDisplayName(), a.getDefaultVersion().isEmpty() ? null : a.getDefaultVersion(),
        versions);
  }

  private ApplicationCatalogP read() {
    if (catalogFile == null) {
      return ApplicationCatalogP.getDefaultInstance();
    }
    try {
      return ApplicationCatalogP.parseFrom(Files.readAllBytes(catalogFile));
    } catch (NoSuchFileException e) {
      return ApplicationCatalogP.getDefaultInstance();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + catalogFile, e);
    }
  }

  /** Write-to-new, force, rename over, force the directory: the old catalog or the new one, never half. */
  private void write(ApplicationCatalogP catalog) {
    Path tmp = dir.resolve("catalog.pb." + UUID.randomUUID() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(catalog.toByteArray()));
        ch.force(true);
      }
      move(tmp, catalogFile);
      force(dir);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the original failure is what matters
      }
      throw new UncheckedIOException("cannot write " + catalogFile, e);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** fsync of a file or a directory (Linux allows opening a directory for reading to force it). */
  private static void force(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      if (!Files.isDirectory(path)) {
        throw e;
      }
      // some file systems refuse to sync a directory; the rename is then as durable as they make it
    }
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
