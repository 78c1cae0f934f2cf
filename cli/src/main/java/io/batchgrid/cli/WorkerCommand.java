package io.batchgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.config.ManagementSettings;
import io.batchgrid.config.Settings;
import io.batchgrid.coordinator.node.LocalProcessNodeProvider;
import io.batchgrid.worker.NodeAgent;
import io.batchgrid.worker.NodeConfig;
import io.batchgrid.worker.NonVotingFailureDetector;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code batchgrid worker}: one compute node in its own JVM. Joins the cluster through a seed node
 * (a coordinator's Artery address) with role "worker" and runs the node's agent, which finds the
 * coordinator's gateway through the receptionist and registers with its pool.
 *
 * <p>The agent is the ActorSystem's guardian: when it retires (its pool removed the node) the system
 * terminates, the node's task processes are killed and the process exits; SIGTERM leaves the
 * cluster gracefully and ends the same way. When this member is downed (its coordinator died, or a
 * partition cut it off) or cannot join, the process does not end: the task processes keep running
 * and a new ActorSystem joins the seed again (re-read from {@code --seed-file} when given), as a new
 * incarnation whose agent takes over the work ({@link NodeAgent.Work}) and re-registers. Only after
 * {@code batchgrid.worker.reconnect-timeout} without a cluster does it kill its tasks and exit.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one compute node of a pool as its own process, joined to a batchgrid cluster.",
      "The local-process node provider starts these; they can also be started by hand."
    })
public final class WorkerCommand implements Callable<Integer> {

  @Option(names = "--seed", paramLabel = "HOST:PORT",
      description = "Artery address of a coordinator (the server's cluster port) to join through; repeat it for"
          + " every coordinator of a cluster that has several, so that the worker can join again through any of them.")
  List<String> seeds;

  @Option(names = "--seed-file", paramLabel = "FILE",
      description = "A file holding the coordinator's HOST:PORT, read again before every join (the local-process"
          + " provider names <data>/" + LocalProcessNodeProvider.SEED_FILE + ", which the server rewrites when it starts;"
          + " several separated by spaces, commas or lines); --seed is used while it is missing.")
  Path seedFile;

  @Option(names = "--reconnect-timeout", paramLabel = "DURATION",
      description = "How long the node keeps its tasks running and tries to join again without a cluster before it"
          + " gives up, e.g. 10m (batchgrid.worker.reconnect-timeout; default 10m).")
  String reconnectTimeout;

  @Option(names = "--pool", required = true, paramLabel = "ID", description = "Pool the node belongs to.")
  String pool;

  @Option(names = "--node", required = true, paramLabel = "NODEID", description = "The node's id (stable across restarts).")
  String node;

  @Option(names = "--labels", split = ",", paramLabel = "LABEL",
      description = "Labels of this worker, comma-separated (e.g. gpu,linux): a pool of the static provider claims it"
          + " only if it has every label in the pool's metadata batchgrid.labels.")
  List<String> labels = List.of();

  @Option(names = "--slots", defaultValue = "1", paramLabel = "N", description = "Task slots (default 1).")
  int slots;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Data directory; the node's root is DIR/nodes/NODEID (batchgrid.data-dir; default ./data).")
  Path data;

  @Option(names = "--bind", paramLabel = "HOST",
      description = "Host name or address this node's Artery binds to and is reached at (default 127.0.0.1).")
  String bind;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "Artery port of this node (batchgrid.cluster.port; default 0 = any free port).")
  Integer clusterPort;

  @Option(names = "--advertise-port", paramLabel = "PORT",
      description = "Artery port other members reach this node at, when it differs from the --cluster-port it binds"
          + " (behind NAT or a port-forwarding proxy). Needs --cluster-port.")
  Integer advertisePort;

  @Option(names = "--management-port", paramLabel = "PORT",
      description = "Port of this worker's /alive, /ready and /cluster/members (batchgrid.management.port; default 0 ="
          + " any free port, printed at start and kept when the worker joins again).")
  Integer managementPort;

  @Option(names = "--account-name", paramLabel = "NAME",
      description = "Batch account name tasks see as AZ_BATCH_ACCOUNT_NAME (batchgrid.account.name).")
  String accountName;

  @Option(names = "--account-url", paramLabel = "URL",
      description = "Batch account URL tasks see as AZ_BATCH_ACCOUNT_URL (default: unset).")
  String accountUrl;

  @Option(names = "--exit-on-reboot",
      description = "Exit when the pool reboots or reimages the node, for whoever started this process to start it"
          + " again (the local-process provider does); by default the worker starts the node again itself.")
  boolean exitOnReboot;

  /** The management port every incarnation serves on: chosen once when the settings say 0 (any free port). */
  private Integer chosenManagementPort;

  private final PrintStream out;
  private final PrintStream err;

  public WorkerCommand() {
    this(System.out, System.err);
  }

  WorkerCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** The seed as an Artery address of the cluster "batchgrid". */
  static String seedAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("--seed must be HOST:PORT, was " + hostPort);
    }
    int port = Integer.parseInt(hostPort.substring(colon + 1));
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("--seed port out of range: " + port);
    }
    return "pekko://batchgrid@" + hostPort.substring(0, colon) + ":" + port;
  }

  /** The worker's configuration: the cluster settings of the server, role "worker", the seed nodes. */
  Config config(Config base) {
    return config(base, seeds);
  }

  /** The configuration of one incarnation, joining through {@code seedsNow} (HOST:PORT each). */
  Config config(Config base, List<String> seedsNow) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("pekko.cluster.roles", List.of("worker"));
    o.put("pekko.cluster.seed-nodes", Member.seedAddresses(seedsNow));
    o.putAll(ServerConfig.downing(io.batchgrid.config.JournalSettings.load(base)));
    // A worker never marks another member unreachable, so that its view of the network never makes
    // the Split Brain Resolver down a coordinator (see NonVotingFailureDetector); it heartbeats one
    // member only, as its heartbeats decide nothing. Its agent probes the coordinators instead.
    o.put("pekko.cluster.failure-detector.implementation-class", NonVotingFailureDetector.class.getName());
    o.put("pekko.cluster.failure-detector.monitored-by-nr-of-members", 1);
    // One join attempt ends after this; the command then starts another incarnation, with the seed
    // read again, until reconnect-timeout.
    o.put("pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes",
        base.getString("batchgrid.worker.join-attempt-timeout"));
    if (reconnectTimeout != null) {
      o.put("batchgrid.worker.reconnect-timeout", reconnectTimeout);
    }
    if (data != null) {
      o.put(Settings.DATA_DIR, data.toString());
    }
    if (bind != null) {
      o.put("pekko.remote.artery.canonical.hostname", bind);
    }
    if (clusterPort != null) {
      o.put(ServerConfig.CLUSTER_PORT, clusterPort);
      o.put(ServerConfig.ARTERY_PORT, clusterPort); // the base config is resolved already
    }
    if (advertisePort != null) {
      if (clusterPort == null) {
        throw new IllegalArgumentException("--advertise-port needs --cluster-port (the port to bind)");
      }
      o.put(ServerConfig.ARTERY_PORT, advertisePort);
      o.put("pekko.remote.artery.bind.port", clusterPort);
    }
    if (accountName != null) {
      o.put(Settings.ACCOUNT_NAME, accountName);
    }
    Integer management = chosenManagementPort != null ? chosenManagementPort : managementPort;
    if (management != null) {
      o.put(ManagementSettings.PORT, management);
    }
    Config c = ClusterTls.apply(ConfigFactory.parseMap(o, "batchgrid worker command line").withFallback(base).resolve());
    ManagementSettings m = ManagementSettings.load(c);
    return ConfigFactory.parseMap(Map.of("pekko.management.http.hostname", m.bind(), "pekko.management.http.port", m.port()),
        "batchgrid worker management").withFallback(c);
  }

  /**
   * The seeds to join through now: the seed file's (HOST:PORT separated by spaces, commas or lines)
   * when it exists and names any, else the {@code --seed} options.
   */
  List<String> currentSeeds() {
    if (seedFile != null) {
      try {
        String s = Files.readString(seedFile, StandardCharsets.UTF_8).trim();
        if (!s.isEmpty()) {
          return List.of(s.split("[\\s,]+"));
        }
      } catch (IOException e) {
        // not written yet: the command line's seeds
      }
    }
    if (seeds == null || seeds.isEmpty()) {
      throw new IllegalArgumentException("no seed: give --seed HOST:PORT, or a --seed-file that exists");
    }
    return seeds;
  }

  @Override
  public Integer call() {
    Config base;
    Config first;
    NodeConfig node;
    Duration reconnect;
    try {
      if ((seeds == null || seeds.isEmpty()) && seedFile == null) {
        throw new IllegalArgumentException("give --seed HOST:PORT or --seed-file FILE");
      }
      base = ConfigFactory.load();
      first = config(base, currentSeeds());
      ManagementSettings management = ManagementSettings.load(first);
      if (management.enabled()) {
        chosenManagementPort = Member.managementPort(management);
        first = config(base, currentSeeds());
      }
      Path dataDir = Path.of(first.getString(Settings.DATA_DIR));
      node = new NodeConfig(pool, this.node, slots, dataDir.resolve("nodes").resolve(this.node),
          first.getString(Settings.ACCOUNT_NAME), accountUrl, labels);
      reconnect = first.getDuration("batchgrid.worker.reconnect-timeout");
    } catch (io.batchgrid.config.SettingsException e) {
      err.println("batchgrid: bad setting " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (IllegalArgumentException | ConfigException e) {
      err.println("batchgrid: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    // Task starts, kills and file staging run here rather than on a dispatcher: they must go on
    // between two ActorSystems of this process.
    ExecutorService blocking = Executors.newFixedThreadPool(
        first.getInt("batchgrid.worker.blocking-dispatcher.thread-pool-executor.fixed-pool-size"), r -> {
          Thread t = new Thread(r, "batchgrid-node-blocking");
          t.setDaemon(true);
          return t;
        });
    NodeAgent.Work work = NodeAgent.Work.survivingMembership(blocking);
    long lostSince = System.nanoTime(); // no cluster yet
    int exit;
    for (int incarnation = 1; ; incarnation++) {
      Config config;
      List<String> seedsNow;
      try {
        seedsNow = currentSeeds();
        config = incarnation == 1 ? first : config(base, seedsNow);
      } catch (IllegalArgumentException | ConfigException e) {
        err.println("batchgrid: " + e.getMessage());
        exit = Main.EXIT_USAGE;
        break;
      }
      ActorSystem<?> system = ActorSystem.create(NodeAgent.create(node, work), "batchgrid", config);
      AtomicBoolean up = new AtomicBoolean();
      org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.set(true));
      var address = Cluster.get(system).selfMember().address();
      try {
        // The local-process provider downs this member by it as soon as it sees the process die.
        Files.createDirectories(node.nodeRoot());
        Files.writeString(node.nodeRoot().resolve(LocalProcessNodeProvider.ADDRESS_FILE), address + "\n",
            StandardCharsets.UTF_8);
      } catch (IOException e) {
        err.println("batchgrid: cannot write the node's address file: " + e);
      }
      out.println("batchgrid worker ready: node " + node.nodeId() + " of pool " + node.poolId()
          + " at " + address + " joining " + String.join(",", Member.seedAddresses(seedsNow))
          + " root=" + node.nodeRoot() + (incarnation > 1 ? " incarnation=" + incarnation : ""));
      // Management lives with the ActorSystem: each incarnation serves it again, on the same port.
      try {
        Member.startManagement(system, ManagementSettings.load(config))
            .ifPresent(u -> out.println("management: " + u + " (/alive, /ready, /cluster/members)"));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        err.println("batchgrid: worker " + node.nodeId() + " serves no management endpoints: " + e);
      }
      out.flush();
      system.getWhenTerminated().toCompletableFuture().join();
      var reason = CoordinatedShutdown.get(system).getShutdownReason();
      if (!NodeAgent.membershipLost(reason)) {
        if (work.restartAsked() && !exitOnReboot) {
          // Rebooted or reimaged by its pool, with nothing left running: the node starts again as a
          // new agent with new work, which registers as back from its reboot and runs the start task.
          err.println("batchgrid: worker " + node.nodeId() + " was rebooted by its pool; starting the node again");
          err.flush();
          work = NodeAgent.Work.survivingMembership(blocking);
          lostSince = System.nanoTime();
          continue;
        }
        exit = 0; // retired, or asked to stop
        break;
      }
      boolean downed = reason.get().equals(CoordinatedShutdown.clusterDowningReason());
      long now = System.nanoTime();
      if (up.get()) {
        lostSince = now; // it had a cluster until now
      }
      if (now - lostSince >= reconnect.toNanos()) {
        err.println("batchgrid: worker " + node.nodeId() + " found no cluster for " + reconnect.toSeconds()
            + " s: it stops, and its tasks with it");
        exit = 1;
        break;
      }
      err.println("batchgrid: worker " + node.nodeId() + (downed ? " was downed by the cluster"
          : " left its cluster (" + reason.get() + ")")
          + "; " + work.attempts() + " tasks keep running, " + work.unacknowledged()
          + " outcomes wait to be reported; joining again");
      err.flush();
    }
    // Nobody would report what still runs: the tasks die with the process.
    work.killAll();
    blocking.shutdown();
    try {
      blocking.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
    return exit;
  }
}
