package io.batchgrid.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirLockTest {

  @TempDir Path tmp;

  @Test
  void oneHolderAtATime() throws Exception {
    Path data = tmp.resolve("new/data");
    Optional<FileLock> first = DataDirLock.tryAcquire(data);
    assertTrue(first.isPresent());
    assertTrue(Files.exists(data.resolve(DataDirLock.FILE_NAME)));
    assertTrue(DataDirLock.tryAcquire(data).isEmpty(), "a second holder is refused");
    first.get().channel().close();
    Optional<FileLock> again = DataDirLock.tryAcquire(data);
    assertTrue(again.isPresent(), "free again once released");
    again.get().channel().close();
  }
}
