package io.batchgrid.worker;

import java.io.File;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.util.ByteString;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.NodeFile;

/**
 * The files of a node as the API sees them: paths relative to the node root, never outside it.
 * Every method here does blocking file-system calls: run them on the blocking dispatcher.
 */
final class NodeFiles {
  private static final int CHUNK_SIZE = 64 * 1024;
  private static final LinkOption[] NO_FOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private NodeFiles() {}

  /**
   * Lists {@code path} (relative to {@code root}): a directory's entries (with {@code recursive},
   * everything beneath it, directories included) named relative to it, sorted by name; a regular
   * file's single entry, named by its file name.
   *
   * @throws BatchException FileNotFound for a missing path, InvalidPropertyValue for a path that
   *     is absolute or climbs out with '..'
   */
  static List<NodeFile> list(Path root, String path, boolean recursive) {
    Path target = resolve(root, path);
    try {
      BasicFileAttributes attrs = attributes(target, new LinkOption[0]);
      if (!attrs.isDirectory()) {
        Path name = target.getFileName();
        return List.of(toNodeFile(name == null ? "" : name.toString(), attrs));
      }
      List<NodeFile> out = new ArrayList<>();
      listInto(target, target, recursive, out);
      out.sort(Comparator.comparing(NodeFile::name));
      return out;
    } catch (NoSuchFileException e) {
      throw notFound(path);
    } catch (IOException e) {
      throw new BatchException(ErrorCode.INTERNAL_ERROR, "The node could not list " + path + ": " + e);
    }
  }

  /**
   * The regular file at {@code path} (relative to {@code root}) and its entry, for reading.
   *
   * @throws BatchException FileNotFound when the path is missing or a directory,
   *     InvalidPropertyValue when it is absolute or climbs out with '..'
   */
  static Pair<Path, NodeFile> regularFile(Path root, String path) {
    Path target = resolve(root, path);
    try {
      BasicFileAttributes attrs = attributes(target, new LinkOption[0]);
      if (attrs.isDirectory()) {
        throw new BatchException(ErrorCode.FILE_NOT_FOUND, "The specified path is a directory: " + path);
      }
      return Pair.create(target, toNodeFile(target.getFileName().toString(), attrs));
    } catch (NoSuchFileException e) {
      throw notFound(path);
    } catch (IOException e) {
      throw new BatchException(ErrorCode.INTERNAL_ERROR, "The node could not read " + path + ": " + e);
    }
  }

  /**
   * The agent's own files ({@code agent.*} directly in the node's root: the worker's log, pid and
   * cluster address) that hold something written in [{@code startMs}, {@code endMs}] ({@code endMs}
   * null: no end), by name. A file counts when its life, creation to last write, overlaps the range:
   * Azure's rule is to upload more rather than fewer, and a log appended since before the range
   * began holds lines of it. A root that does not exist yet has none. (Where the filesystem keeps
   * no creation time, Java reports the last write instead: a file written after {@code endMs} then
   * counts as outside the range.)
   */
  static List<Path> agentFiles(Path root, long startMs, Long endMs) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, "agent.*")) {
      for (Path file : entries) {
        BasicFileAttributes a = attributes(file, NO_FOLLOW);
        if (a.isRegularFile() && a.lastModifiedTime().toMillis() >= startMs
            && (endMs == null || a.creationTime().toMillis() <= endMs)) {
          out.add(file);
        }
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new BatchException(ErrorCode.INTERNAL_ERROR, "The node could not list its directory: " + e);
    }
    out.sort(Comparator.comparing(Path::toString));
    return out;
  }

  /**
   * Deletes the file or directory at {@code path} (relative to {@code root}); a directory that is
   * not empty only with {@code recursive}. Symbolic links are deleted, never followed.
   *
   * @throws BatchException FileNotFound for a missing path, DirectoryNotEmpty, InvalidPropertyValue
   *     for the root itself or a path that is absolute or climbs out with '..'
   */
  /**
   * Reimage: deletes everything under the node's root but the agent's own files ({@code agent.*}:
   * the worker's log, pid and cluster address), as a reimaged Azure node starts with empty
   * directories. Links are removed, never followed. A root that does not exist yet is left alone.
   */
  static void wipe(Path root) {
    List<String> names = new ArrayList<>();
    try (java.util.stream.Stream<Path> entries = Files.list(root)) {
      entries.forEach(e -> names.add(e.getFileName().toString()));
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      throw new BatchException(ErrorCode.INTERNAL_ERROR, "The node could not list its directory: " + e);
    }
    for (String name : names) {
      if (!name.startsWith("agent.")) {
        try {
          delete(root, name, true);
        } catch (BatchException e) {
          if (e.code() != ErrorCode.FILE_NOT_FOUND) {
            throw e;
          }
        }
      }
    }
  }

  static void delete(Path root, String path, boolean recursive) {
    Path target = resolve(root, path);
    try {
      if (Files.isSameFile(target, root)) {
        throw BatchException.of(ErrorCode.INVALID_PROPERTY_VALUE, "The node's root directory cannot be deleted", "path", path);
      }
      BasicFileAttributes attrs = attributes(target, NO_FOLLOW);
      if (!attrs.isDirectory()) {
        Files.delete(target);
        return;
      }
      if (!recursive) {
        try (java.util.stream.Stream<Path> entries = Files.list(target)) {
          if (entries.findAny().isPresent()) {
            throw BatchException.of(ErrorCode.DIRECTORY_NOT_EMPTY,
                "The directory is not empty: set recursive to delete it with its contents.", "FilePath", path);
          }
        }
        Files.delete(target);
        return;
      }
      // walkFileTree does not follow links: a link inside is removed, what it points to stays.
      Files.walkFileTree(target, new java.nio.file.SimpleFileVisitor<>() {
        @Override
        public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
          Files.delete(file);
          return java.nio.file.FileVisitResult.CONTINUE;
        }

        @Override
        public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.delete(dir);
          return java.nio.file.FileVisitResult.CONTINUE;
        }
      });
    } catch (NoSuchFileException e) {
      throw notFound(path);
    } catch (IOException e) {
      throw new BatchException(ErrorCode.INTERNAL_ERROR, "The node could not delete " + path + ": " + e);
    }
  }

  /** The bytes of {@code file} from {@code offset}, at most {@code length} of them ({@code length < 0}: all). */
  static Source<ByteString, ?> read(Path file, long offset, long length) {
    Source<ByteString, ?> bytes = FileIO.fromPath(file, CHUNK_SIZE, Math.max(0, offset));
    return length < 0 ? bytes : bytes.via(limit(length));
  }

  /** Passes on the first {@code max} bytes, then completes (and so closes the file). */
  private static Flow<ByteString, ByteString, ?> limit(long max) {
    return Flow.of(ByteString.class)
        .<Long, ByteString>statefulMap(
            () -> max,
            (remaining, chunk) -> {
              int take = (int) Math.min(remaining, chunk.size());
              return Pair.create(remaining - take, take == chunk.size() ? chunk : chunk.take(take));
            },
            remaining -> java.util.Optional.empty())
        // FileIO never emits an empty chunk: an empty one means the limit was reached.
        .takeWhile(chunk -> !chunk.isEmpty());
  }

  /** {@code path} under {@code root}; throws when it leaves the root or does not exist. */
  static Path resolve(Path root, String path) {
    String p = path == null ? "" : path;
    Path relative;
    try {
      relative = root.getFileSystem().getPath(p);
    } catch (InvalidPathException e) {
      throw BatchException.of(ErrorCode.INVALID_PROPERTY_VALUE, "The file path is not valid", "path", p);
    }
    if (relative.isAbsolute() || p.startsWith("/") || p.startsWith("\\")) {
      throw BatchException.of(ErrorCode.INVALID_PROPERTY_VALUE,
          "The file path must be relative to the node's root directory", "path", p);
    }
    for (Path part : relative) {
      if (part.toString().equals("..")) {
        throw BatchException.of(ErrorCode.INVALID_PROPERTY_VALUE, "The file path must not contain '..'", "path", p);
      }
    }
    Path target = root.resolve(relative).normalize();
    // A task can plant a symbolic link to anywhere: what the path really names must stay inside.
    try {
      if (!target.toRealPath().startsWith(root.toRealPath())) {
        throw notFound(p);
      }
    } catch (IOException e) {
      throw notFound(p);
    }
    return target;
  }

  private static void listInto(Path base, Path dir, boolean recursive, List<NodeFile> out) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        BasicFileAttributes attrs;
        try {
          attrs = attributes(entry, NO_FOLLOW);
        } catch (NoSuchFileException e) {
          continue; // deleted while we list: a running task changes its files
        }
        out.add(toNodeFile(relativeName(base, entry), attrs));
        // Links are not followed (attributes are the link's), so the walk stays in the tree.
        if (recursive && attrs.isDirectory()) {
          try {
            listInto(base, entry, true, out);
          } catch (NoSuchFileException | AccessDeniedException e) {
            // gone meanwhile, or not ours to read: list what can be listed
          }
        }
      }
    }
  }

  private static String relativeName(Path base, Path entry) {
    String name = base.relativize(entry).toString();
    return File.separatorChar == '/' ? name : name.replace(File.separatorChar, '/');
  }

  private static BasicFileAttributes attributes(Path p, LinkOption[] options) throws IOException {
    try {
      return Files.readAttributes(p, PosixFileAttributes.class, options);
    } catch (UnsupportedOperationException e) {
      return Files.readAttributes(p, BasicFileAttributes.class, options);
    }
  }

  private static NodeFile toNodeFile(String name, BasicFileAttributes attrs) {
    String mode = attrs instanceof PosixFileAttributes posix ? octalMode(posix.permissions()) : null;
    return new NodeFile(name, attrs.isDirectory(), attrs.isDirectory() ? 0 : attrs.size(),
        attrs.creationTime().toMillis(), attrs.lastModifiedTime().toMillis(), mode);
  }

  /** Permissions as Azure reports a Linux file mode: four octal digits, e.g. "0644". */
  static String octalMode(Set<PosixFilePermission> permissions) {
    int bits = 0;
    for (PosixFilePermission permission : permissions) {
      // The enum runs OWNER_READ .. OTHERS_EXECUTE, i.e. from bit 8 down to bit 0.
      bits |= 1 << (8 - permission.ordinal());
    }
    return String.format("%04o", bits);
  }

  private static BatchException notFound(String path) {
    return BatchException.of(ErrorCode.FILE_NOT_FOUND, "The specified file does not exist", "path", path);
  }
}
