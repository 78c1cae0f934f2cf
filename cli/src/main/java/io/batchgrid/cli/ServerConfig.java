package io.batchgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.config.JournalSettings;
import io.batchgrid.config.ManagementSettings;
import io.batchgrid.config.Settings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
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

  public static final String SEED_NODES = "pekko.cluster.seed-nodes";

  public static final String SBR_ROLE = "pekko.cluster.split-brain-resolver.keep-oldest.role";

  public static final String SBR_DOWN_IF_ALONE = "pekko.cluster.split-brain-resolver.keep-oldest.down-if-alone";

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
    return forRoles(settings, base, roles(settings), List.of());
  }

  /**
   * The configuration of a member with the given roles, joining through {@code seeds} (Artery
   * addresses; empty: it forms the cluster itself): {@code base} with the data directory's paths,
   * the journal of {@code batchgrid.journal}, the split-brain settings that go with it and Pekko
   * Management's address.
   */
  public static Config forRoles(Settings settings, Config base, List<String> roles, List<String> seeds) {
    JournalSettings journal = JournalSettings.load(base);
    ManagementSettings management = ManagementSettings.load(base);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put(JOURNAL_DIR, journalDir(settings).toString());
    o.put(SNAPSHOT_DIR, snapshotDir(settings).toString());
    o.put(SHARDING_DIR, shardingDir(settings).toString());
    o.put(ROLES, roles);
    if (!seeds.isEmpty()) {
      o.put(SEED_NODES, seeds);
    }
    o.putAll(downing(journal));
    o.put("pekko.management.http.hostname", management.bind());
    o.put("pekko.management.http.port", Member.managementPort(management));
    Config c = ConfigFactory.parseMap(o, "batchgrid " + String.join(",", roles));
    if (journal.postgres()) {
      c = c.withFallback(ConfigFactory.parseResources(ServerConfig.class.getClassLoader(), "postgres.conf"));
    }
    // Artery over TLS when batchgrid.cluster.tls is on, for every role alike.
    return ClusterTls.apply(c.withFallback(base).resolve());
  }

  /**
   * Split-brain resolution (keep-oldest) for the kind of cluster the journal implies; every member,
   * workers included, must decide alike, so it derives from {@code batchgrid.journal}, which the
   * local-process provider passes on to its workers.
   *
   * <p>LevelDB means one coordinator: the side with it survives whatever happens to workers (role
   * "coordinator", down-if-alone off). PostgreSQL means several coordinators: the side with the
   * oldest member survives, and an oldest member that is cut off alone (or crashed) is downed by the
   * others, so that a second coordinator takes over. Counting only coordinators would not do with two
   * of them: after a crash of the oldest, one against one, the survivor would down itself.
   */
  static Map<String, Object> downing(JournalSettings journal) {
    return journal.postgres()
        ? Map.of(SBR_ROLE, "", SBR_DOWN_IF_ALONE, true)
        : Map.of(SBR_ROLE, "coordinator", SBR_DOWN_IF_ALONE, false);
  }
}
