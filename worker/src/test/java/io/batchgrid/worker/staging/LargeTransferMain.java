package io.batchgrid.worker.staging;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.batchgrid.config.AutoStorage;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.spec.OutputFile;
import io.batchgrid.protocol.spec.ResourceFile;

/**
 * Run by {@link LargeTransferTest} in its own JVM with a small heap: uploads a large file as an
 * output file, downloads it back as a resource file, and prints the peak heap it used.
 * Arguments: container URL (with SAS), working directory holding {@code big.bin}, download directory.
 */
public final class LargeTransferMain {
  private LargeTransferMain() {}

  public static void main(String[] args) throws Exception {
    String container = args[0];
    Path workingDir = Path.of(args[1]);
    Path downloadDir = Path.of(args[2]);
    FileStaging staging = new FileStaging(AutoStorage.NONE, BlobTransfer.create(Duration.ofMillis(100), 0));

    FailureInfo up = staging.upload(List.of(OutputFile.newBuilder().setFilePattern("big.bin")
        .setContainerUrl(container).setPath("large/big.bin").build()), workingDir, workingDir, false);
    if (up != null) {
      throw new IllegalStateException("upload failed: " + up);
    }
    FailureInfo down = staging.download(List.of(ResourceFile.newBuilder().setStorageContainerUrl(container)
        .setBlobPrefix("large/").build()), downloadDir);
    if (down != null) {
      throw new IllegalStateException("download failed: " + down);
    }
    long peak = 0;
    for (var pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.println("size=" + Files.size(downloadDir.resolve("large/big.bin")) + " peakHeap=" + peak);
  }
}
