package io.batchgrid.worker.staging;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.batchgrid.config.AutoStorage;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.OutputFile;
import io.batchgrid.protocol.spec.ResourceFile;

/**
 * A task's files in and out, as an Azure Batch node stages them: resource files downloaded into
 * the working directory before the process starts, output files uploaded to Blob containers after
 * it exits. Failures are returned as the {@link FailureInfo} Azure reports (category usererror):
 * for downloads the codes of a pre-processing error ({@code BlobNotFound}, {@code BlobAccessDenied},
 * {@code BlobDownloadTimedOut}, {@code BlobDownloadMiscError}, {@code ResourceContainerAccessDenied},
 * {@code ResourceContainerListMiscError}), for uploads {@code FileUploadMiscError} (or
 * {@code FileUploadConflict} on 409). Details name the URL (SAS signature redacted), the file and
 * the HTTP status.
 *
 * <p>Blocking: both methods run on the worker's blocking executor.
 */
public final class FileStaging {
  /** Azure's mode for resource files on Linux when the task gives none. */
  static final String DEFAULT_FILE_MODE = "0770";

  private final AutoStorage autoStorage;
  private final BlobTransfer transfer;

  public FileStaging(AutoStorage autoStorage, BlobTransfer transfer) {
    this.autoStorage = autoStorage;
    this.transfer = transfer;
  }

  /** Without linked storage, with the JVM's shared HTTP client. */
  public static FileStaging defaults() {
    return new FileStaging(AutoStorage.NONE, BlobTransfer.shared());
  }

  // ---- resource files -----------------------------------------------------------------------

  /**
   * Downloads every resource file into {@code workingDir}, in order. Returns null when all are in
   * place, otherwise why the first one failed (the task must then not run).
   */
  public FailureInfo download(List<ResourceFile> files, Path workingDir) {
    for (ResourceFile rf : files) {
      FailureInfo failure = download(rf, workingDir);
      if (failure != null) {
        return failure;
      }
    }
    return null;
  }

  private FailureInfo download(ResourceFile rf, Path workingDir) {
    int sources = (rf.getHttpUrl().isEmpty() ? 0 : 1) + (rf.getStorageContainerUrl().isEmpty() ? 0 : 1)
        + (rf.getAutoStorageContainerName().isEmpty() ? 0 : 1);
    if (sources != 1) {
      return invalid(rf, "A resource file needs exactly one of httpUrl, storageContainerUrl and autoStorageContainerName");
    }
    Set<PosixFilePermission> mode;
    try {
      mode = parseMode(rf.getFileMode().isEmpty() ? DEFAULT_FILE_MODE : rf.getFileMode());
    } catch (IllegalArgumentException e) {
      return invalid(rf, "fileMode '" + rf.getFileMode() + "' is not an octal mode such as 0755");
    }
    if (!rf.getHttpUrl().isEmpty()) {
      if (rf.getFilePath().isBlank()) {
        return invalid(rf, "A resource file with an httpUrl needs a filePath");
      }
      Path target;
      URI uri;
      try {
        target = inside(workingDir, rf.getFilePath());
        uri = httpUri(rf.getHttpUrl());
      } catch (IllegalArgumentException e) {
        return invalid(rf, e.getMessage());
      }
      try {
        transfer.download(uri, target);
        applyMode(target, mode);
      } catch (TransferException e) {
        return downloadFailure(rf, e);
      } catch (IOException e) {
        return invalid(rf, "cannot set the file mode of " + rf.getFilePath() + ": " + e.getMessage());
      }
      return null;
    }

    String containerUrl;
    if (!rf.getStorageContainerUrl().isEmpty()) {
      containerUrl = rf.getStorageContainerUrl();
    } else if (autoStorage.configured()) {
      containerUrl = autoStorage.containerUrl(rf.getAutoStorageContainerName());
    } else {
      return new FailureInfo("usererror", "AutoStorageNotConfigured",
          "The resource file names the auto-storage container '" + rf.getAutoStorageContainerName()
              + "' but the account has no linked storage (set batchgrid.auto-storage.url and .sas)",
          details(rf, null, null, null));
    }
    ContainerUrl container;
    Path directory;
    try {
      container = ContainerUrl.parse(containerUrl);
      directory = rf.getFilePath().isBlank() || rf.getFilePath().trim().equals(".")
          ? workingDir : inside(workingDir, rf.getFilePath());
    } catch (IllegalArgumentException e) {
      return invalid(rf, e.getMessage());
    }
    List<String> names;
    try {
      names = transfer.listBlobs(container, rf.getBlobPrefix());
    } catch (TransferException e) {
      String code = e.status() == 403 || e.status() == 401 ? "ResourceContainerAccessDenied"
          : e.timedOut() ? "ResourceContainerListTimedOut" : "ResourceContainerListMiscError";
      return new FailureInfo("usererror", code,
          "The node could not list the blobs of the resource file's container: " + e.getMessage(),
          details(rf, e.url(), e, null));
    }
    for (String name : names) {
      Path target;
      try {
        target = inside(directory, name);
      } catch (IllegalArgumentException e) {
        return invalid(rf, "blob '" + name + "': " + e.getMessage());
      }
      try {
        transfer.download(container.blob(name), target);
        applyMode(target, mode);
      } catch (TransferException e) {
        return downloadFailure(rf, e);
      } catch (IOException e) {
        return invalid(rf, "cannot set the file mode of " + target + ": " + e.getMessage());
      }
    }
    return null;
  }

  private static FailureInfo downloadFailure(ResourceFile rf, TransferException e) {
    String code;
    if (e.status() == 404) {
      code = "BlobNotFound";
    } else if (e.status() == 403 || e.status() == 401) {
      code = "BlobAccessDenied";
    } else if (e.timedOut()) {
      code = "BlobDownloadTimedOut";
    } else {
      code = "BlobDownloadMiscError";
    }
    return new FailureInfo("usererror", code,
        "The node could not download a resource file: " + e.getMessage(), details(rf, e.url(), e, null));
  }

  private static FailureInfo invalid(ResourceFile rf, String message) {
    return new FailureInfo("usererror", "BlobDownloadMiscError", message, details(rf, null, null, message));
  }

  private static List<NameValue> details(ResourceFile rf, String url, TransferException e, String message) {
    List<NameValue> d = new ArrayList<>();
    String source = url != null ? url
        : !rf.getHttpUrl().isEmpty() ? rf.getHttpUrl()
        : !rf.getStorageContainerUrl().isEmpty() ? rf.getStorageContainerUrl()
        : rf.getAutoStorageContainerName();
    add(d, "Url", ContainerUrl.redact(source));
    add(d, "FilePath", rf.getFilePath());
    if (e != null) {
      if (e.status() > 0) {
        add(d, "HttpStatusCode", Integer.toString(e.status()));
      }
      add(d, "StorageErrorCode", e.storageErrorCode());
      add(d, "Message", e.getMessage());
    } else {
      add(d, "Message", message);
    }
    return d;
  }

  private static URI httpUri(String url) {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("httpUrl is not a valid URL: " + ContainerUrl.redact(url));
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("httpUrl must be an http or https URL: " + ContainerUrl.redact(url));
    }
    return uri;
  }

  /**
   * {@code relative} under {@code dir}; refuses absolute paths and any that leave it with "..".
   */
  static Path inside(Path dir, String relative) {
    String text = relative.replace('\\', '/');
    if (text.startsWith("/")) {
      throw new IllegalArgumentException("filePath '" + relative + "' must be relative to the task's working directory");
    }
    Path resolved;
    try {
      resolved = dir.resolve(text).normalize();
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("'" + relative + "' is not a valid path");
    }
    if (!resolved.startsWith(dir.normalize()) || resolved.equals(dir.normalize())) {
      throw new IllegalArgumentException("'" + relative + "' must not break out of the task's working directory");
    }
    return resolved;
  }

  static Set<PosixFilePermission> parseMode(String octal) {
    String text = octal.trim();
    if (!text.matches("0?[0-7]{3}")) {
      throw new IllegalArgumentException(octal);
    }
    int bits = Integer.parseInt(text, 8);
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int i = 0; i < order.length; i++) {
      if ((bits & (1 << i)) != 0) {
        set.add(order[i]);
      }
    }
    return set;
  }

  private static void applyMode(Path file, Set<PosixFilePermission> mode) throws IOException {
    try {
      Files.setPosixFilePermissions(file, mode);
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system (Windows): Azure ignores fileMode there too.
    }
  }

  // ---- output files -------------------------------------------------------------------------

  /**
   * Uploads the output files whose upload condition the exit matches. Returns null when every
   * upload succeeded, otherwise the first failure (the others are still tried).
   *
   * @param taskFailed whether the attempt failed (non-zero exit, or ended by the node)
   * @param nodeRoot no file outside it is uploaded, whatever the pattern says
   */
  public FailureInfo upload(List<OutputFile> files, Path workingDir, Path nodeRoot, boolean taskFailed) {
    FailureInfo first = null;
    for (OutputFile of : files) {
      if (!conditionMet(of.getUploadCondition(), taskFailed)) {
        continue;
      }
      FailureInfo failure = upload(of, workingDir, nodeRoot);
      if (first == null) {
        first = failure;
      }
    }
    return first;
  }

  /**
   * ComputeNode_UploadBatchServiceLogs: uploads {@code files} as block blobs named {@code
   * directory} + the file's name. The first failure ends it, as 400 InvalidPropertyValue on
   * containerUrl (its SAS hidden) with what Storage answered: the cure is a container URL whose SAS
   * grants write.
   *
   * @throws io.batchgrid.protocol.BatchException when the URL is not http(s) or an upload fails
   */
  public void uploadLogs(String containerUrl, String directory, List<Path> files) {
    ContainerUrl container;
    try {
      container = ContainerUrl.parse(containerUrl);
    } catch (IllegalArgumentException e) {
      throw invalidContainer(containerUrl, e.getMessage());
    }
    for (Path file : files) {
      String blobName = directory + file.getFileName();
      try {
        transfer.upload(container, blobName, file, List.of());
      } catch (TransferException e) {
        // The message says the HTTP status and Storage's error code; it never holds the URL.
        throw invalidContainer(containerUrl, "The node could not upload " + file.getFileName() + " to blob '"
            + blobName + "': " + e.getMessage());
      }
    }
  }

  private static io.batchgrid.protocol.BatchException invalidContainer(String url, String reason) {
    return io.batchgrid.protocol.BatchException.of(io.batchgrid.protocol.ErrorCode.INVALID_PROPERTY_VALUE,
        "The value provided for one of the properties in the request body is invalid.",
        "PropertyName", "containerUrl", "PropertyValue", ContainerUrl.redact(url), "Reason", reason);
  }

  static boolean conditionMet(String condition, boolean taskFailed) {
    return switch (condition.toLowerCase(Locale.ROOT)) {
      case "tasksuccess" -> !taskFailed;
      case "taskfailure" -> taskFailed;
      default -> true; // taskcompletion, the default
    };
  }

  private FailureInfo upload(OutputFile of, Path workingDir, Path nodeRoot) {
    ContainerUrl container;
    List<FilePatterns.Match> matches;
    try {
      container = ContainerUrl.parse(of.getContainerUrl());
      matches = FilePatterns.expand(workingDir, nodeRoot, of.getFilePattern());
    } catch (IllegalArgumentException | IOException e) {
      return uploadFailure(of, "FileUploadMiscError", e.getMessage(), null, null);
    }
    boolean pattern = FilePatterns.hasWildcards(of.getFilePattern());
    String path = of.getPath().trim().replace('\\', '/');
    FailureInfo first = null;
    for (FilePatterns.Match match : matches) {
      String blobName = blobName(path, pattern, match);
      try {
        transfer.upload(container, blobName, match.file(), of.getUploadHeadersList());
      } catch (TransferException e) {
        if (first == null) {
          first = uploadFailure(of, e.status() == 409 ? "FileUploadConflict" : "FileUploadMiscError",
              "The node could not upload " + match.file().getFileName() + " to blob '" + blobName + "': "
                  + e.getMessage(), e, match.file());
        }
      }
    }
    return first;
  }

  /**
   * Azure's naming: for a single file, {@code path} is the blob's name (the file's own name when
   * empty); for a pattern, {@code path} is a virtual directory prefixed to each match's path
   * relative to the pattern's base directory.
   */
  static String blobName(String path, boolean pattern, FilePatterns.Match match) {
    if (!pattern) {
      return path.isEmpty() ? match.name() : path;
    }
    String prefix = path;
    while (prefix.endsWith("/")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    return prefix.isEmpty() ? match.name() : prefix + "/" + match.name();
  }

  private static FailureInfo uploadFailure(OutputFile of, String code, String message, TransferException e, Path file) {
    List<NameValue> d = new ArrayList<>();
    add(d, "Url", e != null ? e.url() : ContainerUrl.redact(of.getContainerUrl()));
    add(d, "FilePattern", of.getFilePattern());
    if (file != null) {
      add(d, "FilePath", file.toString());
    }
    if (e != null && e.status() > 0) {
      add(d, "HttpStatusCode", Integer.toString(e.status()));
    }
    if (e != null) {
      add(d, "StorageErrorCode", e.storageErrorCode());
    }
    add(d, "Message", message);
    return new FailureInfo("usererror", code, message, d);
  }

  private static void add(List<NameValue> details, String name, String value) {
    if (value != null && !value.isEmpty()) {
      details.add(NameValue.newBuilder().setName(name).setValue(value).build());
    }
  }
}
