package io.batchgrid.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

  private static final Config REFERENCE = ConfigFactory.parseResources("reference.conf");

  /**
   * reference.conf resolved against a stand-in environment instead of the real one: the
   * {@code ${?VAR}} substitutions find the variables at the root of the config.
   */
  private static Config withEnvironment(Map<String, String> env) {
    return REFERENCE
        .withFallback(ConfigFactory.parseMap(env))
        .resolve(ConfigResolveOptions.noSystem());
  }

  /** A config file's {@code batchgrid} section over the defaults, with an empty environment. */
  private static Config override(String hocon) {
    return ConfigFactory.parseString(hocon)
        .withFallback(REFERENCE)
        .resolve(ConfigResolveOptions.noSystem());
  }

  @Test
  void defaults() {
    Settings s = Settings.load(withEnvironment(Map.of()));
    assertEquals(Path.of("data").toAbsolutePath().normalize(), s.dataDir());
    assertTrue(s.dataDir().isAbsolute());
    assertEquals("127.0.0.1", s.bind());
    assertEquals(8280, s.port());
    assertEquals("batchgrid", s.accountName());
    assertEquals("", s.accountKey());
    assertEquals("in-process", s.nodeProvider());
  }

  @Test
  void environmentOverridesEveryDefault() {
    String key = Base64.getEncoder().encodeToString("secret".getBytes());
    Settings s = Settings.load(withEnvironment(Map.of(
        "BATCHGRID_DATA", "/var/lib/bg",
        "BATCHGRID_BIND", "0.0.0.0",
        "BATCHGRID_PORT", "9001",
        "BATCHGRID_ACCOUNT_NAME", "acct42",
        "BATCHGRID_ACCOUNT_KEY", key,
        "BATCHGRID_NODE_PROVIDER", "in-process")));
    assertEquals(Path.of("/var/lib/bg"), s.dataDir());
    assertEquals("0.0.0.0", s.bind());
    assertEquals(9001, s.port());
    assertEquals("acct42", s.accountName());
    assertEquals(key, s.accountKey());
  }

  @Test
  void configFileOverridesDefaults() {
    Settings s = Settings.load(override(
        "batchgrid { data-dir = \"/tmp/x/../y\", api.port = 0, account.name = abc }"));
    assertEquals(Path.of("/tmp/y"), s.dataDir());
    assertEquals(0, s.port());
    assertEquals("abc", s.accountName());
  }

  @Test
  void realEnvironmentIsAppliedByLoad() {
    // ConfigFactory.load() resolves reference.conf against the process environment.
    Config loaded = ConfigFactory.load();
    Settings s = Settings.load(loaded);
    String port = System.getenv("BATCHGRID_PORT");
    assertEquals(port == null ? 8280 : Integer.parseInt(port), s.port());
  }

  private static SettingsException bad(String hocon) {
    return assertThrows(SettingsException.class, () -> Settings.load(override(hocon)));
  }

  @Test
  void portOutOfRangeNamesTheKey() {
    SettingsException e = bad("batchgrid.api.port = 70000");
    assertEquals("batchgrid.api.port", e.key());
    assertTrue(e.getMessage().startsWith("batchgrid.api.port: "), e.getMessage());
    assertEquals("batchgrid.api.port", bad("batchgrid.api.port = -1").key());
  }

  @Test
  void portNotANumberNamesTheKey() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> Settings.load(withEnvironment(Map.of("BATCHGRID_PORT", "http"))));
    assertEquals("batchgrid.api.port", e.key());
    assertTrue(e.getMessage().contains("'http'"), e.getMessage());
  }

  @Test
  void accountNameMustBeLowercaseAlphanumeric() {
    assertEquals("batchgrid.account.name", bad("batchgrid.account.name = Upper").key());
    assertEquals("batchgrid.account.name", bad("batchgrid.account.name = ab").key());
    assertEquals("batchgrid.account.name", bad("batchgrid.account.name = \"a-b-c\"").key());
    assertEquals("batchgrid.account.name",
        bad("batchgrid.account.name = abcdefghijklmnopqrstuvwxy").key());
    Settings.load(override("batchgrid.account.name = abcdefghijklmnopqrstuvwx"));
  }

  @Test
  void accountKeyMustBeBase64() {
    SettingsException e = bad("batchgrid.account.key = \"not base64!\"");
    assertEquals("batchgrid.account.key", e.key());
  }

  @Test
  void unknownNodeProviderIsRefused() {
    SettingsException e = bad("batchgrid.node-provider = kubernetes");
    assertEquals("batchgrid.node-provider", e.key());
    assertTrue(e.getMessage().contains("in-process"), e.getMessage());
    assertTrue(e.getMessage().contains("local-process"), e.getMessage());
  }

  @Test
  void localProcessNodeProviderIsKnown() {
    Settings s = Settings.load(ConfigFactory.parseString("batchgrid.node-provider = \" local-process \"")
        .withFallback(ConfigFactory.parseResources("reference.conf")).resolve(ConfigResolveOptions.noSystem()));
    assertEquals("local-process", s.nodeProvider());
  }

  @Test
  void emptyValuesAreRefused() {
    assertEquals("batchgrid.data-dir", bad("batchgrid.data-dir = \"\"").key());
    assertEquals("batchgrid.api.bind", bad("batchgrid.api.bind = \" \"").key());
  }

  @Test
  void missingKeyIsNamed() {
    SettingsException e = assertThrows(SettingsException.class,
        () -> Settings.load(ConfigFactory.parseString("batchgrid.api.port = 1")));
    assertEquals("batchgrid.data-dir", e.key());
  }

  @Test
  void toStringHidesTheKey() {
    Settings s = Settings.load(override("batchgrid.account.key = \"c2VjcmV0\""));
    assertFalse(s.toString().contains("c2VjcmV0"));
  }
}
