package io.batchgrid.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccountKeysTest {

  @TempDir Path tmp;

  private Settings settings(Path dataDir, String key) {
    return new Settings(dataDir, "127.0.0.1", 8280, "batchgrid", key, "in-process");
  }

  @Test
  void generatesA64ByteKeyWithMode600OnFirstStartAndKeepsIt() throws Exception {
    Path data = tmp.resolve("fresh/data");
    AccountKeys.Resolved first = AccountKeys.resolve(settings(data, ""));
    assertTrue(first.generated());
    Path file = data.resolve("account.key");
    assertEquals(Optional.of(file), first.keyFile());
    assertEquals(64, Base64.getDecoder().decode(first.settings().accountKey()).length);
    assertEquals("rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(first.settings().accountKey(), Files.readString(file).trim());
    // No temporary file is left behind.
    try (var listing = Files.list(data)) {
      assertEquals(1, listing.count());
    }

    AccountKeys.Resolved second = AccountKeys.resolve(settings(data, ""));
    assertFalse(second.generated());
    assertEquals(first.settings().accountKey(), second.settings().accountKey());
    assertEquals(Optional.of(file), second.keyFile());
  }

  @Test
  void aConfiguredKeyWinsAndNoFileIsWritten() {
    String key = AccountKeys.generateKey();
    AccountKeys.Resolved r = AccountKeys.resolve(settings(tmp, key));
    assertEquals(key, r.settings().accountKey());
    assertFalse(r.generated());
    assertTrue(r.keyFile().isEmpty());
    assertFalse(Files.exists(tmp.resolve("account.key")));
  }

  @Test
  void anExistingKeyFileIsRead() throws Exception {
    String key = AccountKeys.generateKey();
    Files.writeString(tmp.resolve("account.key"), key + "\n");
    AccountKeys.Resolved r = AccountKeys.resolve(settings(tmp, ""));
    assertEquals(key, r.settings().accountKey());
    assertFalse(r.generated());
  }

  @Test
  void aCorruptKeyFileIsReportedByPath() throws Exception {
    Path file = tmp.resolve("account.key");
    Files.writeString(file, "%%% not a key %%%");
    SettingsException e =
        assertThrows(SettingsException.class, () -> AccountKeys.resolve(settings(tmp, "")));
    assertEquals(file.toString(), e.key());
  }

  @Test
  void generatedKeysDiffer() {
    assertFalse(AccountKeys.generateKey().equals(AccountKeys.generateKey()));
  }
}
