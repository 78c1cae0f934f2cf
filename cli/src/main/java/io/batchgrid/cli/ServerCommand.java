package io.batchgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.api.ApiServer;
import io.batchgrid.config.AccountKeys;
import io.batchgrid.config.JournalSettings;
import io.batchgrid.config.ManagementSettings;
import io.batchgrid.config.Settings;
import io.batchgrid.config.SettingsException;
import io.batchgrid.config.TlsSettings;
import io.batchgrid.coordinator.CoordinatorRole;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batchgrid server}: the coordinator and the API in one JVM, with the compute nodes in it too
 * (in-process) or as worker JVMs it starts (local-process); the journal and snapshots under the data
 * directory. Runs until the JVM is asked to
 * stop (SIGTERM, Ctrl-C); Pekko's coordinated shutdown then stops the API and the entities.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = {
      "Runs batchgrid in one process: the Azure Batch API, the coordinator and in-process nodes.",
      "Options win over HOCON config and BATCHGRID_* environment variables, which win over defaults."
    })
public final class ServerCommand implements Callable<Integer> {

  /** How long the API may take to bind. */
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(30);

  @Option(names = "--port", paramLabel = "PORT",
      description = "API port (batchgrid.api.port, BATCHGRID_PORT; default 8280; 0 = any free port).")
  Integer port;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Data directory (batchgrid.data-dir, BATCHGRID_DATA; default ./data).")
  Path data;

  @Option(names = "--bind", paramLabel = "ADDRESS",
      description = "API listen address (batchgrid.api.bind, BATCHGRID_BIND; default 127.0.0.1).")
  String bind;

  @Option(names = "--account-name", paramLabel = "NAME",
      description = "Account name clients sign with (batchgrid.account.name, BATCHGRID_ACCOUNT_NAME;"
          + " default batchgrid).")
  String accountName;

  @Option(names = "--tls-keystore", paramLabel = "FILE",
      description = "Serve HTTPS with this PKCS12 keystore (batchgrid.api.tls.keystore, BATCHGRID_TLS_KEYSTORE);"
          + " its password from BATCHGRID_TLS_KEYSTORE_PASSWORD or batchgrid.api.tls.keystore-password.")
  Path tlsKeystore;

  @Option(names = "--allow-plain-http",
      description = "Serve plain HTTP on a non-loopback --bind address too (batchgrid.api.allow-plain-http,"
          + " BATCHGRID_ALLOW_PLAIN_HTTP). Without it, plain HTTP is served on loopback only.")
  Boolean allowPlainHttp;

  /** HTTPS or not, as configured; known once {@link #call} has read the settings. */
  private TlsSettings tls = TlsSettings.NONE;

  @Option(names = "--node-provider", paramLabel = "NAME",
      description = "How compute nodes run: in-process (default), local-process (one worker JVM per node) or static"
          + " (operator-started batchgrid worker processes, claimed by their pools)"
          + " (batchgrid.node-provider, BATCHGRID_NODE_PROVIDER).")
  String nodeProvider;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "Artery port workers join through (batchgrid.cluster.port, BATCHGRID_CLUSTER_PORT;"
          + " default 0 = any free port).")
  Integer clusterPort;

  @Option(names = "--journal", paramLabel = "KIND",
      description = "leveldb (default, under --data) or postgres (batchgrid.journal, BATCHGRID_JOURNAL;"
          + " the database from batchgrid.postgres.url/user/password, BATCHGRID_POSTGRES_*).")
  String journal;

  @Option(names = "--management-port", paramLabel = "PORT",
      description = "Port of /alive, /ready and /cluster/members (batchgrid.management.port,"
          + " BATCHGRID_MANAGEMENT_PORT; default 0 = any free port).")
  Integer managementPort;

  /** Held until the process ends; static so that nothing can collect it and release the lock. */
  private static volatile FileLock heldLock;

  private final PrintStream out;
  private final PrintStream err;

  public ServerCommand() {
    this(System.out, System.err);
  }

  ServerCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** The settings the given options override, as HOCON paths; only options that were given. */
  Map<String, Object> overrides() {
    return new Overrides()
        .put(Settings.DATA_DIR, data)
        .put(Settings.BIND, bind)
        .put(Settings.PORT, port)
        .put(Settings.ACCOUNT_NAME, accountName)
        .put(TlsSettings.KEYSTORE, tlsKeystore)
        .put(TlsSettings.ALLOW_PLAIN_HTTP, allowPlainHttp)
        .put(Settings.NODE_PROVIDER, nodeProvider)
        .clusterPort(clusterPort)
        .put(JournalSettings.KIND, journal)
        .put(ManagementSettings.PORT, managementPort)
        .map();
  }

  /**
   * The options over {@code base}, a resolved config.
   *
   * @throws SettingsException naming the first bad setting
   */
  Settings settings(Config base) {
    return Settings.load(ConfigFactory.parseMap(overrides(), "command line").withFallback(base));
  }

  /**
   * The TLS settings: the options over {@code base}, a resolved config.
   *
   * @throws SettingsException naming the first bad setting
   */
  TlsSettings tls(Config base) {
    return TlsSettings.load(ConfigFactory.parseMap(overrides(), "command line").withFallback(base));
  }

  @Override
  public Integer call() {
    Config base;
    Settings settings;
    AccountKeys.Resolved keys;
    JournalSettings journalSettings;
    ManagementSettings management;
    try {
      base = ConfigFactory.load();
      settings = settings(base);
      tls = tls(base);
      Config given = ConfigFactory.parseMap(overrides(), "command line").withFallback(base);
      journalSettings = JournalSettings.load(given);
      management = ManagementSettings.load(given);
      Optional<FileLock> lock = DataDirLock.tryAcquire(settings.dataDir());
      if (lock.isEmpty()) {
        err.println("batchgrid: data directory " + settings.dataDir()
            + " is in use by another batchgrid server");
        return 1;
      }
      heldLock = lock.get();
      keys = AccountKeys.resolve(settings);
      settings = keys.settings();
    } catch (IOException e) {
      err.println("batchgrid: cannot use the data directory: " + e);
      return Main.EXIT_USAGE;
    } catch (SettingsException e) {
      err.println("batchgrid: bad setting " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (ConfigException e) {
      err.println("batchgrid: bad configuration: " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (UncheckedIOException e) {
      err.println("batchgrid: " + e.getMessage() + ": " + e.getCause().getMessage());
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
    Config systemConfig;
    try {
      systemConfig = ServerConfig.forServer(settings, ConfigFactory.parseMap(overrides(), "command line").withFallback(base));
    } catch (ConfigException e) {
      err.println("batchgrid: bad configuration: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "batchgrid", systemConfig);
    ServerBinding binding;
    Optional<String> managementUrl;
    try {
      Member.joinAndAwaitUp(system, true);
      CoordinatorRole.start(system, settings);
      binding = ApiServer.start(system, settings, tls)
          .toCompletableFuture()
          .get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      managementUrl = Member.startManagement(system, management);
    } catch (ExecutionException e) {
      return failStart(system, "cannot serve the API on " + settings.bind() + ":" + settings.port()
          + ": " + e.getCause().getMessage());
    } catch (TimeoutException e) {
      return failStart(system, "gave up starting after " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failStart(system, "interrupted while starting");
    } catch (RuntimeException e) {
      return failStart(system, "cannot start: " + e);
    }

    out.println(readyLine(settings, tls.enabled(), binding.localAddress()));
    managementUrl.ifPresent(u -> out.println("management: " + u + " (/alive, /ready, /cluster/members)"));
    if (keys.generated()) {
      printKeyHint(settings, binding.localAddress(), keys.keyFile().orElseThrow());
    } else {
      keys.keyFile().ifPresent(f -> out.println("account key: " + f));
    }
    out.flush();

    system.getWhenTerminated().toCompletableFuture().join();
    var reason = CoordinatedShutdown.get(system).getShutdownReason();
    if (reason.isPresent() && !reason.get().equals(CoordinatedShutdown.jvmExitReason())) {
      err.println("batchgrid: stopped: " + reason.get());
      return 1;
    }
    return 0;
  }

  int failStart(ActorSystem<Void> system, String message) {
    err.println("batchgrid: " + message);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    return 1;
  }

  static String readyLine(Settings settings, InetSocketAddress bound) {
    return readyLine(settings, false, bound);
  }

  static String readyLine(Settings settings, boolean https, InetSocketAddress bound) {
    return "batchgrid ready: api " + apiUrl(settings, https, bound)
        + " account=" + settings.accountName() + " data=" + settings.dataDir();
  }

  static String apiUrl(Settings settings, InetSocketAddress bound) {
    return apiUrl(settings, false, bound);
  }

  static String apiUrl(Settings settings, boolean https, InetSocketAddress bound) {
    String host = settings.bind();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return (https ? "https://" : "http://") + host + ":" + bound.getPort();
  }

  private void printKeyHint(Settings settings, InetSocketAddress bound, Path keyFile) {
    String url = apiUrl(settings, tls.enabled(), bound);
    String name = settings.accountName();
    // The launcher says where the checkout is, so the hint names the helper wherever one stands.
    String home = System.getProperty("batchgrid.home");
    String helper = home == null
        ? "scripts/az-batch-curl"
        : Path.of(home, "scripts", "az-batch-curl").toString();
    out.println("generated account key: " + keyFile + " (mode 600; kept for the next starts)");
    out.println("  clients sign with SharedKey, account " + name + " and that key:");
    out.println("    export BATCHGRID_ACCOUNT_NAME=" + name
        + " BATCHGRID_ACCOUNT_KEY=\"$(cat " + keyFile + ")\" BATCHGRID_URL=" + url);
    out.println("    " + helper + " GET /pools      # curl, signed");
    out.println("    Java SDK: BatchClient.open(new BatchSharedKeyCredentials(\"" + url + "\", \""
        + name + "\", key))");
  }
}
