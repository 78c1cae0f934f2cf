package io.batchgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.config.JournalSettings;
import io.batchgrid.config.ManagementSettings;
import io.batchgrid.config.Settings;
import io.batchgrid.config.SettingsException;
import io.batchgrid.coordinator.CoordinatorRole;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batchgrid coordinator}: the coordinator role alone — the pool, job, schedule and catalog
 * entities (cluster sharding) and the node provider — without the API. Several of them share a
 * PostgreSQL journal ({@code --journal postgres}); when one dies, its entities start again on another.
 * API nodes ({@code batchgrid api}) and workers join the same cluster through {@code --seed}.
 */
@Command(
    name = "coordinator",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the coordinator role: pools, jobs and schedules (sharded entities) and the node provider.",
      "Several coordinators share a PostgreSQL journal (--journal postgres); see the README's runbook."
    })
public final class CoordinatorCommand implements Callable<Integer> {

  @Option(names = "--seed", paramLabel = "HOST:PORT",
      description = "Artery address of a member to join through (repeatable; list every coordinator, in the same"
          + " order everywhere). A coordinator that is the first seed, or has none, may form the cluster.")
  List<String> seeds = new ArrayList<>();

  @Option(names = "--data", paramLabel = "DIR",
      description = "Data directory: node directories, and the journal when it is leveldb (batchgrid.data-dir).")
  Path data;

  @Option(names = "--cluster-host", paramLabel = "HOST",
      description = "Host name or address this member's Artery binds to and is reached at (default 127.0.0.1).")
  String clusterHost;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "Artery port (batchgrid.cluster.port, BATCHGRID_CLUSTER_PORT; default 0 = any free port;"
          + " a seed needs a fixed one).")
  Integer clusterPort;

  @Option(names = "--node-provider", paramLabel = "NAME",
      description = "in-process (default) or local-process (batchgrid.node-provider).")
  String nodeProvider;

  @Option(names = "--account-name", paramLabel = "NAME",
      description = "Account name tasks see as AZ_BATCH_ACCOUNT_NAME (batchgrid.account.name).")
  String accountName;

  @Option(names = "--journal", paramLabel = "KIND",
      description = "leveldb (default; one coordinator) or postgres (batchgrid.journal, BATCHGRID_JOURNAL).")
  String journal;

  @Option(names = "--management-port", paramLabel = "PORT",
      description = "Port of /alive, /ready and /cluster/members (batchgrid.management.port; default 0 = any free port).")
  Integer managementPort;

  private static volatile FileLock heldLock;

  private final PrintStream out;
  private final PrintStream err;

  public CoordinatorCommand() {
    this(System.out, System.err);
  }

  CoordinatorCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  Map<String, Object> overrides() {
    return new Overrides()
        .put(Settings.DATA_DIR, data)
        .clusterHost(clusterHost)
        .clusterPort(clusterPort)
        .put(Settings.NODE_PROVIDER, nodeProvider)
        .put(Settings.ACCOUNT_NAME, accountName)
        .put(JournalSettings.KIND, journal)
        .put(ManagementSettings.PORT, managementPort)
        .map();
  }

  /** A coordinator hosts the entities; with in-process nodes it is a worker too. */
  static List<String> roles(Settings settings) {
    return "in-process".equals(settings.nodeProvider()) ? List.of("coordinator", "worker") : List.of("coordinator");
  }

  @Override
  public Integer call() {
    Config given;
    Settings settings;
    JournalSettings journalSettings;
    ManagementSettings management;
    List<String> seedAddresses;
    try {
      given = ConfigFactory.parseMap(overrides(), "command line").withFallback(ConfigFactory.load());
      settings = Settings.load(given);
      journalSettings = JournalSettings.load(given);
      management = ManagementSettings.load(given);
      seedAddresses = Member.seedAddresses(seeds);
      ClusterTls.apply(given.resolve()); // a missing cluster TLS store is named here, before anything starts
      Optional<FileLock> lock = DataDirLock.tryAcquire(settings.dataDir());
      if (lock.isEmpty()) {
        err.println("batchgrid: data directory " + settings.dataDir() + " is in use by another batchgrid process");
        return 1;
      }
      heldLock = lock.get();
    } catch (SettingsException e) {
      err.println("batchgrid: bad setting " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (IllegalArgumentException | ConfigException e) {
      err.println("batchgrid: " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (IOException e) {
      err.println("batchgrid: cannot use the data directory: " + e);
      return Main.EXIT_USAGE;
    }
    if (journalSettings.postgres()) {
      try {
        PostgresSchema.create(journalSettings);
      } catch (java.sql.SQLException e) {
        err.println("batchgrid: cannot use the PostgreSQL journal at " + journalSettings.url() + ": " + e.getMessage());
        return 1;
      }
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "batchgrid",
        ServerConfig.forRoles(settings, given, roles(settings), seedAddresses));
    Optional<String> managementUrl;
    try {
      Member.joinAndAwaitUp(system, seedAddresses.isEmpty());
      CoordinatorRole.start(system, settings);
      managementUrl = Member.startManagement(system, management);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(system, "interrupted while starting");
    } catch (Exception e) {
      return fail(system, "cannot start: " + e.getMessage());
    }
    out.println("batchgrid coordinator ready: cluster " + Cluster.get(system).selfMember().address()
        + " journal=" + journalSettings.kind() + " data=" + settings.dataDir());
    managementUrl.ifPresent(u -> out.println("management: " + u + " (/alive, /ready, /cluster/members)"));
    out.flush();
    system.getWhenTerminated().toCompletableFuture().join();
    var reason = CoordinatedShutdown.get(system).getShutdownReason();
    if (reason.isPresent() && !reason.get().equals(CoordinatedShutdown.jvmExitReason())) {
      err.println("batchgrid: stopped: " + reason.get());
      return 1;
    }
    return 0;
  }

  private int fail(ActorSystem<Void> system, String message) {
    err.println("batchgrid: " + message);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    return 1;
  }
}
