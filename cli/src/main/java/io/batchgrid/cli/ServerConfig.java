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
  /**
   * Where cluster sharding remembers which shards exist, so that remembered pools and jobs start
   * again after a restart. Pekko's default is a directory named after the (random) remote port in
   * the working directory, which a restart would not find again.
   */
  public static final String SHARDING_DIR = "pekko.cluster.sharding.distributed-data.durable.lmdb.dir";

  /** The server's Artery port, which workers join through. */
  public static final String CLUSTER_PORT = "batchgrid.cluster.port";

  public static final String ARTERY_PORT = "pekko.remote.artery.canonical.port";

  public static final String ROLES = "pekko.cluster.roles";

  private ServerConfig() {}

  /** The server is a coordinator (and API); it is a worker too when its nodes run in its JVM. */
  public static java.util.List<String> roles(Settings settings) {
    return "in-process".equals(settings.nodeProvider())
        ? java.util.List.of("coordinator", "api", "worker")
        : java.util.List.of("coordinator", "api");
  }

  /** Where the journal of a data directory lives. */
  public static Path journalDir(Settings settings) {
    return settings.dataDir().resolve("journal");
  }

  /** Where the snapshots of a data directory live. */
  public static Path snapshotDir(Settings settings) {
    return settings.dataDir().resolve("snapshots");
  }

  /** Where sharding's remembered shards of a data directory live. */
  public static Path shardingDir(Settings settings) {
    return settings.dataDir().resolve("sharding");
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
        SNAPSHOT_DIR, snapshotDir(settings).toString(),
        SHARDING_DIR, shardingDir(settings).toString(),
        ROLES, roles(settings));
    return ConfigFactory.parseMap(dirs, "data directory of batchgrid server")
        .withFallback(base)
        .resolve();
  }
}
