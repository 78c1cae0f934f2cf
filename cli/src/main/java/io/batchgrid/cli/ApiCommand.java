package io.batchgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.api.ApiServer;
import io.batchgrid.config.AccountKeys;
import io.batchgrid.config.ManagementSettings;
import io.batchgrid.config.Settings;
import io.batchgrid.config.SettingsException;
import io.batchgrid.config.TlsSettings;
import io.batchgrid.coordinator.CoordinatorRole;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batchgrid api}: the Azure Batch HTTP API alone. It holds no state: it joins the cluster
 * and asks the entities on the coordinators through sharding proxies, so any number of API nodes can
 * run beside the coordinators, and an API node can be restarted without losing anything.
 */
@Command(
    name = "api",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the Azure Batch API alone, joined to a cluster of batchgrid coordinators.",
      "Clients sign with the account's SharedKey: give every API node the same key (BATCHGRID_ACCOUNT_KEY)."
    })
public final class ApiCommand implements Callable<Integer> {

  @Option(names = "--seed", required = true, paramLabel = "HOST:PORT",
      description = "Artery address of a coordinator to join through (repeatable).")
  List<String> seeds = new ArrayList<>();

  @Option(names = "--port", paramLabel = "PORT",
      description = "API port (batchgrid.api.port, BATCHGRID_PORT; default 8280; 0 = any free port).")
  Integer port;

  @Option(names = "--bind", paramLabel = "ADDRESS",
      description = "API listen address (batchgrid.api.bind, BATCHGRID_BIND; default 127.0.0.1).")
  String bind;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Where the generated account key is kept when none is configured (batchgrid.data-dir).")
  Path data;

  @Option(names = "--account-name", paramLabel = "NAME",
      description = "Account name clients sign with (batchgrid.account.name, BATCHGRID_ACCOUNT_NAME).")
  String accountName;

  @Option(names = "--tls-keystore", paramLabel = "FILE",
      description = "Serve HTTPS with this PKCS12 keystore (batchgrid.api.tls.keystore, BATCHGRID_TLS_KEYSTORE).")
  Path tlsKeystore;

  @Option(names = "--allow-plain-http",
      description = "Serve plain HTTP on a non-loopback --bind address too (batchgrid.api.allow-plain-http).")
  Boolean allowPlainHttp;

  @Option(names = "--cluster-host", paramLabel = "HOST",
      description = "Host name or address this member's Artery binds to and is reached at (default 127.0.0.1).")
  String clusterHost;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "Artery port of this member (batchgrid.cluster.port; default 0 = any free port).")
  Integer clusterPort;

  @Option(names = "--management-port", paramLabel = "PORT",
      description = "Port of /alive, /ready and /cluster/members (batchgrid.management.port; default 0 = any free port).")
  Integer managementPort;

  private final PrintStream out;
  private final PrintStream err;

  public ApiCommand() {
    this(System.out, System.err);
  }

  ApiCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  Map<String, Object> overrides() {
    return new Overrides()
        .put(Settings.DATA_DIR, data)
        .put(Settings.BIND, bind)
        .put(Settings.PORT, port)
        .put(Settings.ACCOUNT_NAME, accountName)
        .put(TlsSettings.KEYSTORE, tlsKeystore)
        .put(TlsSettings.ALLOW_PLAIN_HTTP, allowPlainHttp)
        .clusterHost(clusterHost)
        .clusterPort(clusterPort)
        .put(ManagementSettings.PORT, managementPort)
        .map();
  }

  @Override
  public Integer call() {
    Config given;
    Settings settings;
    TlsSettings tls;
    ManagementSettings management;
    AccountKeys.Resolved keys;
    List<String> seedAddresses;
    try {
      given = ConfigFactory.parseMap(overrides(), "command line").withFallback(ConfigFactory.load());
      settings = Settings.load(given);
      tls = TlsSettings.load(given);
      management = ManagementSettings.load(given);
      seedAddresses = Member.seedAddresses(seeds);
      ClusterTls.apply(given.resolve()); // a missing cluster TLS store is named here, before anything starts
      keys = AccountKeys.resolve(settings);
      settings = keys.settings();
    } catch (SettingsException e) {
      err.println("batchgrid: bad setting " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (IllegalArgumentException | ConfigException e) {
      err.println("batchgrid: " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (UncheckedIOException e) {
      err.println("batchgrid: " + e.getMessage() + ": " + e.getCause().getMessage());
      return Main.EXIT_USAGE;
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "batchgrid",
        ServerConfig.forRoles(settings, given, List.of("api"), seedAddresses));
    ServerBinding binding;
    Optional<String> managementUrl;
    try {
      Member.joinAndAwaitUp(system, false);
      CoordinatorRole.startProxies(system);
      binding = ApiServer.start(system, settings, tls).toCompletableFuture().get(30, TimeUnit.SECONDS);
      managementUrl = Member.startManagement(system, management);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(system, "interrupted while starting");
    } catch (java.util.concurrent.ExecutionException e) {
      return fail(system, "cannot serve the API on " + settings.bind() + ":" + settings.port() + ": "
          + e.getCause().getMessage());
    } catch (Exception e) {
      return fail(system, "cannot start: " + e.getMessage());
    }
    out.println(ServerCommand.readyLine(settings, tls.enabled(), binding.localAddress()));
    managementUrl.ifPresent(u -> out.println("management: " + u + " (/alive, /ready, /cluster/members)"));
    keys.keyFile().ifPresent(f -> out.println("account key: " + f));
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
