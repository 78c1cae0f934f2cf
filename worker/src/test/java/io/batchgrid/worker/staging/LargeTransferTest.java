package io.batchgrid.worker.staging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200 MiB file goes up as an output file (Put Block, 50 blocks) and comes back as a resource
 * file, in a JVM whose heap is capped at 64 MiB: holding the file in memory would fail there.
 */
class LargeTransferTest {
  private static final long SIZE = 200L * 1024 * 1024 + 12_345; // not a multiple of the block size
  private static final String HEAP = "-Xmx64m";

  @TempDir Path dir;

  @Test
  void twoHundredMegabytesBothWaysInA64MegabyteHeap() throws Exception {
    Path wd = Files.createDirectories(dir.resolve("wd"));
    Path big = wd.resolve("big.bin");
    writePattern(big, SIZE);

    try (Azurite azurite = Azurite.start()) {
      String container = azurite.createContainer("large");
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
          "-cp", System.getProperty("java.class.path"), LargeTransferMain.class.getName(),
          container, wd.toString(), dir.resolve("down").toString()));
      Path log = dir.resolve("child.log");
      Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      assertTrue(child.waitFor(10, TimeUnit.MINUTES), "the transfer finished");
      String output = Files.readString(log);
      assertEquals(0, child.exitValue(), output);

      Matcher m = Pattern.compile("size=(\\d+) peakHeap=(\\d+)").matcher(output);
      assertTrue(m.find(), output);
      assertEquals(SIZE, Long.parseLong(m.group(1)));
      long peakHeap = Long.parseLong(m.group(2));
      assertTrue(peakHeap < SIZE / 4, "peak heap " + peakHeap + " stays far below the file's " + SIZE + " bytes");
    }
    assertArrayEquals(sha256(big), sha256(dir.resolve("down/large/big.bin")), "the same bytes came back");
  }

  /** A repeating 1 MiB pattern (not zeros, not sparse), written fast. */
  private static void writePattern(Path file, long size) throws Exception {
    byte[] chunk = new byte[1024 * 1024];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) (i * 31 + (i >>> 10));
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long written = 0;
      while (written < size) {
        ByteBuffer buf = ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, size - written));
        while (buf.hasRemaining()) {
          written += ch.write(buf);
        }
      }
    }
  }

  private static byte[] sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
    return digest.digest();
  }
}
