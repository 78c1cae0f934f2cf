package io.batchgrid.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.pekko.actor.ActorIdentity;
import org.apache.pekko.actor.Identify;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;

import com.typesafe.config.Config;

import io.batchgrid.config.AutoStorage;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.CoordinatorMessage.RegisterNode;
import io.batchgrid.protocol.node.NodeFile;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeMessage.FileContent;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.NodeStatus;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.ApplicationPackageReference;
import io.batchgrid.worker.staging.BlobTransfer;
import io.batchgrid.worker.staging.FileStaging;

/**
 * The agent of one compute node: registers the node with a coordinator gateway, runs the attempts
 * it is given in the node's task slots ({@link TaskRunner}), reports how they end in per-job
 * batches ({@link ReportBook}) and serves the node's files ({@link NodeFiles}).
 *
 * <p>The actor only wires those parts together. Everything that blocks (process start and kill,
 * directories, file stat and listing) runs on the {@value #BLOCKING_DISPATCHER} dispatcher and
 * comes back to the actor with {@code pipeToSelf}.
 *
 * <p>Settings: {@code batchgrid.worker.register-interval}, {@code batchgrid.worker.report-resend-after},
 * {@value #BLOCKING_DISPATCHER}.
 */
public final class NodeAgent {
  public static final String BLOCKING_DISPATCHER = "batchgrid.worker.blocking-dispatcher";

  /**
   * The node's agent. Its public protocol is {@link NodeMessage}; its own ref is what it hands the
   * coordinator in {@link RegisterNode} and as {@code replyTo} of its reports.
   */
  public static Behavior<NodeMessage> create(NodeConfig config) {
    return create(config, new Work(null, false));
  }

  /**
   * The node's agent over {@code work}: what an earlier agent of the node left running (see
   * {@link Work}). The agent takes over its running attempts, queued attempts and unacknowledged
   * reports, and tells its pool about them when it registers.
   */
  public static Behavior<NodeMessage> create(NodeConfig config, Work work) {
    Behavior<Command> agent = Behaviors.setup(ctx ->
        Behaviors.withTimers(timers -> new NodeAgent(ctx, timers, config, work).behavior()));
    // The mailbox takes NodeMessages from outside, wrapped into Inbound here, and the agent's private
    // Commands (adapters, pipeToSelf, timers), which pass the interceptor untouched.
    return Behaviors.transformMessages(NodeMessage.class, agent, pf -> pf.match(NodeMessage.class, Inbound::new));
  }

  /**
   * What a node runs and owes, kept apart from its agent so that it can outlive the agent's
   * ActorSystem. A worker process whose cluster membership ends because it lost sight of its
   * coordinator (it downed itself when the coordinator died, or was downed across a partition)
   * starts a new ActorSystem and a new agent over the same Work: its task processes keep running,
   * queued attempts stay queued, and the outcomes not yet acknowledged are reported to the
   * coordinator it joins next (DESIGN rule 4). Owned by one agent at a time; between two agents
   * only the runners touch it, by completing their outcomes.
   */
  public static final class Work {
    private final Executor blocking;
    private final boolean survivesMembership;
    private final Map<AttemptKey, Running> running = new HashMap<>();
    /**
     * Instances of multi-instance tasks whose coordination command succeeded: they keep their slot
     * (and what the command started) until the task ends, or — the primary — until told to run the
     * task's command line.
     */
    private final Map<AttemptKey, Running> holding = new HashMap<>();
    /** Running and waiting attempts, so a RunTasks delivered twice does not run an attempt twice. */
    private final Set<AttemptKey> accepted = new HashSet<>();
    private SlotQueue<TaskLaunch> slots;
    private ReportBook reports;
    private StartTask startTask;
    private long totalTasksRun;
    private long totalTasksSucceeded;
    /** The agent stopped because its pool rebooted or reimaged the node. */
    private volatile boolean restartAsked;

    private Work(Executor blocking, boolean survivesMembership) {
      this.blocking = blocking;
      this.survivesMembership = survivesMembership;
    }

    /**
     * Work of a worker process: its tasks survive an agent whose cluster membership ended (downed,
     * or it could not join), and their blocking steps run on {@code blocking}, which must outlive
     * every ActorSystem of the process (a dispatcher dies with its system).
     */
    public static Work survivingMembership(Executor blocking) {
      return new Work(Objects.requireNonNull(blocking, "blocking"), true);
    }

    /**
     * Whether the agent stopped because its pool rebooted or reimaged the node (everything it ran
     * has ended): the node is to start again as a new one, with new work.
     */
    public boolean restartAsked() {
      return restartAsked;
    }

    /** Attempts running or waiting for a slot. Call only while no agent runs. */
    public int attempts() {
      return running.size() + holding.size() + (slots == null ? 0 : slots.waiting());
    }

    /** Outcomes not yet acknowledged by their jobs. Call only while no agent runs. */
    public int unacknowledged() {
      return reports == null ? 0 : reports.unacknowledged();
    }

    /** Kills every running attempt and forgets the waiting ones: the process is about to exit. Call only while no agent runs. */
    public void killAll() {
      running.values().forEach(r -> r.runner().terminate());
      running.values().stream().filter(r -> r.coordination() != null).forEach(r -> r.coordination().killLeftovers());
      holding.values().forEach(r -> r.runner().killLeftovers());
      if (slots != null) {
        slots.clearWaiting();
      }
      if (startTask != null) {
        startTask.terminate();
      }
    }
  }

  /** What the agent handles: its public messages and the results of its own asynchronous work. */
  private sealed interface Command {}

  private record Inbound(NodeMessage message) implements Command {}

  private record GatewaysChanged(Receptionist.Listing listing) implements Command {}

  private enum RegisterTick implements Command { INSTANCE }

  /** The pool entity that accepted the registration has stopped (its coordinator died, or it moved). */
  private record PoolStopped(ActorRef<?> pool) implements Command {}

  private enum ResendTick implements Command { INSTANCE }

  /** Time to probe the coordinators' gateways (worker processes only). */
  private enum ProbeTick implements Command { INSTANCE }

  /** A gateway answered a probe ({@link Identify}, which every actor answers). */
  private record GatewayAnswered(ActorIdentity identity) implements Command {}

  private record AttemptEnded(AttemptKey key, TaskOutcome outcome) implements Command {}

  private record FilesListed(List<NodeFile> files, Throwable failure, ActorRef<StatusReply<List<NodeFile>>> replyTo)
      implements Command {}

  private record FileDeleted(Throwable failure, ActorRef<StatusReply<org.apache.pekko.Done>> replyTo) implements Command {}
  private record LogsUploaded(NodeMessage.UploadedLogs uploaded, Throwable failure,
      ActorRef<StatusReply<NodeMessage.UploadedLogs>> replyTo) implements Command {}

  private record FileOpened(FileContent content, Throwable failure, ActorRef<StatusReply<FileContent>> replyTo)
      implements Command {}

  /** A reimage has deleted the node's files (or failed to): the agent stops now. */
  private record Wiped(Throwable failure) implements Command {}

  private record StartTaskAttemptEnded(NodeTaskRunner runner, NodeTaskRunner.Attempt attempt) implements Command {}

  private record AttemptKey(String jobId, String taskId, int attempt) {
    static AttemptKey of(TaskLaunch launch) {
      return new AttemptKey(launch.jobId(), launch.taskId(), launch.attempt());
    }
  }

  /**
   * An attempt in a slot. {@code jobTask}: a job preparation or release task, which takes no slot and
   * is not one of the node's tasks run. {@code coordination} is the runner of a multi-instance task's
   * coordination command that ran before in this slot (null otherwise): what it left in the
   * background goes when the attempt ends.
   */
  private record Running(TaskRunner runner, int slots, long startTimeMs, boolean jobTask, TaskRunner coordination) {}

  private record LeftoversKilled(Running released) implements Command {}

  /** A task's retention time is up (also the timer's key: one per task). */
  private record RetentionDue(String jobId, String taskId) implements Command {}

  private record RetentionsPending(List<Retention.Due> due) implements Command {}

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final NodeConfig config;
  private final Executor blocking;
  private final FileStaging staging;
  private final ApplicationPackages packages;
  private final Retention retention;
  /** Who non-admin tasks run as (resolved on first use, on the blocking executor). */
  private final TaskUser taskUser;
  /** The gateway as threads outside the actor see it: package downloads ask it from the blocking pool. */
  private final AtomicReference<ActorRef<CoordinatorMessage>> currentGateway = new AtomicReference<>();
  /** The pool's application packages, from its Registered answer: every task on the node gets them. */
  private List<ApplicationPackageReference> poolPackages = List.of();
  private final Materializer materializer;
  private final Duration registerInterval;
  /** The agent's ref as the outside sees it: it accepts NodeMessage through the interceptor in {@link #create}. */
  private final ActorRef<NodeMessage> self;

  private final Work work;
  private final SlotQueue<TaskLaunch> slots;
  private final Map<AttemptKey, Running> running;
  private final Map<AttemptKey, Running> holding;
  /** Running and waiting attempts, so a RunTasks delivered twice does not run an attempt twice. */
  private final Set<AttemptKey> accepted;
  private final ReportBook reports;
  private final StartTask startTask;

  private Set<ActorRef<CoordinatorMessage>> gateways = Set.of();
  /** Gateways that have left: reports addressed to them go to the current gateway instead. */
  private final Set<ActorRef<CoordinatorMessage>> departedGateways = new HashSet<>();
  private ActorRef<CoordinatorMessage> gateway;
  private boolean registered;
  /** The pool entity that last accepted the registration, watched: the node registers again when it stops. */
  private ActorRef<?> watchedPool;

  /**
   * Worker processes: how long the member may hear from no coordinator before it downs itself
   * ({@code batchgrid.worker.coordinator-lost-after}); null in a coordinator's JVM.
   */
  private final Duration coordinatorLostAfter;
  /** Where gateways answer probes; null when there are none. */
  private final ActorRef<ActorIdentity> probeReplies;
  /** When a gateway last answered (System.nanoTime); 0 until this member is up. */
  private long heardFromCoordinator;
  private boolean downingSelf;

  /** Null, or rebooting (false) or reimaging (true): waiting for what runs to end, then stopping. */
  private Boolean rebooting;

  private NodeState state = NodeState.IDLE;
  private long stateTransitionTimeMs = System.currentTimeMillis();
  private long totalTasksRun;
  private long totalTasksSucceeded;

  private NodeAgent(ActorContext<Command> ctx, TimerScheduler<Command> timers, NodeConfig config, Work work) {
    this.ctx = ctx;
    this.timers = timers;
    this.config = config;
    this.work = work;
    this.blocking = work.blocking != null ? work.blocking
        : ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER));
    this.staging = new FileStaging(AutoStorage.load(ctx.getSystem().settings().config()), BlobTransfer.shared());
    this.materializer = Materializer.matFromSystem(ctx.getSystem());
    this.packages = new ApplicationPackages(config.nodeRoot(), currentGateway::get, ctx.getSystem(), blocking);
    this.retention = new Retention(config.nodeRoot());
    this.taskUser = TaskUser.configured(ctx.getSystem().settings().config().getString("batchgrid.worker.task-user"));
    this.self = ctx.getSelf().unsafeUpcast();
    if (work.slots == null) {
      work.slots = new SlotQueue<>(config.taskSlots());
    }
    this.slots = work.slots;
    this.running = work.running;
    this.holding = work.holding;
    this.accepted = work.accepted;
    this.totalTasksRun = work.totalTasksRun;
    this.totalTasksSucceeded = work.totalTasksSucceeded;
    if (work.startTask == null) {
      work.startTask = new StartTask(config, blocking, staging);
    }
    this.startTask = work.startTask;

    Config settings = ctx.getSystem().settings().config().getConfig("batchgrid.worker");
    this.registerInterval = settings.getDuration("register-interval");
    Duration resendAfter = settings.getDuration("report-resend-after");
    ReportBook.Sender sender = (to, report) -> route(to).tell(report);
    if (work.reports == null) {
      work.reports = new ReportBook(config.poolId(), config.nodeId(), self, sender, resendAfter.toNanos());
    } else {
      work.reports.reattach(self, sender);
    }
    this.reports = work.reports;
    // Attempts an earlier agent of this node started: their outcomes come here now (at once for
    // those that ended in between).
    running.forEach((key, r) -> pipeOutcome(key, r.runner()));
    if (startTask.current() != null) {
      awaitStartTask(startTask.current()); // a start task attempt that was running at the handover
    }
    updateState();
    // A report waits at most resendAfter plus a third of it before it goes again.
    timers.startTimerWithFixedDelay(ResendTick.INSTANCE, resendAfter.dividedBy(3));
    if (work.survivesMembership && ctx.getSystem().settings().classicSettings().ProviderClass()
        .equals("org.apache.pekko.cluster.ClusterActorRefProvider")) {
      // A worker process does not detect failures of other members (NonVotingFailureDetector): it
      // learns that it lost its coordinators from these probes (members of a cluster only).
      this.coordinatorLostAfter = settings.getDuration("coordinator-lost-after");
      this.probeReplies = ctx.messageAdapter(ActorIdentity.class, GatewayAnswered::new);
      timers.startTimerWithFixedDelay(ProbeTick.INSTANCE, settings.getDuration("coordinator-probe-interval"));
    } else {
      this.coordinatorLostAfter = null;
      this.probeReplies = null;
    }
    // Deadlines set before a restart of the worker: due ones go now, the others when they are due.
    ctx.pipeToSelf(CompletableFuture.supplyAsync(retention::pending, blocking),
        (due, failure) -> new RetentionsPending(due == null ? List.of() : due));

    ctx.getSystem().receptionist().tell(Receptionist.subscribe(CoordinatorMessage.GATEWAY_KEY,
        ctx.messageAdapter(Receptionist.Listing.class, GatewaysChanged::new)));
    ctx.getLog().info("Node {} of pool {} started, root {}, {} slots, {} attempts and {} outcomes carried over",
        config.nodeId(), config.poolId(), config.nodeRoot(), config.taskSlots(), work.attempts(),
        reports.unacknowledged());
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Inbound.class, in -> onInbound(in.message()))
        .onMessage(GatewaysChanged.class, this::onGatewaysChanged)
        .onMessageEquals(RegisterTick.INSTANCE, this::onRegisterTick)
        .onMessage(PoolStopped.class, stopped -> {
          if (stopped.pool().equals(watchedPool)) {
            // It starts again on a surviving coordinator (from its journal), knowing no node: tell it.
            ctx.getLog().info("Node {} of pool {}: the pool's entity stopped; registering again", config.nodeId(),
                config.poolId());
            watchedPool = null;
            registerAgain();
          }
          return Behaviors.same();
        })
        .onMessageEquals(ResendTick.INSTANCE, this::onResendTick)
        .onMessageEquals(ProbeTick.INSTANCE, this::onProbeTick)
        .onMessage(GatewayAnswered.class, a -> {
          if (a.identity().getActorRef().isPresent()) {
            heardFromCoordinator = System.nanoTime();
          }
          return Behaviors.same();
        })
        .onMessage(AttemptEnded.class, this::onAttemptEnded)
        .onMessage(RetentionDue.class, this::onRetentionDue)
        .onMessage(RetentionsPending.class, p -> {
          long now = System.currentTimeMillis();
          p.due().forEach(d -> timers.startSingleTimer(new RetentionDue(d.jobId(), d.taskId()),
              Duration.ofMillis(Math.max(0, d.deadlineMs() - now))));
          return Behaviors.same();
        })
        .onMessage(LeftoversKilled.class, done -> {
          slots.release(done.released().slots());
          startWhatFits();
          return Behaviors.same();
        })
        .onMessage(StartTaskAttemptEnded.class, this::onStartTaskAttemptEnded)
        .onMessage(Wiped.class, w -> {
          if (w.failure() != null) {
            ctx.getLog().error("Node {} of pool {} could not delete all its files: {}", config.nodeId(), config.poolId(),
                String.valueOf(cause(w.failure())));
          }
          ctx.getLog().info("Node {} of pool {} stops to restart", config.nodeId(), config.poolId());
          work.restartAsked = true;
          return Behaviors.stopped();
        })
        .onMessage(FilesListed.class, this::onFilesListed)
        .onMessage(FileOpened.class, this::onFileOpened)
        .onMessage(FileDeleted.class, done -> {
          done.replyTo().tell(done.failure() == null ? StatusReply.ack() : StatusReply.error(cause(done.failure())));
          return Behaviors.same();
        })
        .onMessage(LogsUploaded.class, done -> {
          done.replyTo().tell(done.failure() == null ? StatusReply.success(done.uploaded())
              : StatusReply.error(cause(done.failure())));
          return Behaviors.same();
        })
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onInbound(NodeMessage message) {
    // NodeMessage is sealed: this covers it (Java 17 has no pattern switch yet).
    if (rebooting != null && (message instanceof NodeMessage.RunTasks || message instanceof NodeMessage.RunJobTask
        || message instanceof NodeMessage.Reboot)) {
      return Behaviors.same(); // it is going: the pool took its slots back before it said so
    }
    if (message instanceof NodeMessage.RunTasks m) {
      onRunTasks(m);
    } else if (message instanceof NodeMessage.RunJobTask m) {
      onRunJobTask(m);
    } else if (message instanceof NodeMessage.ReportAccepted m) {
      reports.accepted(m.jobId(), m.seq(), System.nanoTime());
    } else if (message instanceof NodeMessage.TerminateTask m) {
      onTerminateTask(m);
    } else if (message instanceof NodeMessage.Registered m) {
      onRegistered(m);
    } else if (message instanceof NodeMessage.RegisterAgain) {
      registerAgain();
    } else if (message instanceof NodeMessage.GetStatus m) {
      m.replyTo().tell(status());
    } else if (message instanceof NodeMessage.ListFiles m) {
      onListFiles(m);
    } else if (message instanceof NodeMessage.ReadFile m) {
      onReadFile(m);
    } else if (message instanceof NodeMessage.DeleteFile m) {
      // Off the actor's thread: a recursive delete of a large directory takes a while.
      CompletableFuture<Void> deleted = CompletableFuture.runAsync(
          () -> NodeFiles.delete(config.nodeRoot(), m.path(), m.recursive()), blocking);
      ctx.pipeToSelf(deleted, (ok, failure) -> new FileDeleted(failure, m.replyTo()));
    } else if (message instanceof NodeMessage.UploadLogs m) {
      onUploadLogs(m);
    } else if (message instanceof NodeMessage.Reboot m) {
      return onReboot(m);
    } else if (message instanceof NodeMessage.Retire) {
      ctx.getLog().info("Node {} of pool {} retires", config.nodeId(), config.poolId());
      return Behaviors.stopped(); // PostStop kills what still runs
    }
    return Behaviors.same();
  }

  // ---- registration -------------------------------------------------------------------------

  private Behavior<Command> onGatewaysChanged(GatewaysChanged changed) {
    Set<ActorRef<CoordinatorMessage>> now = changed.listing().getServiceInstances(CoordinatorMessage.GATEWAY_KEY);
    for (ActorRef<CoordinatorMessage> old : gateways) {
      if (!now.contains(old)) {
        departedGateways.add(old);
      }
    }
    departedGateways.removeAll(now);
    gateways = now;
    if (gateway != null && now.contains(gateway)) {
      return Behaviors.same();
    }
    gateway = pickGateway(now);
    currentGateway.set(gateway);
    registered = false;
    if (gateway == null) {
      ctx.getLog().warn("Node {} of pool {} knows no coordinator gateway", config.nodeId(), config.poolId());
      timers.cancel(RegisterTick.INSTANCE);
    } else {
      ctx.getLog().info("Node {} of pool {} registers with {}", config.nodeId(), config.poolId(), gateway);
      register();
      timers.startTimerAtFixedRate(RegisterTick.INSTANCE, registerInterval);
    }
    return Behaviors.same();
  }

  /** Prefers a gateway in this JVM (the single-JVM server), then any, deterministically. */
  private static ActorRef<CoordinatorMessage> pickGateway(Set<ActorRef<CoordinatorMessage>> candidates) {
    return candidates.stream()
        .min(Comparator.<ActorRef<CoordinatorMessage>, Boolean>comparing(
                ref -> !ref.path().address().hasLocalScope())
            .thenComparing(ref -> ref.path().toString()))
        .orElse(null);
  }

  /**
   * Probes every gateway this member knows, and downs this member once none has answered for
   * coordinator-lost-after: its coordinator died, or the network cut it off (in either direction).
   * The process then joins again as a new incarnation, keeping its tasks running. The clock starts
   * when this member is up; joining has its own timeout (join-attempt-timeout).
   */
  private Behavior<Command> onProbeTick() {
    Cluster cluster = Cluster.get(ctx.getSystem());
    Member me = cluster.selfMember();
    if (downingSelf || !(me.status().equals(MemberStatus.up()) || me.status().equals(MemberStatus.weaklyUp()))) {
      return Behaviors.same();
    }
    long now = System.nanoTime();
    if (heardFromCoordinator == 0) {
      heardFromCoordinator = now;
    }
    if (now - heardFromCoordinator > coordinatorLostAfter.toNanos()) {
      ctx.getLog().warn("Node {} of pool {} heard from no coordinator for {} ms: it downs its member to join again",
          config.nodeId(), config.poolId(), (now - heardFromCoordinator) / 1_000_000);
      downingSelf = true;
      cluster.manager().tell(new Down(me.address()));
      return Behaviors.same();
    }
    for (ActorRef<CoordinatorMessage> g : gateways) {
      Adapter.toClassic(g).tell(new Identify(config.nodeId()), Adapter.toClassic(probeReplies));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onRegisterTick() {
    if (!registered && gateway != null) {
      register();
    }
    return Behaviors.same();
  }

  /** Registers anew (repeated until answered), telling what runs now and what waits to be reported. */
  private void registerAgain() {
    registered = false;
    if (gateway != null) {
      register();
      timers.startTimerAtFixedRate(RegisterTick.INSTANCE, registerInterval);
    }
  }

  private void register() {
    gateway.tell(new RegisterNode(config.poolId(), config.nodeId(), config.taskSlots(), self, attempts(),
        startTask.info(), reports.unacknowledgedAttempts(), config.labels()));
  }

  private void onRegistered(NodeMessage.Registered m) {
    // Ids are unique case-insensitively; the pool may answer with its own spelling.
    if (!registered && m.poolId().equalsIgnoreCase(config.poolId()) && m.nodeId().equalsIgnoreCase(config.nodeId())) {
      registered = true;
      timers.cancel(RegisterTick.INSTANCE);
      if (m.pool() != null && !m.pool().equals(watchedPool)) {
        if (watchedPool != null) {
          ctx.unwatch(watchedPool);
        }
        watchedPool = m.pool();
        ctx.watchWith(watchedPool, new PoolStopped(watchedPool));
      }
      // Reports carried over from an earlier agent had their routes forgotten: they go to this gateway.
      reports.routeUnrouted(gateway, System.nanoTime());
      poolPackages = m.applicationPackages();
      if (!poolPackages.isEmpty()) {
        // Installed when the node joins, as Azure does; tasks that start meanwhile wait for the same install.
        List<ApplicationPackageReference> refs = poolPackages;
        CompletableFuture.runAsync(() -> {
          try {
            packages.installAll(refs);
          } catch (ApplicationPackages.InstallFailed e) {
            ctx.getSystem().log().warn("Node {} could not install the pool's application packages: {}",
                config.nodeId(), e.getMessage());
          }
        }, blocking);
      }
      ctx.getLog().info("Node {} of pool {} is registered", config.nodeId(), config.poolId());
      awaitStartTask(startTask.begin(m.startTask(), System.currentTimeMillis()));
    }
  }

  // ---- reboot and reimage -------------------------------------------------------------------

  /**
   * Kills what runs, waits until every process has ended (so none writes into a directory a
   * reimage deletes), then stops; the node provider starts the node again.
   */
  private Behavior<Command> onReboot(NodeMessage.Reboot m) {
    ctx.getLog().info("Node {} of pool {} {}", config.nodeId(), config.poolId(), m.reimage() ? "reimages" : "reboots");
    rebooting = m.reimage();
    timers.cancel(RegisterTick.INSTANCE);
    slots.clearWaiting();
    running.values().forEach(r -> r.runner().terminate());
    startTask.terminate();
    return restartIfQuiet();
  }

  private Behavior<Command> restartIfQuiet() {
    if (!running.isEmpty() || startTask.running()) {
      return Behaviors.same();
    }
    if (!rebooting) {
      ctx.getLog().info("Node {} of pool {} stops to restart", config.nodeId(), config.poolId());
      work.restartAsked = true;
      return Behaviors.stopped();
    }
    ctx.pipeToSelf(CompletableFuture.runAsync(() -> NodeFiles.wipe(config.nodeRoot()), blocking),
        (ok, failure) -> new Wiped(failure));
    return Behaviors.same();
  }

  // ---- start task ---------------------------------------------------------------------------

  private void awaitStartTask(NodeTaskRunner attempt) {
    if (attempt != null) {
      ctx.getLog().info("Node {} of pool {} runs its start task (retry {})", config.nodeId(), config.poolId(),
          startTask.info().retryCount());
      ctx.pipeToSelf(attempt.outcome(), (outcome, failure) -> new StartTaskAttemptEnded(attempt, outcome != null
          ? outcome : new NodeTaskRunner.Attempt(null, FailureInfo.server("InternalError", String.valueOf(failure)),
              System.currentTimeMillis(), System.currentTimeMillis())));
    }
    updateState();
  }

  private Behavior<Command> onStartTaskAttemptEnded(StartTaskAttemptEnded ended) {
    if (rebooting != null) {
      startTask.attemptEnded(ended.runner(), ended.attempt(), System.currentTimeMillis(), false);
      return restartIfQuiet();
    }
    NodeTaskRunner retry = startTask.attemptEnded(ended.runner(), ended.attempt(), System.currentTimeMillis());
    if (retry != null) {
      awaitStartTask(retry);
      return Behaviors.same();
    }
    if (startTask.info() != null && startTask.info().state() == io.batchgrid.protocol.node.StartTaskInfo.State.COMPLETED) {
      ctx.getLog().info("Node {} of pool {}: start task {} (exit code {})", config.nodeId(), config.poolId(),
          startTask.info().result(), startTask.info().exitCode());
      updateState();
      // The pool learns the result from a registration: idempotent there, and repeated until answered.
      registered = false;
      if (gateway != null) {
        register();
        timers.startTimerAtFixedRate(RegisterTick.INSTANCE, registerInterval);
      }
    }
    return Behaviors.same();
  }

  /** Running attempts, then those waiting for a slot (start time 0): the node will run all of them. */
  private List<RunningTask> attempts() {
    List<RunningTask> list = new ArrayList<>(running.size() + slots.waiting());
    running.forEach((key, r) -> list.add(new RunningTask(key.jobId(), key.taskId(), key.attempt(), r.startTimeMs())));
    holding.forEach((key, r) -> list.add(new RunningTask(key.jobId(), key.taskId(), key.attempt(), r.startTimeMs())));
    slots.forEachWaiting(l -> list.add(new RunningTask(l.jobId(), l.taskId(), l.attempt(), 0)));
    return list;
  }

  // ---- running tasks ------------------------------------------------------------------------

  private void onRunTasks(NodeMessage.RunTasks m) {
    reports.route(m.jobId(), m.reportTo());
    for (TaskLaunch launch : m.tasks()) {
      if (!launch.jobId().equals(m.jobId())) {
        reports.route(launch.jobId(), m.reportTo()); // its reports go where the message says, whatever its job
      }
      AttemptKey key = AttemptKey.of(launch);
      if (launch.instance() != null && launch.instance().application()) {
        runApplication(key, launch);
        continue;
      }
      if (!accepted.add(key)) {
        continue; // already running or waiting
      }
      int required = Math.max(1, launch.spec().getRequiredSlots());
      if (required > slots.capacity()) {
        // It could never start, and would hold back every attempt behind it.
        accepted.remove(key);
        long now = System.currentTimeMillis();
        reports.add(launch.jobId(), new TaskOutcome(launch.taskId(), launch.attempt(), null, now, now,
            FailureInfo.user("InsufficientTaskSlots", "The task requires " + required
                + " slots but the node has " + slots.capacity())), System.nanoTime());
        continue;
      }
      slots.offer(launch, required);
    }
    startWhatFits();
  }

  /**
   * A job's preparation or release task starts at once, beside the node's tasks: Azure runs it
   * outside the task slots. Its outcome goes into the job's reports like a task's. It runs with
   * {@link TaskRunner} (not the start task's {@link NodeTaskRunner}): it lives in the job's task
   * layout, under the job's environment, with a wall clock and TerminateTask like any task's.
   */
  private void onRunJobTask(NodeMessage.RunJobTask m) {
    reports.route(m.jobId(), m.reportTo());
    if (accepted.add(AttemptKey.of(m.launch()))) {
      start(m.launch(), 0, true);
      updateState();
    }
  }

  private void startWhatFits() {
    TaskLaunch launch;
    while ((launch = slots.poll()) != null) {
      start(launch, Math.max(1, launch.spec().getRequiredSlots()), false);
    }
    updateState();
  }

  private void start(TaskLaunch launch, int slotsTaken, boolean jobTask) {
    AttemptKey key = AttemptKey.of(launch);
    if (!jobTask) {
      timers.cancel(new RetentionDue(launch.jobId(), launch.taskId()));
      String job = launch.jobId();
      String task = launch.taskId();
      CompletableFuture.runAsync(() -> retention.forget(job, task), blocking);
    }
    TaskRunner runner = TaskRunner.start(launch, config, blocking, staging, packages, poolPackages, taskUser);
    running.put(key, new Running(runner, slotsTaken, System.currentTimeMillis(), jobTask, null));
    pipeOutcome(key, runner);
  }

  private void pipeOutcome(AttemptKey key, TaskRunner runner) {
    ctx.pipeToSelf(runner.outcome(), (outcome, failure) -> new AttemptEnded(key, outcome != null ? outcome
        : new TaskOutcome(key.taskId(), key.attempt(), null, 0, System.currentTimeMillis(),
            FailureInfo.server("InternalError", String.valueOf(failure)),
            runner.launch().instance() != null && !runner.launch().instance().application()
                ? runner.launch().instance().index() : TaskOutcome.TASK)));
  }

  /** Every instance has coordinated: the primary runs the task's command line in the slot it holds. */
  private void runApplication(AttemptKey key, TaskLaunch launch) {
    Running held = holding.remove(key);
    if (held == null) {
      return; // already running it, or the attempt has ended meanwhile
    }
    TaskRunner runner = TaskRunner.start(launch, config, blocking, staging, packages, poolPackages, taskUser);
    running.put(key, new Running(runner, held.slots(), held.startTimeMs(), false, held.runner()));
    pipeOutcome(key, runner);
  }

  /** Frees a slot once what the multi-instance instance left in the background is killed (blocking). */
  private void releaseWithLeftovers(Running r) {
    TaskRunner coordination = r.coordination() != null ? r.coordination()
        : r.runner().launch().instance() != null ? r.runner() : null;
    if (coordination == null) {
      slots.release(r.slots());
      return;
    }
    ctx.pipeToSelf(CompletableFuture.runAsync(coordination::killLeftovers, blocking),
        (ok, failure) -> new LeftoversKilled(r));
  }

  private Behavior<Command> onAttemptEnded(AttemptEnded ended) {
    Running r = running.remove(ended.key());
    if (r == null) {
      return Behaviors.same();
    }
    TaskLaunch launch = r.runner().launch();
    if (launch.instance() != null && !launch.instance().application()) {
      // A coordination command ended: reported as such; the instance keeps its slot if it succeeded.
      reports.add(ended.key().jobId(), ended.outcome(), System.nanoTime());
      if (ended.outcome().succeeded()) {
        holding.put(ended.key(), r);
      } else {
        accepted.remove(ended.key());
        releaseWithLeftovers(r);
      }
      updateState();
      return Behaviors.same();
    }
    accepted.remove(ended.key());
    if (r.coordination() != null) {
      releaseWithLeftovers(r);
    } else {
      slots.release(r.slots());
    }
    if (rebooting != null) {
      return restartIfQuiet();
    }
    if (!r.jobTask()) {
      totalTasksRun++;
      if (ended.outcome().succeeded()) {
        totalTasksSucceeded++;
      }
      retain(r.runner().launch(), ended.outcome());
    }
    reports.add(ended.key().jobId(), ended.outcome(), System.nanoTime());
    startWhatFits();
    return Behaviors.same();
  }

  /** Sets the task's retention deadline (persisted) and its timer. */
  private void retain(TaskLaunch launch, TaskOutcome outcome) {
    var c = launch.spec().getConstraints();
    long keep = c.hasRetentionTimeMs() ? c.getRetentionTimeMs() : Retention.DEFAULT_MS;
    long end = outcome.endTimeMs() > 0 ? outcome.endTimeMs() : System.currentTimeMillis();
    String job = launch.jobId();
    String task = launch.taskId();
    CompletableFuture.runAsync(() -> retention.retain(job, task, end + keep), blocking).whenComplete((ok, e) -> {
      if (e != null) {
        ctx.getSystem().log().warn("Node {} could not record the retention of {}/{}: {}", config.nodeId(), job, task, e);
      }
    });
    timers.startSingleTimer(new RetentionDue(job, task),
        Duration.ofMillis(Math.max(0, end + keep - System.currentTimeMillis())));
  }

  private Behavior<Command> onRetentionDue(RetentionDue due) {
    boolean again = accepted.stream().anyMatch(k -> k.jobId().equals(due.jobId()) && k.taskId().equals(due.taskId()));
    if (again) {
      return Behaviors.same(); // it runs again: its completion sets a new deadline
    }
    long now = System.currentTimeMillis();
    CompletableFuture.supplyAsync(() -> retention.expire(due.jobId(), due.taskId(), now), blocking)
        .whenComplete((removed, e) -> {
          if (e != null) {
            ctx.getSystem().log().warn("Node {} could not remove the directory of {}/{}: {}", config.nodeId(),
                due.jobId(), due.taskId(), String.valueOf(e));
          }
        });
    return Behaviors.same();
  }

  private void onTerminateTask(NodeMessage.TerminateTask m) {
    AttemptKey key = new AttemptKey(m.jobId(), m.taskId(), m.attempt());
    Running held = holding.remove(key);
    if (held != null) {
      // A multi-instance task ended: this instance's coordination was reported; it only goes.
      accepted.remove(key);
      releaseWithLeftovers(held);
      updateState();
      return;
    }
    Running r = running.get(key);
    if (r != null) {
      r.runner().terminate(); // its outcome arrives as AttemptEnded
    } else if (slots.removeWaiting(l -> AttemptKey.of(l).equals(key))) {
      accepted.remove(key);
      long now = System.currentTimeMillis();
      reports.add(m.jobId(), new TaskOutcome(m.taskId(), m.attempt(), null, now, now, TaskRunner.ENDED_BY_USER),
          System.nanoTime());
      updateState();
    }
  }

  private Behavior<Command> onResendTick() {
    reports.resendDue(System.nanoTime());
    return Behaviors.same();
  }

  /** A report addressed to a gateway that has left goes to the gateway the node uses now. */
  private ActorRef<CoordinatorMessage> route(ActorRef<CoordinatorMessage> to) {
    return gateway != null && departedGateways.contains(to) ? gateway : to;
  }

  private void updateState() {
    NodeState busy = running.isEmpty() && holding.isEmpty() && slots.waiting() == 0 ? NodeState.IDLE : NodeState.RUNNING;
    NodeState now = startTask.info() == null ? busy : startTask.info().nodeState(busy);
    if (now != state) {
      state = now;
      stateTransitionTimeMs = System.currentTimeMillis();
    }
  }

  private NodeStatus status() {
    List<RunningTask> list = new ArrayList<>(running.size());
    running.forEach((key, r) -> {
      if (!r.jobTask()) {
        list.add(new RunningTask(key.jobId(), key.taskId(), key.attempt(), r.startTimeMs()));
      }
    });
    holding.forEach((key, r) -> list.add(new RunningTask(key.jobId(), key.taskId(), key.attempt(), r.startTimeMs())));
    return new NodeStatus(config.poolId(), config.nodeId(), state, config.taskSlots(), list, totalTasksRun,
        totalTasksSucceeded, slots.used(), stateTransitionTimeMs, config.nodeRoot().toString(), startTask.info());
  }

  private Behavior<Command> onPostStop() {
    work.totalTasksRun = totalTasksRun;
    work.totalTasksSucceeded = totalTasksSucceeded;
    if (work.survivesMembership && membershipLost()) {
      // The process goes on with a new ActorSystem and agent, which report these (DESIGN rule 4).
      ctx.getLog().warn("Node {} of pool {} lost its cluster membership; {} attempts keep running, {} outcomes kept",
          config.nodeId(), config.poolId(), work.attempts(), reports.unacknowledged());
      return Behaviors.same();
    }
    // Otherwise nobody would report the processes after this agent, so none may outlive it.
    work.killAll();
    return Behaviors.same();
  }

  /**
   * Whether this ActorSystem stops because its cluster membership ended (downed, removed and
   * quarantined, or unable to join), not because it was asked to: the JVM exits (SIGTERM) or the
   * system is terminated (this agent retired, or its owner stops it).
   */
  private boolean membershipLost() {
    return membershipLost(org.apache.pekko.actor.CoordinatedShutdown.get(ctx.getSystem()).getShutdownReason());
  }

  /** See {@link #membershipLost()}: the reason a worker process starts another ActorSystem for. */
  public static boolean membershipLost(java.util.Optional<org.apache.pekko.actor.CoordinatedShutdown.Reason> reason) {
    return reason.map(r -> !r.equals(org.apache.pekko.actor.CoordinatedShutdown.jvmExitReason())
            && !r.equals(org.apache.pekko.actor.CoordinatedShutdown.actorSystemTerminateReason()))
        .orElse(false);
  }

  // ---- files --------------------------------------------------------------------------------

  private void onListFiles(NodeMessage.ListFiles m) {
    CompletableFuture<List<NodeFile>> listing =
        CompletableFuture.supplyAsync(() -> unlessRetained(m.path(),
            () -> NodeFiles.list(config.nodeRoot(), m.path(), m.recursive())), blocking);
    ctx.pipeToSelf(listing, (files, failure) -> new FilesListed(files, failure, m.replyTo()));
  }

  /**
   * ComputeNode_UploadBatchServiceLogs, off the actor's thread (the upload waits on Blob storage):
   * the agent's files under {@code <pool>/<node>/<uuid>/}, Azure's layout of the virtual directory.
   * An in-process node has no agent.* files of its own (it logs to the server's log): it uploads none.
   */
  private void onUploadLogs(NodeMessage.UploadLogs m) {
    String directory = config.poolId() + "/" + config.nodeId() + "/" + java.util.UUID.randomUUID() + "/";
    CompletableFuture<NodeMessage.UploadedLogs> uploaded = CompletableFuture.supplyAsync(() -> {
      List<java.nio.file.Path> files = NodeFiles.agentFiles(config.nodeRoot(), m.startTimeMs(), m.endTimeMs());
      staging.uploadLogs(m.containerUrl(), directory, files);
      return new NodeMessage.UploadedLogs(directory, files.size());
    }, blocking);
    ctx.pipeToSelf(uploaded, (u, failure) -> new LogsUploaded(u, failure, m.replyTo()));
  }

  private Behavior<Command> onFilesListed(FilesListed done) {
    done.replyTo().tell(done.failure() == null ? StatusReply.success(done.files()) : StatusReply.error(cause(done.failure())));
    return Behaviors.same();
  }

  private void onReadFile(NodeMessage.ReadFile m) {
    CompletableFuture<FileContent> opened = CompletableFuture.supplyAsync(() -> {
      Pair<java.nio.file.Path, NodeFile> file = unlessRetained(m.path(),
          () -> NodeFiles.regularFile(config.nodeRoot(), m.path()));
      SourceRef<ByteString> data = NodeFiles.read(file.first(), m.offset(), m.length())
          .runWith(StreamRefs.sourceRef(), materializer);
      return new FileContent(file.second(), data);
    }, blocking);
    ctx.pipeToSelf(opened, (content, failure) -> new FileOpened(content, failure, m.replyTo()));
  }

  private Behavior<Command> onFileOpened(FileOpened done) {
    done.replyTo().tell(done.failure() == null ? StatusReply.success(done.content()) : StatusReply.error(cause(done.failure())));
    return Behaviors.same();
  }

  /**
   * {@code files}, but a file missing because its task's retention time removed the directory is
   * Azure's 409 {@code TaskFilesUnavailable}.
   */
  private <T> T unlessRetained(String path, java.util.function.Supplier<T> files) {
    try {
      return files.get();
    } catch (io.batchgrid.protocol.BatchException e) {
      String[] task = e.code() == io.batchgrid.protocol.ErrorCode.FILE_NOT_FOUND ? retention.removedTaskOf(path) : null;
      if (task != null) {
        throw io.batchgrid.protocol.BatchException.of(io.batchgrid.protocol.ErrorCode.TASK_FILES_UNAVAILABLE,
            "The files of the specified task are unavailable.", "JobId", task[0], "TaskId", task[1],
            "Reason", "The task's retention time has passed: its directory was removed");
      }
      throw e;
    }
  }

  private static Throwable cause(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }
}
