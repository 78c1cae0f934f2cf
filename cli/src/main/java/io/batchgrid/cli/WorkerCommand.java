package io.batchgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.batchgrid.config.Settings;
import io.batchgrid.coordinator.node.LocalProcessNodeProvider;
import io.batchgrid.worker.NodeAgent;
import io.batchgrid.worker.NodeConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
 * terminates and the process exits. When this member is downed (the coordinator lost sight of it,
 * or it of the coordinator) coordinated shutdown ends it the same way. SIGTERM leaves the cluster
 * gracefully. In every case the node's task processes are killed: nobody would report them.
 */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one compute node of a pool as its own process, joined to a batchgrid cluster.",
      "The local-process node provider starts these; they can also be started by hand."
    })
public final class WorkerCommand implements Callable<Integer> {

  @Option(names = "--seed", required = true, paramLabel = "HOST:PORT",
      description = "Artery address of a coordinator (the server's cluster port) to join through.")
  String seed;

  @Option(names = "--pool", required = true, paramLabel = "ID", description = "Pool the node belongs to.")
  String pool;

  @Option(names = "--node", required = true, paramLabel = "NODEID", description = "The node's id (stable across restarts).")
  String node;

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

  @Option(names = "--account-name", paramLabel = "NAME",
      description = "Batch account name tasks see as AZ_BATCH_ACCOUNT_NAME (batchgrid.account.name).")
  String accountName;

  @Option(names = "--account-url", paramLabel = "URL",
      description = "Batch account URL tasks see as AZ_BATCH_ACCOUNT_URL (default: unset).")
  String accountUrl;

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

  /** The worker's configuration: the cluster settings of the server, role "worker", the seed node. */
  Config config(Config base) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("pekko.cluster.roles", List.of("worker"));
    o.put("pekko.cluster.seed-nodes", List.of(seedAddress(seed)));
    // A worker that cannot reach its coordinator at start gives up instead of lingering.
    o.put("pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes", "60s");
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
    if (accountName != null) {
      o.put(Settings.ACCOUNT_NAME, accountName);
    }
    return ConfigFactory.parseMap(o, "batchgrid worker command line").withFallback(base).resolve();
  }

  @Override
  public Integer call() {
    Config config;
    NodeConfig node;
    try {
      config = config(ConfigFactory.load());
      Path dataDir = Path.of(config.getString(Settings.DATA_DIR));
      node = new NodeConfig(pool, this.node, slots, dataDir.resolve("nodes").resolve(this.node),
          config.getString(Settings.ACCOUNT_NAME), accountUrl);
    } catch (IllegalArgumentException | ConfigException e) {
      err.println("batchgrid: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    ActorSystem<?> system = ActorSystem.create(NodeAgent.create(node), "batchgrid", config);
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
        + " at " + address + " joining " + seedAddress(seed)
        + " root=" + node.nodeRoot());
    out.flush();
    system.getWhenTerminated().toCompletableFuture().join();
    // The agent kills its task processes when it stops, off its thread; whatever is left dies with us.
    ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
    var reason = CoordinatedShutdown.get(system).getShutdownReason();
    if (reason.isPresent() && reason.get().equals(CoordinatedShutdown.clusterDowningReason())) {
      err.println("batchgrid: worker " + node.nodeId() + " was downed by the cluster");
      return 1;
    }
    return 0;
  }
}
