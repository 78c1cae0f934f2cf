package io.batchgrid.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AutoStorageTest {
  private static final Config REFERENCE = ConfigFactory.parseResources("reference.conf");

  private static Config withEnvironment(Map<String, String> env) {
    return REFERENCE.withFallback(ConfigFactory.parseMap(env)).resolve(ConfigResolveOptions.noSystem());
  }

  @Test
  void notConfiguredByDefault() {
    AutoStorage storage = AutoStorage.load(withEnvironment(Map.of()));
    assertFalse(storage.configured());
    assertEquals(AutoStorage.NONE, storage);
  }

  @Test
  void environmentSetsUrlAndSas() {
    AutoStorage storage = AutoStorage.load(withEnvironment(Map.of(
        "BATCHGRID_AUTO_STORAGE_URL", "http://127.0.0.1:10000/devstoreaccount1/",
        "BATCHGRID_AUTO_STORAGE_SAS", "?sv=2021-08-06&sig=abc")));
    assertTrue(storage.configured());
    assertEquals("http://127.0.0.1:10000/devstoreaccount1/inputs?sv=2021-08-06&sig=abc",
        storage.containerUrl("inputs"));
    assertFalse(storage.toString().contains("sig=abc"), "the SAS is a credential");
  }

  @Test
  void badValuesNameTheKey() {
    SettingsException notHttp = assertThrows(SettingsException.class, () -> AutoStorage.load(
        withEnvironment(Map.of("BATCHGRID_AUTO_STORAGE_URL", "ftp://example.com"))));
    assertEquals(AutoStorage.URL, notHttp.key());
    SettingsException sasAlone = assertThrows(SettingsException.class, () -> AutoStorage.load(
        withEnvironment(Map.of("BATCHGRID_AUTO_STORAGE_SAS", "sv=1"))));
    assertEquals(AutoStorage.SAS, sasAlone.key());
    SettingsException query = assertThrows(SettingsException.class, () -> AutoStorage.load(
        withEnvironment(Map.of("BATCHGRID_AUTO_STORAGE_URL", "https://a.blob.core.windows.net?sv=1"))));
    assertEquals(AutoStorage.URL, query.key());
    // Settings.load validates it too, so a bad value stops the server at start.
    SettingsException viaSettings = assertThrows(SettingsException.class, () -> Settings.load(
        withEnvironment(Map.of("BATCHGRID_AUTO_STORAGE_URL", "not a url"))));
    assertEquals(AutoStorage.URL, viaSettings.key());
  }
}
