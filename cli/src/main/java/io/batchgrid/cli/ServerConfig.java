package io.batchgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.config.Settings;
import java.nio.file.Path;
import java.util.Map;

/** The configuration the server's ActorSystem starts with. */
public final class ServerConfig {

  public static final String JOURNAL_DIR = "pekko.persistence.journal.leveldb.dir";
  public static final String SNAPSHOT_DIR = "pekko.persistence.snapshot-store.local.dir";

  private ServerConfig() {}

  /** Where the journal of a data directory lives. */
  public static Path journalDir(Settings settings) {
    return settings.dataDir().resolve("journal");
  }

  /** Where the snapshots of a data directory live. */
  public static Path snapshotDir(Settings settings) {
    return settings.dataDir().resolve("snapshots");
  }

  /**
   * {@code base} (normally {@code ConfigFactory.load()}: application.conf with its cluster,
   * persistence, sharding and logging files, every reference.conf, -D properties, environment)
   * with the journal and snapshot directories of the settings' data directory put in. The data
   * directory may come from the command line, so it cannot be a substitution in a file.
   */
  public static Config forServer(Settings settings, Config base) {
    Map<String, Object> dirs = Map.of(
        JOURNAL_DIR, journalDir(settings).toString(),
        SNAPSHOT_DIR, snapshotDir(settings).toString());
    return ConfigFactory.parseMap(dirs, "data directory of batchgrid server")
        .withFallback(base)
        .resolve();
  }
}
