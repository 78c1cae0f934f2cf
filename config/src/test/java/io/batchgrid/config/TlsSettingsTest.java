package io.batchgrid.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsSettingsTest {

  static TlsSettings load(String hocon) {
    return TlsSettings.load(ConfigFactory.parseString(hocon)
        .withFallback(ConfigFactory.parseResources("reference.conf")).resolve());
  }

  @Test
  void offByDefault() {
    TlsSettings t = load("");
    assertFalse(t.enabled());
    assertFalse(t.allowPlainHttp());
    assertTrue(load("batchgrid.api.allow-plain-http = true").allowPlainHttp());
  }

  @Test
  void aKeystoreWithItsPassword(@TempDir Path dir) throws Exception {
    Path ks = Files.write(dir.resolve("server.p12"), new byte[] {1});
    TlsSettings t = load("batchgrid.api.tls { keystore = \"" + ks + "\", keystore-password = secret }");
    assertTrue(t.enabled());
    assertEquals(ks, t.keystore());
    assertEquals("secret", t.password());
    assertFalse(t.toString().contains("secret"));
  }

  @Test
  void badValuesNameTheKey(@TempDir Path dir) throws Exception {
    SettingsException e = assertThrows(SettingsException.class,
        () -> load("batchgrid.api.tls.keystore = \"" + dir.resolve("missing.p12") + "\""));
    assertEquals(TlsSettings.KEYSTORE, e.key());
    Path ks = Files.write(dir.resolve("server.p12"), new byte[] {1});
    e = assertThrows(SettingsException.class, () -> load("batchgrid.api.tls.keystore = \"" + ks + "\""));
    assertEquals(TlsSettings.PASSWORD, e.key());
    e = assertThrows(SettingsException.class, () -> load("batchgrid.api.allow-plain-http = maybe"));
    assertEquals(TlsSettings.ALLOW_PLAIN_HTTP, e.key());
  }
}
