package io.batchgrid.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Set;

/**
 * Where the coordinators keep their journal and snapshots.
 *
 * @param kind {@value #LEVELDB} (embedded, under the data directory: one coordinator on one machine) or
 *     {@value #POSTGRES} (a shared PostgreSQL database: any number of coordinators)
 * @param url JDBC URL of the PostgreSQL database ({@code jdbc:postgresql://host:port/db})
 * @param user PostgreSQL user
 * @param password PostgreSQL password (may be empty, e.g. with trust or peer authentication)
 * @param maxConnections connections per coordinator
 */
public record JournalSettings(String kind, String url, String user, String password, int maxConnections) {
  public static final String KIND = "batchgrid.journal";
  public static final String URL = "batchgrid.postgres.url";
  public static final String USER = "batchgrid.postgres.user";
  public static final String PASSWORD = "batchgrid.postgres.password";
  public static final String MAX_CONNECTIONS = "batchgrid.postgres.max-connections";

  public static final String LEVELDB = "leveldb";
  public static final String POSTGRES = "postgres";
  public static final Set<String> KINDS = Set.of(LEVELDB, POSTGRES);

  public boolean postgres() {
    return POSTGRES.equals(kind);
  }

  /**
   * Reads the journal settings of a resolved config.
   *
   * @throws SettingsException naming the first bad key
   */
  public static JournalSettings load(Config config) {
    String kind = string(config, KIND).trim();
    if (!KINDS.contains(kind)) {
      throw new SettingsException(KIND, "unknown journal '" + kind + "', known: leveldb, postgres");
    }
    String url = string(config, URL).trim();
    if (POSTGRES.equals(kind) && !url.startsWith("jdbc:postgresql:")) {
      throw new SettingsException(URL, "must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database), got '"
          + url + "'");
    }
    int max;
    try {
      max = config.getInt(MAX_CONNECTIONS);
    } catch (ConfigException e) {
      throw new SettingsException(MAX_CONNECTIONS, "must be a number", e);
    }
    if (max < 1) {
      throw new SettingsException(MAX_CONNECTIONS, "must be at least 1, got " + max);
    }
    return new JournalSettings(kind, url, string(config, USER), string(config, PASSWORD), max);
  }

  private static String string(Config config, String key) {
    try {
      return config.getString(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key, "missing", e);
    } catch (ConfigException.WrongType e) {
      throw new SettingsException(key, "must be a string", e);
    }
  }

  @Override
  public String toString() {
    return "JournalSettings[kind=" + kind + ", url=" + url + ", user=" + user + ", password="
        + (password.isEmpty() ? "" : "***") + ", maxConnections=" + maxConnections + "]";
  }
}
