package io.batchgrid.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * HTTPS for the API, and whether plain HTTP may be served beyond loopback.
 *
 * @param keystore a PKCS12 keystore holding the server's key and certificate chain; null: no TLS
 * @param password the keystore's password (also the key's, as PKCS12 keystores made by keytool have)
 * @param allowPlainHttp serve plain HTTP on a non-loopback address too; off by default, because
 *     SharedKey over plain HTTP exposes every request to the network
 */
public record TlsSettings(Path keystore, String password, boolean allowPlainHttp) {
  public static final String KEYSTORE = "batchgrid.api.tls.keystore";
  public static final String PASSWORD = "batchgrid.api.tls.keystore-password";
  public static final String ALLOW_PLAIN_HTTP = "batchgrid.api.allow-plain-http";

  /** No TLS; plain HTTP on loopback only. */
  public static final TlsSettings NONE = new TlsSettings(null, "", false);

  public boolean enabled() {
    return keystore != null;
  }

  /** The same settings with plain HTTP allowed (or not) beyond loopback. */
  public TlsSettings withAllowPlainHttp(boolean allow) {
    return new TlsSettings(keystore, password, allow);
  }

  /**
   * Reads {@value #KEYSTORE}, {@value #PASSWORD} and {@value #ALLOW_PLAIN_HTTP}; absent keys take
   * their defaults (no TLS, no plain HTTP beyond loopback).
   *
   * @throws SettingsException when the keystore is not a readable file or has no password
   */
  public static TlsSettings load(Config config) {
    String keystoreText = optional(config, KEYSTORE);
    boolean allow;
    try {
      allow = config.hasPath(ALLOW_PLAIN_HTTP) && config.getBoolean(ALLOW_PLAIN_HTTP);
    } catch (ConfigException.WrongType e) {
      throw new SettingsException(ALLOW_PLAIN_HTTP, "must be true or false", e);
    }
    if (keystoreText.isEmpty()) {
      return new TlsSettings(null, "", allow);
    }
    Path keystore;
    try {
      keystore = Path.of(keystoreText).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new SettingsException(KEYSTORE, "not a valid path: " + e.getMessage(), e);
    }
    if (!Files.isRegularFile(keystore) || !Files.isReadable(keystore)) {
      throw new SettingsException(KEYSTORE, "no readable PKCS12 file at " + keystore);
    }
    String password = optional(config, PASSWORD);
    if (password.isEmpty()) {
      throw new SettingsException(PASSWORD,
          "must be set when " + KEYSTORE + " is (BATCHGRID_TLS_KEYSTORE_PASSWORD)");
    }
    return new TlsSettings(keystore, password, allow);
  }

  private static String optional(Config config, String key) {
    try {
      return config.hasPath(key) ? config.getString(key).trim() : "";
    } catch (ConfigException.WrongType e) {
      throw new SettingsException(key, "must be a string", e);
    }
  }

  @Override
  public String toString() {
    return "TlsSettings[keystore=" + keystore + ", password=" + (password.isEmpty() ? "" : "***")
        + ", allowPlainHttp=" + allowPlainHttp + "]";
  }
}
