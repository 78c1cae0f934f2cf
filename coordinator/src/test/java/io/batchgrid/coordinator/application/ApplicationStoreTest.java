package io.batchgrid.coordinator.application;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;

class ApplicationStoreTest {
  @TempDir
  Path dir;

  private Path zip(String content) throws IOException {
    ApplicationStore store = ApplicationStore.open(dir);
    Path f = store.incomingFile();
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
      z.putNextEntry(new ZipEntry("a.txt"));
      z.write(content.getBytes());
    }
    return f;
  }

  private Path tarGz() throws IOException {
    Path f = ApplicationStore.open(dir).incomingFile();
    try (GZIPOutputStream z = new GZIPOutputStream(Files.newOutputStream(f))) {
      z.write(new byte[1024]); // an empty tar is two zero blocks; only the gzip magic matters here
    }
    return f;
  }

  @Test
  void versionsAreAddedResolvedAndSurviveReopening() throws Exception {
    ApplicationStore store = ApplicationStore.open(dir);
    Path first = zip("one");
    byte[] bytes = Files.readAllBytes(first);
    store.add("Blender", "2.7", "Blender 3D", first, false);
    store.add("blender", "2.8", null, tarGz(), true);
    assertFalse(Files.exists(first), "the upload was moved into the store");

    ApplicationStore reopened = ApplicationStore.open(dir);
    ApplicationStore.Application app = reopened.get("BLENDER").orElseThrow();
    assertEquals("Blender", app.id(), "the first spelling is kept; ids match case-insensitively");
    assertEquals("Blender 3D", app.displayName());
    assertEquals("2.8", app.defaultVersion());
    assertEquals(List.of("2.7", "2.8"), app.versions().stream().map(ApplicationStore.PackageVersion::version).toList());

    ApplicationStore.Resolved byVersion = reopened.resolve("blender", "2.7");
    assertEquals("zip", byVersion.version().format());
    assertArrayEquals(bytes, Files.readAllBytes(byVersion.file()));
    assertEquals(64, byVersion.version().sha256().length());
    ApplicationStore.Resolved byDefault = reopened.resolve("blender", "");
    assertEquals("2.8", byDefault.version().version());
    assertEquals("tar.gz", byDefault.version().format());

    // Nothing half-written is left beside the catalog.
    try (var files = Files.list(dir)) {
      assertEquals(List.of("catalog.pb", "incoming", "packages"), files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void versionsAreImmutableAndBadInputChangesNothing() throws Exception {
    ApplicationStore store = ApplicationStore.open(dir);
    store.add("app", "1.0", null, zip("one"), false);
    BatchException exists = assertThrows(BatchException.class, () -> store.add("APP", "1.0", null, zip("two"), false));
    assertEquals(ErrorCode.APPLICATION_PACKAGE_EXISTS, exists.code());

    Path text = store.incomingFile();
    Files.writeString(text, "not an archive");
    BatchException format = assertThrows(BatchException.class, () -> store.add("app", "2.0", null, text, false));
    assertEquals(ErrorCode.INVALID_PROPERTY_VALUE, format.code());
    for (String[] bad : new String[][] {{"a/b", "1"}, {"app", ".hidden"}, {"app", "../x"}, {"", "1"}}) {
      BatchException e = assertThrows(BatchException.class, () -> store.add(bad[0], bad[1], null, zip("x"), false));
      assertEquals(ErrorCode.INVALID_PROPERTY_VALUE, e.code(), String.join(" ", bad));
    }
    assertEquals(List.of("1.0"), store.get("app").orElseThrow().versions().stream()
        .map(ApplicationStore.PackageVersion::version).toList());
  }

  @Test
  void defaultsAndDeletion() throws Exception {
    ApplicationStore store = ApplicationStore.open(dir);
    store.add("app", "1.0", null, zip("one"), false);
    BatchException noDefault = assertThrows(BatchException.class, () -> store.resolve("app", null));
    assertEquals(ErrorCode.APPLICATION_PACKAGE_NOT_FOUND, noDefault.code());
    assertThrows(BatchException.class, () -> store.update("app", "9.9", null));
    assertEquals("1.0", store.update("app", "1.0", null).defaultVersion());
    store.add("app", "2.0", null, zip("two"), false);

    Path file = store.resolve("app", "1.0").file();
    store.delete("app", "1.0");
    assertFalse(Files.exists(file));
    assertNull(store.get("app").orElseThrow().defaultVersion(), "the default went with its version");
    store.delete("app", "2.0");
    assertTrue(store.list().isEmpty(), "the application went with its last version");
    BatchException gone = assertThrows(BatchException.class, () -> store.delete("app", "2.0"));
    assertEquals(ErrorCode.APPLICATION_PACKAGE_NOT_FOUND, gone.code());
  }
}
