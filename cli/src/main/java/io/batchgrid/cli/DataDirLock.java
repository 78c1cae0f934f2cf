package io.batchgrid.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * One server per data directory. The LevelDB journal refuses a second opener only once the actor
 * system is up, and the node directories are not protected at all, so the server takes an
 * exclusive lock on {@code <data>/server.lock} before anything else. The operating system
 * releases it when the process ends, however it ends (kill -9 included).
 */
final class DataDirLock {

  static final String FILE_NAME = "server.lock";

  private DataDirLock() {}

  /**
   * Locks the data directory (creating it when needed) for the rest of the process's life.
   *
   * @return empty when another process holds the lock
   */
  static Optional<FileLock> tryAcquire(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    FileChannel channel = FileChannel.open(dataDir.resolve(FILE_NAME),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this JVM already
    }
    if (lock == null) {
      channel.close();
      return Optional.empty();
    }
    return Optional.of(lock);
  }
}
