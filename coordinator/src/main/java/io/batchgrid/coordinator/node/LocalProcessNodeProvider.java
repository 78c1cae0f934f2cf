package io.batchgrid.coordinator.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;

import com.typesafe.config.Config;

import io.batchgrid.protocol.node.NodeLayout;
import io.batchgrid.worker.NodeAgent;

/**
 * Compute nodes as worker JVMs on this host: each node is a {@code batchgrid worker} process started
 * from the same jar (or classpath) as this JVM, joining the cluster through this member's Artery
 * address. Its agent registers with its pool like an in-process one, but as a remote actor: when
 * the process dies the member is downed (Split Brain Resolver), remote death watch tells the pool,
 * and the pool asks for the node again through {@link #start}.
 *
 * <p>Each node logs to {@code <data>/nodes/<id>/agent.log} and leaves its pid in {@code agent.pid}
 * there (and the worker its cluster address in {@code agent.address}). A worker process that exits
 * without being stopped is downed at once rather than after the failure detector's seconds, and
 * the task processes it leaves behind (found by their working directory) are killed. Stopping a node is SIGTERM (the worker leaves the cluster and kills its tasks), then
 * SIGKILL after {@code batchgrid.local-process.stop-grace}. When this ActorSystem stops, its
 * workers get SIGTERM.
 *
 * <p>When this JVM dies without stopping (kill -9), its workers live on: they see the coordinator
 * unreachable, down themselves and, keeping their tasks running, try to join again through the seed
 * written to {@code <data>/}{@value #SEED_FILE} (the coordinator's cluster port may change across
 * restarts). A restarted coordinator's provider adopts them: {@link #start} for a node whose
 * {@code agent.pid} names a live {@code batchgrid worker} process of that node watches that process
 * instead of starting a second one, and the worker re-registers with its pool when it has joined.
 *
 * <p>Starting, waiting for and killing processes block: that runs on the worker module's blocking
 * dispatcher; the host actor only keeps the table of processes.
 */
public final class LocalProcessNodeProvider implements NodeProvider {
  /** Where a worker writes its cluster address, in its node directory (see the worker command). */
  public static final String ADDRESS_FILE = "agent.address";
  /** Where the coordinator writes its Artery HOST:PORT, in the data directory: the workers' seed. */
  public static final String SEED_FILE = "cluster.seed";
  /** Where the provider writes a worker's pid, in its node directory. */
  public static final String PID_FILE = "agent.pid";

  private sealed interface HostCommand {}

  private record Start(String poolId, List<String> nodeIds, int taskSlots) implements HostCommand {}

  private record Stop(List<String> nodeIds) implements HostCommand {}

  /** A worker process for the node: started now ({@code child} set) or adopted from an earlier coordinator. */
  private record Launched(String nodeId, ProcessHandle process, Process child, Throwable failure) implements HostCommand {}

  /** {@code exitCode} is null for an adopted process, whose exit status only its parent could read. */
  private record Exited(String nodeId, ProcessHandle process, Integer exitCode) implements HostCommand {}

  /** A worker that died on its own, and the cluster address it had written (null if none). */
  private record Died(String nodeId, ProcessHandle process, Address address, int orphansKilled) implements HostCommand {}

  /** How to start a worker process: the command up to (and excluding) the {@code worker} arguments. */
  public record Launcher(List<String> command, Duration stopGrace) {
    public Launcher {
      command = List.copyOf(command);
    }

    /**
     * The java of this JVM with the launcher's flags and the configured options, running the jar this
     * class was loaded from, or this JVM's classpath and the configured main class when it runs
     * from classes (tests).
     */
    public static Launcher of(Config config) {
      Config lp = config.getConfig("batchgrid.local-process");
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      // The same flags as the batchgrid launcher: fast process start, no thread per process exit.
      cmd.add("-Djdk.lang.Process.launchMechanism=VFORK");
      cmd.add("-Djava.util.concurrent.ForkJoinPool.common.parallelism=2");
      String home = System.getProperty("batchgrid.home");
      if (home != null) {
        cmd.add("-Dbatchgrid.home=" + home);
      }
      // Split-brain resolution derives from the journal (one coordinator or several), and every member
      // must decide alike: the workers get the coordinator's, however it was configured.
      if (config.hasPath("batchgrid.journal")) {
        cmd.add("-Dbatchgrid.journal=" + config.getString("batchgrid.journal"));
      }
      cmd.addAll(lp.getStringList("java-options"));
      Path code = codeSource();
      if (code != null && Files.isRegularFile(code) && code.toString().endsWith(".jar")) {
        cmd.add("-jar");
        cmd.add(code.toString());
      } else {
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(lp.getString("main-class"));
      }
      return new Launcher(cmd, lp.getDuration("stop-grace"));
    }

    private static Path codeSource() {
      try {
        var source = LocalProcessNodeProvider.class.getProtectionDomain().getCodeSource();
        return source == null ? null : Path.of(source.getLocation().toURI());
      } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
        return null;
      }
    }
  }

  private final ActorRef<HostCommand> host;

  private LocalProcessNodeProvider(ActorRef<HostCommand> host) {
    this.host = host;
  }

  /**
   * Starts the provider on a member that is already Up (its Artery address is the workers' seed).
   *
   * @param dataDir the data directory handed to workers (a node's root is {@code <data>/nodes/<id>})
   */
  public static LocalProcessNodeProvider start(ActorSystem<?> system, Path dataDir, String accountName,
      String accountUrl, Launcher launcher) {
    Address self = Cluster.get(system).selfMember().address();
    String seed = self.getHost().orElseThrow() + ":" + self.getPort().orElseThrow();
    try {
      // Workers that outlived an earlier coordinator read it to find this one.
      Files.createDirectories(dataDir);
      Path tmp = dataDir.resolve(SEED_FILE + ".tmp");
      Files.writeString(tmp, seed + "\n", StandardCharsets.US_ASCII);
      Files.move(tmp, dataDir.resolve(SEED_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dataDir.resolve(SEED_FILE), e);
    }
    return new LocalProcessNodeProvider(system.systemActorOf(
        Behaviors.setup(ctx -> new Host(ctx, dataDir.toAbsolutePath(), seed, accountName, accountUrl, launcher).behavior()),
        "node-processes", Props.empty()));
  }

  @Override
  public void start(String poolId, List<String> nodeIds, int taskSlots) {
    host.tell(new Start(poolId, List.copyOf(nodeIds), taskSlots));
  }

  @Override
  public void stop(String poolId, List<String> nodeIds) {
    host.tell(new Stop(List.copyOf(nodeIds)));
  }

  /** The one actor that knows which worker process runs which node. */
  private static final class Host {
    private final ActorContext<HostCommand> ctx;
    private final Path dataDir;
    private final String seed;
    private final String accountName;
    private final String accountUrl;
    private final Launcher launcher;
    private final Executor blocking;

    /** Nodes with a process starting (value null) or running. */
    private final Map<String, ProcessHandle> processes = new HashMap<>();
    /** Starts asked for while the node's previous process was still there: done when it exits. */
    private final Map<String, Start> pending = new HashMap<>();
    /** Nodes stopped while their process was still starting: stopped as soon as it is there. */
    private final Map<String, Boolean> stopWhenLaunched = new HashMap<>();
    /** Nodes whose worker died unasked and whose orphans are being killed: no new process yet. */
    private final java.util.Set<String> dying = new java.util.HashSet<>();
    /** Processes this provider is stopping: their exit is expected. */
    private final java.util.Set<ProcessHandle> stopping = new java.util.HashSet<>();

    Host(ActorContext<HostCommand> ctx, Path dataDir, String seed, String accountName, String accountUrl,
        Launcher launcher) {
      this.ctx = ctx;
      this.dataDir = dataDir;
      this.seed = seed;
      this.accountName = accountName;
      this.accountUrl = accountUrl;
      this.launcher = launcher;
      this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(NodeAgent.BLOCKING_DISPATCHER));
    }

    Behavior<HostCommand> behavior() {
      return Behaviors.receive(HostCommand.class)
          .onMessage(Start.class, this::onStart)
          .onMessage(Stop.class, this::onStop)
          .onMessage(Launched.class, this::onLaunched)
          .onMessage(Exited.class, this::onExited)
          .onMessage(Died.class, this::onDied)
          .onSignal(PostStop.class, s -> onPostStop())
          .build();
    }

    private Behavior<HostCommand> onStart(Start m) {
      for (String id : m.nodeIds()) {
        stopWhenLaunched.remove(id);
        if (dying.contains(id)) {
          pending.put(id, new Start(m.poolId(), List.of(id), m.taskSlots()));
          continue;
        }
        if (processes.containsKey(id)) {
          // Already starting or running. If the pool asks again, it has lost the node (the member was
          // downed) while the process lingers: start a new one once that one is gone.
          ProcessHandle p = processes.get(id);
          if (p != null) {
            pending.put(id, new Start(m.poolId(), List.of(id), m.taskSlots()));
          }
          continue;
        }
        launch(m.poolId(), id, m.taskSlots());
      }
      return Behaviors.same();
    }

    private void launch(String poolId, String nodeId, int slots) {
      processes.put(nodeId, null);
      List<String> cmd = new ArrayList<>(launcher.command());
      cmd.addAll(List.of("worker", "--seed", seed, "--seed-file", dataDir.resolve(SEED_FILE).toString(),
          "--pool", poolId, "--node", nodeId,
          "--slots", Integer.toString(slots), "--data", dataDir.toString(), "--bind", seedHost(),
          "--cluster-port", "0", "--account-name", accountName,
          // A reboot replaces the process: this provider starts the node again as a new one.
          "--exit-on-reboot"));
      if (accountUrl != null) {
        cmd.addAll(List.of("--account-url", accountUrl));
      }
      Path nodeDir = dataDir.resolve("nodes").resolve(nodeId);
      CompletableFuture<Launched> started = CompletableFuture.supplyAsync(() -> {
        ProcessHandle live = liveWorker(nodeDir, nodeId);
        if (live != null) {
          return new Launched(nodeId, live, null, null);
        }
        try {
          Files.createDirectories(nodeDir);
          ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(nodeDir.resolve("agent.log").toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
          // The server's own ports are not the worker's: the command line says what it uses.
          pb.environment().remove("BATCHGRID_CLUSTER_PORT");
          pb.environment().remove("BATCHGRID_PORT");
          Process p = pb.start();
          Files.writeString(nodeDir.resolve(PID_FILE), p.pid() + "\n", StandardCharsets.US_ASCII);
          return new Launched(nodeId, p.toHandle(), p, null);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }, blocking);
      ctx.pipeToSelf(started, (l, failure) -> l != null ? l : new Launched(nodeId, null, null, failure));
    }

    /**
     * The worker process an earlier coordinator started for this node, if it still runs: the pid in
     * its {@code agent.pid}, alive, and running {@code worker ... --node <id>} (a pid can be reused).
     * Blocking.
     */
    private static ProcessHandle liveWorker(Path nodeDir, String nodeId) {
      long pid;
      try {
        pid = Long.parseLong(Files.readString(nodeDir.resolve(PID_FILE), StandardCharsets.US_ASCII).trim());
      } catch (IOException | NumberFormatException e) {
        return null;
      }
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> {
        List<String> args = h.info().arguments().map(List::of).orElse(List.of());
        int node = args.indexOf("--node");
        return args.contains("worker") && node >= 0 && node + 1 < args.size() && args.get(node + 1).equals(nodeId);
      }).orElse(null);
    }

    private String seedHost() {
      return seed.substring(0, seed.lastIndexOf(':'));
    }

    private Behavior<HostCommand> onLaunched(Launched m) {
      if (m.failure() != null) {
        processes.remove(m.nodeId());
        // The pool sees the node never register; its resize timeout reports it.
        ctx.getLog().error("Cannot start worker process for node {}: {}", m.nodeId(), m.failure().toString());
        return Behaviors.same();
      }
      processes.put(m.nodeId(), m.process());
      if (m.child() != null) {
        ctx.getLog().info("Node {} runs as worker process {}", m.nodeId(), m.process().pid());
        ctx.pipeToSelf(m.child().onExit(), (p, failure) -> new Exited(m.nodeId(), m.process(), m.child().exitValue()));
      } else {
        // It keeps its tasks and registers again once it has joined this coordinator's cluster.
        ctx.getLog().info("Node {} adopts worker process {}, which outlived the previous coordinator", m.nodeId(),
            m.process().pid());
        ctx.pipeToSelf(m.process().onExit(), (p, failure) -> new Exited(m.nodeId(), m.process(), null));
      }
      if (stopWhenLaunched.remove(m.nodeId()) != null) {
        terminate(m.nodeId(), m.process());
      }
      return Behaviors.same();
    }

    private Behavior<HostCommand> onExited(Exited m) {
      if (processes.get(m.nodeId()) == m.process()) {
        processes.remove(m.nodeId());
      }
      ctx.getLog().info("Worker process {} of node {} exited with {}", m.process().pid(), m.nodeId(),
          m.exitCode() == null ? "a status only its first parent saw" : m.exitCode());
      if (stopping.remove(m.process())) {
        startPending(m.nodeId());
        return Behaviors.same();
      }
      // Died on its own (killed, crashed): the cluster would need the failure detector and the Split
      // Brain Resolver (seconds) to notice. This provider knows now, so it downs the member at once:
      // the pool's death watch fires and the jobs requeue the node's tasks. Before that, and before
      // any new process for the node can start (or rewrite the address file), the dead worker's task
      // processes are killed: they have lost their parent and nobody would report them.
      dying.add(m.nodeId());
      Path nodeDir = dataDir.resolve("nodes").resolve(m.nodeId());
      CompletableFuture<Died> died = CompletableFuture.supplyAsync(() -> {
        int killed = killOrphans(nodeDir.resolve(NodeLayout.WORKITEMS));
        Address address;
        try {
          address = AddressFromURIString.parse(Files.readString(nodeDir.resolve(ADDRESS_FILE), StandardCharsets.UTF_8).trim());
        } catch (IOException | RuntimeException e) {
          address = null;
        }
        return new Died(m.nodeId(), m.process(), address, killed);
      }, blocking);
      ctx.pipeToSelf(died, (d, failure) -> d != null ? d : new Died(m.nodeId(), m.process(), null, 0));
      return Behaviors.same();
    }

    /**
     * Kills the processes whose working directory is under {@code tasksDir}: the tasks (and what
     * they started) of a worker that died without killing them, re-parented to init by now. Linux
     * only ({@code /proc/<pid>/cwd}); elsewhere nothing is found. Blocking.
     */
    private static int killOrphans(Path dir) {
      Path tasksDir;
      try {
        tasksDir = dir.toRealPath(); // the kernel reports working directories with symlinks resolved
      } catch (IOException e) {
        return 0; // no tasks ever ran there
      }
      int[] killed = {0};
      ProcessHandle.allProcesses().forEach(p -> {
        try {
          Path cwd = Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd"));
          if (cwd.startsWith(tasksDir) && p.destroyForcibly()) {
            killed[0]++;
          }
        } catch (IOException | RuntimeException e) {
          // gone meanwhile, not ours to read, or no /proc
        }
      });
      return killed[0];
    }

    private Behavior<HostCommand> onDied(Died m) {
      dying.remove(m.nodeId());
      if (m.orphansKilled() > 0) {
        ctx.getLog().info("Killed {} task processes left behind by node {}", m.orphansKilled(), m.nodeId());
      }
      if (m.address() != null) {
        ctx.getLog().warn("Worker process {} of node {} died: downing its member {}", m.process().pid(), m.nodeId(),
            m.address());
        Cluster.get(ctx.getSystem()).manager().tell(new Down(m.address()));
      }
      startPending(m.nodeId());
      return Behaviors.same();
    }

    private void startPending(String nodeId) {
      Start again = pending.remove(nodeId);
      if (again != null && !processes.containsKey(nodeId)) {
        launch(again.poolId(), nodeId, again.taskSlots());
      }
    }

    private Behavior<HostCommand> onStop(Stop m) {
      for (String id : m.nodeIds()) {
        pending.remove(id);
        if (!processes.containsKey(id)) {
          continue;
        }
        ProcessHandle p = processes.get(id);
        if (p == null) {
          stopWhenLaunched.put(id, true);
        } else {
          terminate(id, p);
        }
      }
      return Behaviors.same();
    }

    /** SIGTERM, then SIGKILL after the grace period; the exit arrives as {@link Exited}. */
    private void terminate(String nodeId, ProcessHandle p) {
      ctx.getLog().info("Stopping worker process {} of node {}", p.pid(), nodeId);
      stopping.add(p);
      long graceMs = launcher.stopGrace().toMillis();
      CompletableFuture.runAsync(() -> {
        p.destroy();
        try {
          p.onExit().get(graceMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
          p.destroyForcibly();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          p.destroyForcibly();
        }
      }, blocking);
    }

    private Behavior<HostCommand> onPostStop() {
      // This member is going away: its workers would have no coordinator. SIGTERM does not block.
      processes.values().forEach(p -> {
        if (p != null) {
          p.destroy();
        }
      });
      return Behaviors.same();
    }
  }
}
