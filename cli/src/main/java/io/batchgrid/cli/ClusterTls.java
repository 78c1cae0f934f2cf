package io.batchgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Artery over TLS with mutual authentication, from {@code batchgrid.cluster.tls} (cluster.conf, with
 * an environment variable for every key). When it is on, every member (server, coordinator, worker)
 * speaks TLS 1.3 on its cluster port, presents the certificate in its key store and accepts a peer
 * only if the peer's certificate is in its trust store, both ways: a process without the cluster's
 * certificate cannot join, nor read or forge cluster traffic. Off by default: members on one host
 * talk over loopback.
 */
final class ClusterTls {
  static final String PATH = "batchgrid.cluster.tls";
  private static final String ENGINE = "pekko.remote.artery.ssl.config-ssl-engine.";

  private ClusterTls() {}

  /**
   * {@code config} (resolved) with Artery's TLS transport configured from {@code batchgrid.cluster.tls},
   * or unchanged when that is off.
   *
   * @throws ConfigException.BadValue naming the key when a store is missing or unreadable
   */
  static Config apply(Config config) {
    Config tls = config.getConfig(PATH);
    if (!tls.getBoolean("enabled")) {
      return config;
    }
    String keyStore = store(tls, "key-store");
    String trustStore = store(tls, "trust-store");
    String keyStorePassword = tls.getString("key-store-password");
    String keyPassword = tls.getString("key-password").isEmpty() ? keyStorePassword : tls.getString("key-password");
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("pekko.remote.artery.transport", "tls-tcp");
    o.put(ENGINE + "key-store", keyStore);
    o.put(ENGINE + "key-store-password", keyStorePassword);
    o.put(ENGINE + "key-password", keyPassword);
    o.put(ENGINE + "trust-store", trustStore);
    o.put(ENGINE + "trust-store-password", tls.getString("trust-store-password"));
    // Both ends present a certificate the other must trust: what keeps strangers out.
    o.put(ENGINE + "require-mutual-authentication", true);
    return ConfigFactory.parseMap(o, PATH).withFallback(config).resolve();
  }

  private static String store(Config tls, String key) {
    String value = tls.getString(key);
    if (value.isEmpty()) {
      throw new ConfigException.BadValue(PATH + "." + key, "required when " + PATH + ".enabled is on");
    }
    Path file = Path.of(value).toAbsolutePath();
    if (!Files.isReadable(file)) {
      throw new ConfigException.BadValue(PATH + "." + key, "cannot read " + file);
    }
    return file.toString();
  }
}
