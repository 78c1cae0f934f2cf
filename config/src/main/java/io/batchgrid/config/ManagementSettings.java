package io.batchgrid.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * Pekko Management's HTTP endpoints: {@code /alive}, {@code /ready} and the cluster's membership
 * ({@code /cluster/members}, {@code /cluster/shards/<type>}).
 *
 * @param enabled serve them at all
 * @param bind address they listen on (loopback by default: they are unauthenticated)
 * @param port their port; 0: any free port
 */
public record ManagementSettings(boolean enabled, String bind, int port) {
  public static final String ENABLED = "batchgrid.management.enabled";
  public static final String BIND = "batchgrid.management.bind";
  public static final String PORT = "batchgrid.management.port";

  /**
   * @throws SettingsException naming the first bad key
   */
  public static ManagementSettings load(Config config) {
    boolean enabled;
    try {
      enabled = config.getBoolean(ENABLED);
    } catch (ConfigException e) {
      throw new SettingsException(ENABLED, "must be true or false", e);
    }
    String bind;
    try {
      bind = config.getString(BIND).trim();
    } catch (ConfigException e) {
      throw new SettingsException(BIND, "must be a host name or address", e);
    }
    if (bind.isEmpty()) {
      throw new SettingsException(BIND, "must not be empty");
    }
    int port;
    try {
      port = config.getInt(PORT);
    } catch (ConfigException e) {
      throw new SettingsException(PORT, "must be a number from 0 to 65535", e);
    }
    if (port < 0 || port > 65535) {
      throw new SettingsException(PORT, "must be a number from 0 to 65535, got " + port);
    }
    return new ManagementSettings(enabled, bind, port);
  }
}
