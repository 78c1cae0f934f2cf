package io.batchgrid.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings a command's options override, as HOCON paths, for {@code ConfigFactory.parseMap}: only
 * the options that were given (picocli leaves the others null), so configuration files and environment
 * variables still decide everything the command line does not name.
 */
final class Overrides {
  private final Map<String, Object> map = new LinkedHashMap<>();

  /** {@code value} under {@code path}, when the option was given; a path is kept as its string. */
  Overrides put(String path, Object value) {
    if (value != null) {
      map.put(path, value instanceof Path p ? p.toString() : value);
    }
    return this;
  }

  /**
   * The member's Artery port. Both paths: the base configuration is resolved already, so overriding
   * {@code batchgrid.cluster.port} alone would not reach the Artery setting that refers to it.
   */
  Overrides clusterPort(Integer port) {
    return put(ServerConfig.CLUSTER_PORT, port).put(ServerConfig.ARTERY_PORT, port);
  }

  /** The host name or address this member's Artery binds to and is reached at. */
  Overrides clusterHost(String host) {
    return put("pekko.remote.artery.canonical.hostname", host);
  }

  Map<String, Object> map() {
    return map;
  }
}
