package io.batchgrid.coordinator.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

import io.batchgrid.coordinator.autoscale.AutoscaleFormula;
import io.batchgrid.coordinator.autoscale.AutoscaleRun;
import io.batchgrid.coordinator.autoscale.FormulaError;
import io.batchgrid.coordinator.autoscale.FormulaException;
import io.batchgrid.coordinator.autoscale.NodeDeallocationOption;
import io.batchgrid.coordinator.autoscale.ServiceVariable;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.node.NodeProvider;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.StartTaskInfo;
import io.batchgrid.protocol.pool.AllocationState;
import io.batchgrid.protocol.pool.PoolEvent;
import io.batchgrid.protocol.pool.PoolRecord;
import io.batchgrid.protocol.pool.PoolState;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.PoolSpec;
import io.batchgrid.protocol.spec.StartTaskSpec;

/**
 * One pool: its spec and nodes (persisted), and which job holds which node's slots (live, see
 * {@link SlotLedger}). Nodes are started through the {@link NodeProvider}; they register back
 * through the gateway. Jobs ask for slots with {@link RequestSlots} and give them back with
 * {@link ReturnSlots}.
 */
public final class PoolEntity extends EventSourcedBehavior<PoolEntity.Command, PoolEvent, PoolRecord> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Pool");

  public sealed interface Command {}

  // ------------------------------------------------------------------ from the API

  public record Create(PoolSpec spec, ActorRef<StatusReply<PoolView>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<PoolView>> replyTo) implements Command {}

  /** The pool's statistics ({@code $expand=stats}): resource use of its nodes over the samples kept. */
  public record GetStatistics(ActorRef<StatusReply<PoolStatistics>> replyTo) implements Command {}

  /**
   * Sets a new dedicated-node target; nodes are added or removed (idle ones first), the tasks of
   * removed nodes handled per {@code option} (Pool_Resize's nodeDeallocationOption, requeue by default).
   */
  public record Resize(int targetDedicatedNodes, NodeDeallocationOption option, Precondition precondition,
      ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Resize(int targetDedicatedNodes, Precondition precondition, ActorRef<StatusReply<Done>> replyTo) {
      this(targetDedicatedNodes, NodeDeallocationOption.REQUEUE, precondition, replyTo);
    }

    public Resize(int targetDedicatedNodes, ActorRef<StatusReply<Done>> replyTo) {
      this(targetDedicatedNodes, Precondition.NONE, replyTo);
    }
  }

  public record Delete(Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Delete(ActorRef<StatusReply<Done>> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  /**
   * Pool_RemoveNodes: a shrink that names its nodes. With requeue or terminate they go at once
   * (their tasks stopped and requeued or failed); with taskcompletion or retaineddata they take no
   * new tasks and go when no job holds their slots any more.
   */
  public record RemoveNodes(List<String> nodeIds, NodeDeallocationOption option, Precondition precondition,
      ActorRef<StatusReply<Done>> replyTo) implements Command {
    public RemoveNodes(List<String> nodeIds, NodeDeallocationOption option, ActorRef<StatusReply<Done>> replyTo) {
      this(nodeIds, option, Precondition.NONE, replyTo);
    }
  }

  /** Stops a resize in progress: the pool keeps the nodes it has (nodes not yet started are dropped). */
  public record StopResize(Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public StopResize(ActorRef<StatusReply<Done>> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  public record ListNodes(ActorRef<StatusReply<List<NodeHandle>>> replyTo) implements Command {}

  /**
   * Turns autoscaling on (or changes its formula or interval); {@code evaluationIntervalMs} null
   * keeps the current one, else Azure's default of 15 minutes. The formula is evaluated at once.
   * A formula that does not parse is rejected with its Azure error code.
   */
  public record EnableAutoScale(String formula, Long evaluationIntervalMs, Precondition precondition,
      ActorRef<StatusReply<Done>> replyTo) implements Command {
    public EnableAutoScale(String formula, Long evaluationIntervalMs, ActorRef<StatusReply<Done>> replyTo) {
      this(formula, evaluationIntervalMs, Precondition.NONE, replyTo);
    }
  }

  public record DisableAutoScale(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Evaluates a formula against the pool's current samples without applying the result. */
  public record EvaluateAutoScale(String formula, ActorRef<StatusReply<AutoScaleRunView>> replyTo)
      implements Command {}

  /** A job's task counts, which the pool samples as $ActiveTasks, $RunningTasks, ... for autoscale formulas. */
  public record JobTaskCounts(String jobId, long active, long running, long succeeded, long failed)
      implements Command {}

  public record GetNode(String nodeId, ActorRef<StatusReply<NodeHandle>> replyTo) implements Command {}

  /**
   * ComputeNode_DisableScheduling: no new tasks go to the node; {@code option} (requeue,
   * terminate, taskcompletion) says what becomes of the tasks on it. Persisted.
   */
  public record DisableScheduling(String nodeId, String option, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record EnableScheduling(String nodeId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * ComputeNode_Reboot and ComputeNode_Reimage: the node's tasks are handled per {@code option}
   * (requeue, terminate: at once; taskcompletion, retaineddata: the node takes no new task and
   * restarts when its tasks have ended), then its agent stops and the node provider starts it
   * again, which runs the start task again. A reimage also deletes the node's files.
   */
  public record RestartNode(String nodeId, NodeDeallocationOption option, boolean reimage,
      ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * ComputeNode_Deallocate: the node's tasks are handled per {@code option} as for a reboot, then
   * its process stops; the node stays in the pool, deallocated (persisted), until {@link StartNode}.
   */
  public record DeallocateNode(String nodeId, NodeDeallocationOption option, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** ComputeNode_Start: a deallocated node gets a process again (and runs the start task). */
  public record StartNode(String nodeId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Pool_Patch and Pool_UpdateProperties; a null field stays as it is. */
  public record UpdateProperties(PropertiesUpdate update, Precondition precondition, ActorRef<StatusReply<PoolView>> replyTo)
      implements Command {
    public UpdateProperties(PropertiesUpdate update, ActorRef<StatusReply<PoolView>> replyTo) {
      this(update, Precondition.NONE, replyTo);
    }
  }

  /**
   * The pool properties that can change after creation; null: unchanged. A {@code startTask}
   * without a command line removes the start task. A new start task applies to nodes as they
   * join or restart, as in Azure: nodes running keep what they ran.
   */
  public record PropertiesUpdate(String displayName, List<NameValue> metadata, String targetNodeCommunicationMode,
      StartTaskSpec startTask) {
    public PropertiesUpdate(String displayName, List<NameValue> metadata, String targetNodeCommunicationMode) {
      this(displayName, metadata, targetNodeCommunicationMode, null);
    }
  }

  // ------------------------------------------------------------------ from nodes and jobs

  public record NodeRegistration(CoordinatorMessage.RegisterNode registration) implements Command {}

  /**
   * A recovered job had tasks running on these nodes before a restart: it gets a
   * {@link JobEntity.NodeRejoined} for each node when that node registers (at once if it has), or a
   * {@link JobEntity.NodeLost} for a node the pool no longer has.
   */
  public record AwaitNodes(String jobId, List<String> nodeIds) implements Command {}

  /**
   * A job could use {@code demand} more slots now (0: none), on any node but {@code avoidNodes}
   * (where its preparation task failed); {@code allowPreemption}: its running tasks may be preempted
   * for jobs of higher priority. Replaces what it said before.
   */
  public record RequestSlots(String jobId, int priority, int demand, int maxRequiredSlots, java.util.Set<String> avoidNodes,
      boolean allowPreemption) implements Command {
    public RequestSlots {
      avoidNodes = avoidNodes == null ? java.util.Set.of() : java.util.Set.copyOf(avoidNodes);
    }

    public RequestSlots(String jobId, int priority, int demand, int maxRequiredSlots, java.util.Set<String> avoidNodes) {
      this(jobId, priority, demand, maxRequiredSlots, avoidNodes, false);
    }

    public RequestSlots(String jobId, int priority, int demand, int maxRequiredSlots) {
      this(jobId, priority, demand, maxRequiredSlots, java.util.Set.of(), false);
    }
  }

  /**
   * A job's first waiting multi-instance tasks, each needing one slot on each of {@code instances}
   * distinct nodes at once (answered with {@link JobEntity.GangGranted}). Replaces the job's earlier
   * request; an empty list withdraws it.
   */
  public record RequestGangs(String jobId, int priority, List<Gang> gangs) implements Command {}

  public record Gang(String taskId, int instances) {}

  public record ReturnSlots(String jobId, String nodeId, int slots) implements Command {}

  /**
   * A job whose entity or this pool restarted has running tasks on a node, which use these slots:
   * they count as leased to it (added to what it holds there) until it returns them.
   */
  public record AdoptSlots(String jobId, String nodeId, int slots) implements Command {}

  /** A job is done with this pool (completed, terminated or deleted): all its slots come back. */
  public record ReleaseJob(String jobId) implements Command {}

  // ------------------------------------------------------------------ internal

  private record NodeAgentStopped(String nodeId, ActorRef<NodeMessage> agent) implements Command {}

  private record CatalogUpdated(StatusReply<PoolView> reply, ActorRef<StatusReply<PoolView>> replyTo)
      implements Command {}

  private enum FinishDeletion implements Command { INSTANCE }

  private enum Tick implements Command { SAMPLE, EVALUATE, RESIZE_TIMEOUT }

  /** Removes the leaving nodes that run nothing any more. */
  private enum DrainCheck implements Command { INSTANCE }

  /** A node with carried-over tasks answered whether it still runs any. */
  private record NodeBusy(String nodeId, ActorRef<NodeMessage> agent, boolean running) implements Command {}

  // ------------------------------------------------------------------ replies

  /**
   * The pool as {@code GET /pools/{id}} shows it. {@code autoScaleRun} is the last evaluation
   * (null before the first one, and after a restart until the next one).
   */
  public record PoolView(PoolRecord record, int currentDedicatedNodes, AutoScaleRunView autoScaleRun) {}

  /**
   * A pool's statistics at {@code lastUpdateTimeMs} since its creation; {@code resources} is null
   * until the first sample (see {@link PoolMetrics#resourceUse}).
   */
  public record PoolStatistics(long startTimeMs, long lastUpdateTimeMs, ResourceUse resources) {}

  /** CPU and memory of the pool's nodes, averaged and peaked over the samples of the range. */
  public record ResourceUse(long startTimeMs, long lastUpdateTimeMs, double avgCpuPercent, double avgMemoryBytes,
      double peakMemoryBytes) {}

  /**
   * One evaluation of an autoscale formula, as Azure's {@code AutoScaleRun}: {@code results} is the
   * "$name=value;..." string; on failure {@code errorCode} and {@code errorMessage} are set and
   * {@code errorValues} holds the detail (name "Message").
   */
  public record AutoScaleRunView(long timestampMs, String results, String errorCode, String errorMessage,
      List<io.batchgrid.protocol.spec.NameValue> errorValues) {}

  /**
   * A node of the pool. {@code agent} is null while the node has not registered; {@code state} is
   * the pool's view (creating until it registers, leavingpool while the pool is deleted); a registered node's own state comes from
   * {@link NodeMessage.GetStatus}.
   */
  public record NodeHandle(String poolId, String nodeId, long allocationTimeMs, ActorRef<NodeMessage> agent,
      NodeState state, long stateTransitionTimeMs, int taskSlots, boolean schedulingEnabled, StartTaskInfo startTask) {}

  // ------------------------------------------------------------------ wiring

  public static void init(ActorSystem<?> system, NodeProvider provider) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), provider, ctx.getShard())));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system, String poolId) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, Ids.key(poolId));
  }

  public static Behavior<Command> create(String entityId, NodeProvider provider,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new PoolEntity(ctx, timers, entityId, provider, shard)));
  }

  private static final Duration CATALOG_TIMEOUT = Duration.ofSeconds(10);
  /** Azure's default evaluation interval. */
  static final Duration DEFAULT_EVALUATION_INTERVAL = Duration.ofMinutes(15);
  /** Azure's floor is 5 minutes; batchgrid evaluates as often as every 5 seconds. */
  static final Duration MIN_EVALUATION_INTERVAL = Duration.ofSeconds(5);

  private final ActorContext<Command> ctx;
  private final NodeProvider provider;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final ClusterSharding sharding;
  // Live view of the nodes: rebuilt from registrations after every start, never persisted.
  private final SlotLedger ledger = new SlotLedger();
  private final Map<String, ActorRef<NodeMessage>> agents = new HashMap<>();
  private final Map<String, Long> registeredAt = new HashMap<>();
  // How each registered node's start task goes, as it last told (or as the pool assumes from what it
  // sent it): a node that waits for its start task gets no slots until it has succeeded. Live: nodes
  // tell it again when they register.
  private final Map<String, StartTaskInfo> startTasks = new HashMap<>();
  // Jobs waiting for a node to register again after a restart (AwaitNodes).
  private final Map<String, java.util.Set<String>> awaitedBy = new HashMap<>();
  // Jobs with attempts on a node that it brought along when it registered: they hold no lease there
  // (leases are per incarnation) but must hear when the node is lost.
  private final Map<String, java.util.Set<String>> carriedOverJobs = new HashMap<>();
  // Reboots and reimages: which nodes restart is persisted; which agent was told, live.
  private final NodeRestarts restarts = new NodeRestarts();
  // Deallocated nodes whose process the provider was asked to stop (live: after a restart the
  // provider does not start them, and stopping one that does not run is a no-op).
  private final java.util.Set<String> stopAsked = new java.util.HashSet<>();
  // Nodes that brought running tasks along when they registered (after a restart of the service, or
  // as a new incarnation of their worker): no job holds a lease there for them, so a node leaving the
  // pool or waiting to restart when its tasks have ended asks its agent until it runs none (live).
  private final java.util.Set<String> carriedWork = new java.util.HashSet<>();
  private final TimerScheduler<Command> timers;
  // Autoscaling, live: the sample history, the parsed formula and its last run.
  private final PoolMetrics metrics = new PoolMetrics();
  private AutoscaleFormula formula;
  private AutoScaleRunView lastRun;

  private PoolEntity(ActorContext<Command> ctx, TimerScheduler<Command> timers, String entityId,
      NodeProvider provider, ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId));
    this.ctx = ctx;
    this.timers = timers;
    this.shard = shard;
    this.provider = provider;
    this.sharding = ClusterSharding.get(ctx.getSystem());
  }

  @Override
  public PoolRecord emptyState() {
    return PoolRecord.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(200, 2);
  }

  @Override
  public EventHandler<PoolRecord, PoolEvent> eventHandler() {
    return (state, event) -> state.apply(event);
  }

  @Override
  public SignalHandler<PoolRecord> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (!state.exists()) {
            return;
          }
          if (state.state() == PoolState.DELETING) {
            ctx.getSelf().tell(FinishDeletion.INSTANCE);
            return;
          }
          // Nodes come back with the ids (and so the directories) they had.
          provider.start(state.id(), running(state), state.taskSlotsPerNode());
          startTimers(state);
          if (state.allocationState() == AllocationState.RESIZING) {
            timers.startSingleTimer(Tick.RESIZE_TIMEOUT, resizeTimeout(state));
          }
        })
        .build();
  }

  @Override
  public CommandHandler<Command, PoolEvent, PoolRecord> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s.exists() ? StatusReply.success(view(s)) : notFound()))
        .onCommand(GetStatistics.class, (s, c) -> Effect().reply(c.replyTo(), s.exists()
            ? StatusReply.success(new PoolStatistics(s.creationTimeMs(), System.currentTimeMillis(), metrics.resourceUse()))
            : notFound()))
        .onCommand(Resize.class, this::onResize)
        .onCommand(StopResize.class, this::onStopResize)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(RemoveNodes.class, this::onRemoveNodes)
        .onCommand(FinishDeletion.class, this::onFinishDeletion)
        .onCommand(ListNodes.class, (s, c) -> Effect().reply(c.replyTo(),
            s.exists() ? StatusReply.success(nodes(s)) : notFound()))
        .onCommand(GetNode.class, (s, c) -> Effect().reply(c.replyTo(), getNode(s, c.nodeId())))
        .onCommand(NodeRegistration.class, this::onRegistration)
        .onCommand(AwaitNodes.class, this::onAwaitNodes)
        .onCommand(NodeAgentStopped.class, this::onAgentStopped)
        .onCommand(RequestSlots.class, (s, c) -> {
          if (!s.exists() || s.state() != PoolState.ACTIVE) {
            return Effect().none();
          }
          if (c.maxRequiredSlots() > s.taskSlotsPerNode()) {
            // No node of this pool can ever run such a task: the job fails it instead of waiting forever.
            jobRef(c.jobId()).tell(new JobEntity.SlotsTooFew(s.id(), s.taskSlotsPerNode()));
          }
          ledger.want(c.jobId(), c.priority(), c.demand(), c.allowPreemption(), c.avoidNodes());
          return rebalance(s);
        })
        .onCommand(RequestGangs.class, (s, c) -> {
          if (!s.exists() || s.state() != PoolState.ACTIVE) {
            return Effect().none();
          }
          if (!c.gangs().isEmpty() && (!s.spec().getEnableInterNodeCommunication() || s.taskSlotsPerNode() > 1)) {
            // Azure leaves such tasks active forever; batchgrid says why they can never run.
            String why = "Multi-instance tasks need a pool with enableInterNodeCommunication set and taskSlotsPerNode 1; pool "
                + s.id() + " has enableInterNodeCommunication " + s.spec().getEnableInterNodeCommunication()
                + " and taskSlotsPerNode " + s.taskSlotsPerNode() + ": the task can never run.";
            c.gangs().forEach(g -> jobRef(c.jobId()).tell(new JobEntity.GangNotSchedulable(s.id(), g.taskId(), why)));
            ledger.wantGangs(c.jobId(), c.priority(), List.of());
            return Effect().none();
          }
          ledger.wantGangs(c.jobId(), c.priority(),
              c.gangs().stream().map(g -> new SlotLedger.Gang(g.taskId(), g.instances())).toList());
          return rebalance(s);
        })
        .onCommand(ReturnSlots.class, (s, c) -> {
          ledger.release(c.jobId(), c.nodeId(), c.slots());
          restarts.tellDrained(s, agents, this::busy);
          stopDeallocated(s);
          return removeDrained(s);
        })
        .onCommand(AdoptSlots.class, (s, c) -> {
          ledger.adopt(c.jobId(), c.nodeId(), c.slots());
          return Effect().none();
        })
        .onCommand(ReleaseJob.class, (s, c) -> {
          ledger.releaseJob(c.jobId());
          metrics.forgetJob(c.jobId());
          restarts.tellDrained(s, agents, this::busy);
          stopDeallocated(s);
          return removeDrained(s);
        })
        .onCommand(CatalogUpdated.class, (s, c) -> Effect().reply(c.replyTo(), c.reply()))
        .onCommand(UpdateProperties.class, this::onUpdateProperties)
        .onCommand(DisableScheduling.class, this::onDisableScheduling)
        .onCommand(EnableScheduling.class, this::onEnableScheduling)
        .onCommand(RestartNode.class, this::onRestartNode)
        .onCommand(DeallocateNode.class, this::onDeallocateNode)
        .onCommand(StartNode.class, this::onStartNode)
        .onCommand(EnableAutoScale.class, this::onEnableAutoScale)
        .onCommand(DisableAutoScale.class, this::onDisableAutoScale)
        .onCommand(EvaluateAutoScale.class, this::onEvaluateAutoScale)
        .onCommand(JobTaskCounts.class, (s, c) -> {
          metrics.jobCounts(c.jobId(), c.active(), c.running(), c.succeeded(), c.failed());
          return Effect().none();
        })
        .onCommand(Tick.class, this::onTick)
        .onCommand(DrainCheck.class, (s, c) -> removeDrained(s))
        .onCommand(NodeBusy.class, this::onNodeBusy)
        .build();
  }


  /**
   * A conditional write's conditions against the pool's current version, checked in the handling
   * that persists the write so that nothing lands in between; null when they hold.
   */
  private static BatchException unmet(PoolRecord s, Precondition p) {
    return p.violation(s.creationTimeMs(), s.version(), s.lastModifiedMs());
  }

  private static <T> StatusReply<T> notFound() {
    return StatusReply.error(BatchException.of(ErrorCode.POOL_NOT_FOUND, "The specified pool does not exist."));
  }

  private PoolView view(PoolRecord s) {
    return new PoolView(s, s.nodes().size(), lastRun);
  }

  private Effect<PoolEvent, PoolRecord> onCreate(PoolRecord s, Create c) {
    if (s.exists()) {
      ErrorCode code = s.state() == PoolState.DELETING ? ErrorCode.POOL_BEING_DELETED : ErrorCode.POOL_EXISTS;
      return Effect().reply(c.replyTo(), StatusReply.error(BatchException.of(code,
          code == ErrorCode.POOL_EXISTS ? "The specified pool already exists." : "The specified pool has been marked for deletion and is being deleted.")));
    }
    if (c.spec().getEnableAutoScale()) {
      try {
        AutoscaleFormula.parse(c.spec().getAutoScaleFormula());
      } catch (FormulaException e) {
        return Effect().reply(c.replyTo(), StatusReply.error(formulaError(e.error())));
      }
    }
    long now = System.currentTimeMillis();
    int target = c.spec().getTargetDedicatedNodes() + c.spec().getTargetLowPriorityNodes();
    List<PoolEvent> events = new ArrayList<>();
    events.add(new PoolEvent.PoolCreated(c.spec(), now));
    if (target > 0 && !provider.claimsRegisteringNodes()) {
      events.add(new PoolEvent.NodesAllocated(newNodeIds(target), now));
    }
    return Effect().persist(events).thenRun(state -> {
      provider.start(state.id(), running(state), state.taskSlotsPerNode());
      startTimers(state);
      if (state.allocationState() == AllocationState.RESIZING) {
        timers.startSingleTimer(Tick.RESIZE_TIMEOUT, resizeTimeout(state));
      }
      PoolView v = view(state);
      ctx.pipeToSelf(Catalog.ref(ctx.getSystem()).<Done>ask(r -> new Catalog.Add(Catalog.Kind.POOL, state.id(), r), CATALOG_TIMEOUT),
          (ok, err) -> new CatalogUpdated(err == null ? StatusReply.success(v) : StatusReply.error(err), c.replyTo()));
    });
  }

  private Effect<PoolEvent, PoolRecord> onResize(PoolRecord s, Resize c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    BatchException unmet = unmet(s, c.precondition());
    if (unmet != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(unmet));
    }
    BatchException refused = refuseManualSizeChange(s, "resize it");
    if (refused != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(refused));
    }
    return resizeTo(s, c.targetDedicatedNodes(), c.option() == null ? NodeDeallocationOption.REQUEUE : c.option())
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  /** Why a user may not change the pool's size now (being deleted, or sized by its autoscale formula), or null. */
  private static BatchException refuseManualSizeChange(PoolRecord s, String action) {
    if (s.state() == PoolState.DELETING) {
      return BatchException.of(ErrorCode.POOL_BEING_DELETED,
          "The specified pool has been marked for deletion and is being deleted.");
    }
    if (s.spec().getEnableAutoScale()) {
      return BatchException.of(ErrorCode.AUTO_SCALE_ENABLED,
          "The pool has autoscaling enabled: its size is set by its formula. Disable autoscaling to " + action + ".");
    }
    return null;
  }

  /**
   * Grows or shrinks the pool to {@code target} nodes. Shrinking removes idle nodes first. With
   * {@code requeue} or {@code terminate} the nodes go at once, their tasks requeued (no retry spent)
   * or failed; with {@code taskcompletion} or {@code retaineddata} a node that runs tasks takes no
   * new one and goes when they have ended, and the pool is resizing until then. Nodes already
   * leaving that way do not count.
   */
  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<PoolEvent, PoolRecord> resizeTo(
      PoolRecord s, int target, NodeDeallocationOption option) {
    long now = System.currentTimeMillis();
    int current = s.nodes().size();
    int staying = current - leaving(s);
    List<PoolEvent> events = new ArrayList<>();
    events.add(new PoolEvent.PoolResized(target, now));
    List<String> removed = new ArrayList<>();
    List<String> later = new ArrayList<>();
    if (target > staying) {
      if (!provider.claimsRegisteringNodes()) {
        events.add(new PoolEvent.NodesAllocated(newNodeIds(target - staying), now));
      }
    } else {
      // Idle nodes go first: their removal disturbs no task.
      List<String> order = new ArrayList<>(s.nodes().keySet());
      order.removeAll(s.leaving());
      order.sort((a, b) -> Boolean.compare(ledger.isLeased(a), ledger.isLeased(b)));
      for (String id : order.subList(0, staying - target)) {
        (drains(option) && ledger.isLeased(id) ? later : removed).add(id);
      }
      if (!removed.isEmpty()) {
        events.add(new PoolEvent.NodesRemoved(removed, now));
      }
      later.stream().filter(s::schedulingEnabled).forEach(id -> events.add(new PoolEvent.NodeSchedulingDisabled(id, now)));
      if (!later.isEmpty()) {
        events.add(new PoolEvent.NodesLeaving(later, now));
      }
      if (later.isEmpty() && s.leaving().isEmpty()) {
        events.add(new PoolEvent.ResizeCompleted(now));
      }
    }
    return Effect().persist(events).thenRun(state -> {
      if (target > staying) {
        provider.start(state.id(), running(state), state.taskSlotsPerNode());
        timers.startSingleTimer(Tick.RESIZE_TIMEOUT, resizeTimeout(state));
      }
      removeNow(state, removed, option);
      leaveWhenDrained(state, later);
    });
  }

  private static boolean drains(NodeDeallocationOption option) {
    return option == NodeDeallocationOption.TASKCOMPLETION || option == NodeDeallocationOption.RETAINEDDATA;
  }

  /** How many of the pool's nodes leave when their tasks have ended. */
  private static int leaving(PoolRecord s) {
    return s.leaving().size();
  }

  /** Whether tasks run on the node: a job holds slots there, or it brought tasks along (see {@link #carriedWork}). */
  private boolean busy(String nodeId) {
    return ledger.isLeased(nodeId) || carriedWork.contains(nodeId);
  }

  /**
   * The nodes are out of the pool (persisted): the jobs holding their slots stop their tasks there
   * (requeued, or failed with {@code terminate}) and the provider stops them.
   */
  private void removeNow(PoolRecord s, List<String> nodeIds, NodeDeallocationOption option) {
    String jobOption = option == NodeDeallocationOption.TERMINATE ? "terminate" : "requeue";
    for (String id : nodeIds) {
      ledger.revokeLeases(id).keySet().forEach(jobId ->
          jobRef(jobId).tell(new JobEntity.NodeSchedulingDisabled(s.id(), id, jobOption)));
      nodeGone(s, id);
    }
    provider.stop(s.id(), nodeIds);
  }

  /** The nodes (leaving, persisted) take no new task; they are removed when no task runs there any more. */
  private void leaveWhenDrained(PoolRecord s, List<String> nodeIds) {
    nodeIds.forEach(id -> disableNow(s, id, "taskcompletion"));
    rebalanceNow(s);
  }

  private Effect<PoolEvent, PoolRecord> onRemoveNodes(PoolRecord s, RemoveNodes c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    BatchException unmet = unmet(s, c.precondition());
    if (unmet != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(unmet));
    }
    BatchException refused = refuseManualSizeChange(s, "remove nodes");
    if (refused != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(refused));
    }
    for (String id : c.nodeIds()) {
      if (!s.nodes().containsKey(id)) {
        return Effect().reply(c.replyTo(), StatusReply.error(BatchException.of(ErrorCode.NODE_NOT_FOUND,
            "The specified node does not exist in the pool.", "NodeId", id)));
      }
    }
    boolean drain = drains(c.option());
    List<String> now = c.nodeIds().stream().filter(id -> !drain || !ledger.isLeased(id)).toList();
    List<String> later = c.nodeIds().stream().filter(id -> !now.contains(id)).toList();
    long t = System.currentTimeMillis();
    List<PoolEvent> events = new ArrayList<>();
    events.add(new PoolEvent.PoolResized(Math.max(0, s.targetDedicatedNodes() - c.nodeIds().size()), t));
    if (!now.isEmpty()) {
      events.add(new PoolEvent.NodesRemoved(now, t));
    }
    later.stream().filter(s::schedulingEnabled).forEach(id -> events.add(new PoolEvent.NodeSchedulingDisabled(id, t)));
    if (!later.isEmpty()) {
      events.add(new PoolEvent.NodesLeaving(later, t));
    }
    if (later.isEmpty() && s.leaving().isEmpty()) {
      events.add(new PoolEvent.ResizeCompleted(t));
    }
    return Effect().persist(events).thenRun(state -> {
      removeNow(state, now, c.option());
      leaveWhenDrained(state, later);
    }).thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  /** Removes the leaving nodes (a shrink with taskcompletion or retaineddata) on which no task runs any more. */
  private Effect<PoolEvent, PoolRecord> removeDrained(PoolRecord s) {
    if (!s.exists() || s.state() != PoolState.ACTIVE || s.leaving().isEmpty()) {
      return rebalance(s);
    }
    List<String> drained = s.leaving().stream().filter(id -> !busy(id)).toList();
    if (drained.isEmpty()) {
      return rebalance(s);
    }
    long t = System.currentTimeMillis();
    List<PoolEvent> events = new ArrayList<>();
    events.add(new PoolEvent.NodesRemoved(drained, t));
    if (drained.size() == s.leaving().size() && s.allocationState() == AllocationState.RESIZING) {
      events.add(new PoolEvent.ResizeCompleted(t));
    }
    return Effect().persist(events).thenRun(state -> {
      drained.forEach(id -> nodeGone(state, id));
      provider.stop(state.id(), drained);
      rebalanceNow(state);
    });
  }

  private Effect<PoolEvent, PoolRecord> onStopResize(PoolRecord s, StopResize c) {
    if (!s.exists() || s.state() == PoolState.DELETING) {
      return Effect().reply(c.replyTo(), notFound());
    }
    BatchException unmet = unmet(s, c.precondition());
    if (unmet != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(unmet));
    }
    if (s.allocationState() != AllocationState.RESIZING) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return stopResizing(s, null, null).thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  /** Ends a resize where it stands: nodes that have not started are dropped; the rest stay. */
  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<PoolEvent, PoolRecord> stopResizing(
      PoolRecord s, String errorCode, String errorMessage) {
    long now = System.currentTimeMillis();
    List<String> notStarted = s.nodes().keySet().stream().filter(id -> !agents.containsKey(id)).toList();
    List<PoolEvent> events = new ArrayList<>();
    events.add(new PoolEvent.ResizeStopping(now));
    if (!notStarted.isEmpty()) {
      events.add(new PoolEvent.NodesRemoved(notStarted, now));
    }
    events.add(new PoolEvent.ResizeStopped(errorCode, errorMessage, now));
    timers.cancel(Tick.RESIZE_TIMEOUT);
    return Effect().persist(events).thenRun(state -> provider.stop(state.id(), notStarted));
  }

  /** The pool's resizeTimeout; Azure's default is 15 minutes. */
  private static Duration resizeTimeout(PoolRecord s) {
    return s.spec().hasResizeTimeoutMs() && s.spec().getResizeTimeoutMs() > 0
        ? Duration.ofMillis(s.spec().getResizeTimeoutMs()) : Duration.ofMinutes(15);
  }

  private Effect<PoolEvent, PoolRecord> onUpdateProperties(PoolRecord s, UpdateProperties c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    BatchException unmet = unmet(s, c.precondition());
    if (unmet != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(unmet));
    }
    if (s.state() == PoolState.DELETING) {
      return Effect().reply(c.replyTo(), StatusReply.error(BatchException.of(ErrorCode.POOL_BEING_DELETED,
          "The specified pool has been marked for deletion and is being deleted.")));
    }
    PropertiesUpdate u = c.update();
    PoolSpec.Builder b = s.spec().toBuilder();
    if (u.displayName() != null) {
      b.setDisplayName(u.displayName());
    }
    if (u.metadata() != null) {
      b.clearMetadata().addAllMetadata(u.metadata());
    }
    if (u.targetNodeCommunicationMode() != null) {
      b.setTargetNodeCommunicationMode(u.targetNodeCommunicationMode());
    }
    if (u.startTask() != null && u.startTask().getCommandLine().isEmpty()) {
      b.clearStartTask();
    } else if (u.startTask() != null) {
      b.setStartTask(u.startTask());
    }
    // Written even when nothing changed: Azure answers every update with a new ETag.
    return Effect().persist(new PoolEvent.PoolUpdated(b.build(), System.currentTimeMillis()))
        .thenReply(c.replyTo(), state -> StatusReply.success(view(state)));
  }

  // ------------------------------------------------------------------ node scheduling

  private Effect<PoolEvent, PoolRecord> onDisableScheduling(PoolRecord s, DisableScheduling c) {
    StatusReply<NodeHandle> node = getNode(s, c.nodeId());
    if (node.isError()) {
      return Effect().reply(c.replyTo(), StatusReply.error(node.getError()));
    }
    String option = c.option() == null ? "requeue" : c.option();
    if (!s.schedulingEnabled(c.nodeId())) {
      // Already disabled: nothing to persist, but a stricter option still applies to what runs there.
      disableNow(s, c.nodeId(), option);
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new PoolEvent.NodeSchedulingDisabled(c.nodeId(), System.currentTimeMillis()))
        .thenRun(state -> disableNow(state, c.nodeId(), option))
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  /** Stops granting the node's slots and tells the jobs holding them what to do with their tasks there. */
  private void disableNow(PoolRecord s, String nodeId, String option) {
    ledger.setSchedulable(nodeId, false);
    Map<String, Integer> holders = "taskcompletion".equals(option) ? ledger.leasesOn(nodeId) : ledger.revokeLeases(nodeId);
    holders.keySet().forEach(jobId -> jobRef(jobId).tell(new JobEntity.NodeSchedulingDisabled(s.id(), nodeId, option)));
    rebalanceNow(s);
  }

  private Effect<PoolEvent, PoolRecord> onEnableScheduling(PoolRecord s, EnableScheduling c) {
    StatusReply<NodeHandle> node = getNode(s, c.nodeId());
    if (node.isError()) {
      return Effect().reply(c.replyTo(), StatusReply.error(node.getError()));
    }
    if (s.schedulingEnabled(c.nodeId())) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new PoolEvent.NodeSchedulingEnabled(c.nodeId(), System.currentTimeMillis()))
        .thenRun(state -> {
          ledger.setSchedulable(c.nodeId(), schedulable(state, c.nodeId()));
          rebalanceNow(state);
        })
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  // ------------------------------------------------------------------ reboot, reimage

  private Effect<PoolEvent, PoolRecord> onRestartNode(PoolRecord s, RestartNode c) {
    StatusReply<NodeHandle> node = nodeToChange(s, c.nodeId());
    if (node.isError()) {
      return Effect().reply(c.replyTo(), StatusReply.error(node.getError()));
    }
    String nodeId = node.getValue().nodeId();
    if (!agents.containsKey(nodeId)) {
      return Effect().reply(c.replyTo(), StatusReply.error(BatchException.of(ErrorCode.NODE_BEING_CREATED,
          "The node has not started yet.")));
    }
    String option = jobOption(c.option());
    // Persisted before the answer: a restart of the service after it still restarts the node.
    return Effect().persist(new PoolEvent.NodeRestartRequested(nodeId, option, c.reimage(), System.currentTimeMillis()))
        .thenRun(state -> {
          // The jobs stop their tasks there (requeued without a retry, or failed), or let them end.
          disableNow(state, nodeId, option);
          restarts.tellDrained(state, agents, this::busy);
        })
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  /**
   * The node a reboot, reimage or deallocate is about, or why it may not change now: no such node,
   * the pool is being deleted, or the node is being rebooted or reimaged already.
   */
  private StatusReply<NodeHandle> nodeToChange(PoolRecord s, String nodeId) {
    StatusReply<NodeHandle> node = getNode(s, nodeId);
    if (node.isError()) {
      return node;
    }
    if (s.state() == PoolState.DELETING) {
      return StatusReply.error(BatchException.of(ErrorCode.POOL_BEING_DELETED,
          "The specified pool has been marked for deletion and is being deleted."));
    }
    BatchException busy = NodeRestarts.busy(s, node.getValue().nodeId());
    return busy != null ? StatusReply.error(busy) : node;
  }

  /** What the jobs with tasks on a node do with them, for an Azure node reboot/reimage/deallocate option. */
  private static String jobOption(NodeDeallocationOption option) {
    if (option == NodeDeallocationOption.TERMINATE) {
      return "terminate";
    }
    boolean drain = option == NodeDeallocationOption.TASKCOMPLETION || option == NodeDeallocationOption.RETAINEDDATA;
    return drain ? "taskcompletion" : "requeue";
  }

  /** The pool's nodes that should have a process: all but the deallocated ones. */
  private static List<String> running(PoolRecord s) {
    return s.nodes().keySet().stream().filter(id -> !s.deallocated(id)).toList();
  }

  // ------------------------------------------------------------------ deallocate, start

  private Effect<PoolEvent, PoolRecord> onDeallocateNode(PoolRecord s, DeallocateNode c) {
    StatusReply<NodeHandle> node = getNode(s, c.nodeId());
    if (node.isSuccess() && s.state() != PoolState.DELETING && s.deallocated(node.getValue().nodeId())) {
      return Effect().reply(c.replyTo(), StatusReply.ack()); // deallocated already
    }
    node = nodeToChange(s, c.nodeId());
    if (node.isError()) {
      return Effect().reply(c.replyTo(), StatusReply.error(node.getError()));
    }
    String nodeId = node.getValue().nodeId();
    String jobOption = jobOption(c.option());
    return Effect().persist(new PoolEvent.NodeDeallocated(nodeId, System.currentTimeMillis()))
        .thenRun(state -> {
          disableNow(state, nodeId, jobOption);
          stopDeallocated(state);
        })
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  /** Stops the process of deallocated nodes that no job holds slots on any more (once each). */
  private void stopDeallocated(PoolRecord s) {
    if (!s.exists()) {
      return;
    }
    List<String> now = s.deallocated().stream()
        .filter(id -> !ledger.isLeased(id) && stopAsked.add(id)).toList();
    if (!now.isEmpty()) {
      provider.stop(s.id(), now);
    }
  }

  private Effect<PoolEvent, PoolRecord> onStartNode(PoolRecord s, StartNode c) {
    StatusReply<NodeHandle> node = getNode(s, c.nodeId());
    if (node.isError()) {
      return Effect().reply(c.replyTo(), StatusReply.error(node.getError()));
    }
    if (s.state() == PoolState.DELETING) {
      return Effect().reply(c.replyTo(), StatusReply.error(BatchException.of(ErrorCode.POOL_BEING_DELETED,
          "The specified pool has been marked for deletion and is being deleted.")));
    }
    String nodeId = node.getValue().nodeId();
    if (!s.deallocated(nodeId)) {
      return Effect().reply(c.replyTo(), StatusReply.ack()); // it runs already
    }
    return Effect().persist(new PoolEvent.NodeStarted(nodeId, System.currentTimeMillis()))
        .thenRun(state -> {
          stopAsked.remove(nodeId);
          provider.start(state.id(), List.of(nodeId), state.taskSlotsPerNode());
        })
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  // ------------------------------------------------------------------ autoscale

  private Effect<PoolEvent, PoolRecord> onEnableAutoScale(PoolRecord s, EnableAutoScale c) {
    if (!s.exists() || s.state() == PoolState.DELETING) {
      return Effect().reply(c.replyTo(), notFound());
    }
    BatchException unmet = unmet(s, c.precondition());
    if (unmet != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(unmet));
    }
    try {
      AutoscaleFormula.parse(c.formula());
    } catch (FormulaException e) {
      return Effect().reply(c.replyTo(), StatusReply.error(formulaError(e.error())));
    }
    long interval = c.evaluationIntervalMs() != null ? c.evaluationIntervalMs()
        : s.spec().hasAutoScaleEvaluationIntervalMs() ? s.spec().getAutoScaleEvaluationIntervalMs()
        : DEFAULT_EVALUATION_INTERVAL.toMillis();
    return Effect().persist(new PoolEvent.AutoScaleEnabled(c.formula(), interval, System.currentTimeMillis()))
        .thenRun(this::startTimers)
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  private Effect<PoolEvent, PoolRecord> onDisableAutoScale(PoolRecord s, DisableAutoScale c) {
    if (!s.exists() || s.state() == PoolState.DELETING) {
      return Effect().reply(c.replyTo(), notFound());
    }
    if (!s.spec().getEnableAutoScale()) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new PoolEvent.AutoScaleDisabled(System.currentTimeMillis()))
        .thenRun(this::startTimers)
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  private Effect<PoolEvent, PoolRecord> onEvaluateAutoScale(PoolRecord s, EvaluateAutoScale c) {
    if (!s.exists() || s.state() == PoolState.DELETING) {
      return Effect().reply(c.replyTo(), notFound());
    }
    if (!s.spec().getEnableAutoScale()) {
      return Effect().reply(c.replyTo(), StatusReply.error(BatchException.of(ErrorCode.AUTO_SCALE_NOT_ENABLED,
          "The specified pool does not have autoscaling enabled.")));
    }
    AutoscaleRun run = AutoscaleFormula.evaluate(c.formula(), source(s));
    return Effect().reply(c.replyTo(), StatusReply.success(runView(run)));
  }

  private Effect<PoolEvent, PoolRecord> onTick(PoolRecord s, Tick tick) {
    if (!s.exists() || s.state() != PoolState.ACTIVE) {
      return Effect().none();
    }
    if (tick == Tick.SAMPLE) {
      metrics.sample(System.currentTimeMillis(), agents.size());
      askCarriedWork(s);
      return Effect().none();
    }
    if (tick == Tick.RESIZE_TIMEOUT) {
      return s.allocationState() == AllocationState.RESIZING
          ? stopResizing(s, "AllocationTimedout", "The nodes of the pool did not all start within its resizeTimeout.")
          : Effect().none();
    }
    if (!s.spec().getEnableAutoScale()) {
      return Effect().none();
    }
    if (formula == null || !formula.text().equals(s.spec().getAutoScaleFormula())) {
      try {
        formula = AutoscaleFormula.parse(s.spec().getAutoScaleFormula());
      } catch (FormulaException e) {
        lastRun = new AutoScaleRunView(System.currentTimeMillis(), "", e.error().code(), e.error().message(),
            List.of(NameValue.newBuilder().setName(FormulaError.VALUE_NAME).setValue(e.error().value()).build()));
        return Effect().none();
      }
    }
    // A fresh sample, so that the formula sees the work that arrived since the last periodic one.
    metrics.sample(System.currentTimeMillis(), agents.size());
    AutoscaleRun run = formula.evaluate(source(s));
    lastRun = runView(run);
    if (run.targets().isEmpty()) {
      return Effect().none();
    }
    AutoscaleRun.Targets targets = run.targets().get();
    int target = targets.dedicatedNodes();
    if (target == s.nodes().size() - leaving(s) && target == s.targetDedicatedNodes()) {
      return Effect().none();
    }
    return resizeTo(s, target, targets.deallocationOption());
  }

  /**
   * Asks the nodes that wait for their tasks to end (leaving, or restarting) and brought tasks along
   * whether they still run any: the jobs' leases do not cover those tasks.
   */
  private void askCarriedWork(PoolRecord s) {
    for (String nodeId : carriedWork) {
      ActorRef<NodeMessage> agent = agents.get(nodeId);
      if (agent != null && (s.leaving(nodeId) || s.restart(nodeId) != null)) {
        ctx.ask(io.batchgrid.protocol.node.NodeStatus.class, agent, PoolMetrics.PERIOD, NodeMessage.GetStatus::new,
            (status, failure) -> new NodeBusy(nodeId, agent, status == null || !status.running().isEmpty()));
      }
    }
  }

  private Effect<PoolEvent, PoolRecord> onNodeBusy(PoolRecord s, NodeBusy c) {
    if (c.running() || !c.agent().equals(agents.get(c.nodeId())) || !carriedWork.remove(c.nodeId())) {
      return Effect().none();
    }
    restarts.tellDrained(s, agents, this::busy);
    return removeDrained(s);
  }

  private void startTimers(PoolRecord s) {
    timers.startTimerWithFixedDelay(Tick.SAMPLE, PoolMetrics.PERIOD);
    if (s.exists() && s.spec().getEnableAutoScale()) {
      long interval = Math.max(MIN_EVALUATION_INTERVAL.toMillis(), s.spec().hasAutoScaleEvaluationIntervalMs()
          ? s.spec().getAutoScaleEvaluationIntervalMs() : DEFAULT_EVALUATION_INTERVAL.toMillis());
      // Evaluate at once (as Azure does when autoscaling is enabled), then every interval.
      ctx.getSelf().tell(Tick.EVALUATE);
      timers.startTimerWithFixedDelay(Tick.EVALUATE, Duration.ofMillis(interval));
    } else {
      timers.cancel(Tick.EVALUATE);
      formula = null;
    }
  }

  private io.batchgrid.coordinator.autoscale.SampleSource source(PoolRecord s) {
    Map<ServiceVariable, Double> scalars = new java.util.EnumMap<>(ServiceVariable.class);
    scalars.put(ServiceVariable.TASK_SLOTS_PER_NODE, (double) s.taskSlotsPerNode());
    scalars.put(ServiceVariable.CURRENT_DEDICATED_NODES, (double) s.nodes().size());
    scalars.put(ServiceVariable.CURRENT_LOW_PRIORITY_NODES, 0.0);
    scalars.put(ServiceVariable.USABLE_NODE_COUNT, (double) agents.size());
    scalars.put(ServiceVariable.TARGET_DEDICATED_NODES, (double) s.targetDedicatedNodes());
    scalars.put(ServiceVariable.TARGET_LOW_PRIORITY_NODES, 0.0);
    return metrics.source(java.time.Instant.now(), scalars);
  }

  private static AutoScaleRunView runView(AutoscaleRun run) {
    if (run.error().isPresent()) {
      FormulaError e = run.error().get();
      return new AutoScaleRunView(run.timestamp().toEpochMilli(), run.results(), e.code(), e.message(),
          List.of(NameValue.newBuilder().setName(FormulaError.VALUE_NAME).setValue(e.value()).build()));
    }
    return new AutoScaleRunView(run.timestamp().toEpochMilli(), run.results(), null, null, List.of());
  }

  private static BatchException formulaError(FormulaError e) {
    ErrorCode code = FormulaError.TOO_LONG_CODE.equals(e.code()) ? ErrorCode.AUTO_SCALING_FORMULA_TOO_LONG
        : ErrorCode.AUTO_SCALING_FORMULA_SYNTAX_ERROR;
    return BatchException.of(code, e.message(), FormulaError.VALUE_NAME, e.value());
  }

  private Effect<PoolEvent, PoolRecord> onDelete(PoolRecord s, Delete c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    BatchException unmet = unmet(s, c.precondition());
    if (unmet != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(unmet));
    }
    if (s.state() == PoolState.DELETING) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new PoolEvent.PoolDeleting(System.currentTimeMillis()))
        .thenRun(state -> ctx.getSelf().tell(FinishDeletion.INSTANCE))
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  private Effect<PoolEvent, PoolRecord> onFinishDeletion(PoolRecord s, FinishDeletion c) {
    if (!s.exists() || s.state() != PoolState.DELETING) {
      return Effect().none();
    }
    List<String> nodeIds = List.copyOf(s.nodes().keySet());
    String poolId = s.id();
    nodeIds.forEach(id -> nodeGone(s, id));
    provider.stop(poolId, nodeIds);
    long now = System.currentTimeMillis();
    return Effect().persist(List.of(new PoolEvent.NodesRemoved(nodeIds, now), new PoolEvent.PoolDeleted(now)))
        .thenRun(state -> Catalog.ref(ctx.getSystem()).tell(
            new Catalog.Remove(Catalog.Kind.POOL, poolId, ctx.getSystem().<Done>ignoreRef())))
        // Passivate (rather than stop) so that remember-entities forgets the pool.
        .thenRun(state -> shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf())));
  }

  private Effect<PoolEvent, PoolRecord> onRegistration(PoolRecord s, NodeRegistration c) {
    CoordinatorMessage.RegisterNode r = c.registration();
    if (!memberUp(r.agent())) {
      // No answer: the node repeats its registration every register-interval, and is taken once
      // this coordinator sees its member up. The pool watches the agent to learn when the node is
      // gone, and Pekko watches actors of cluster members only; for an address that is not a member
      // (yet) but was one (a worker that rejoins as a new incarnation on the same host:port, e.g.
      // after a partition, registering before its Joining turns Up here) it fires the watch at once,
      // and the agent's ref (its system's guardian) equals the old incarnation's: the pool would
      // take the live node for gone, and the worker, answered, would never register again.
      ctx.getLog().debug("Node {} of pool {} registers before its member is up here: not yet", r.nodeId(), s.id());
      return Effect().none();
    }
    boolean known = s.exists() && s.state() == PoolState.ACTIVE && s.nodes().containsKey(r.nodeId());
    if (!known && provider.claimsRegisteringNodes()) {
      if (s.exists() && s.state() == PoolState.ACTIVE && s.nodes().size() < s.targetDedicatedNodes()
          && hasLabels(s, r.labels())) {
        // An operator-started worker: the pool takes it, under its own name, then registers it.
        ctx.getLog().info("Pool {} claims node {} (labels {})", s.id(), r.nodeId(), r.labels());
        return Effect().persist(new PoolEvent.NodesAllocated(List.of(r.nodeId()), System.currentTimeMillis()))
            .thenRun(state -> ctx.getSelf().tell(c));
      }
      // Not wanted now (or no such pool yet): no answer, so it keeps asking and is claimed when the
      // pool exists and grows.
      return Effect().none();
    }
    if (!known) {
      // Not (or no longer) a node of this pool.
      r.agent().tell(new NodeMessage.Retire());
      return Effect().none();
    }
    if (s.deallocated(r.nodeId()) && !r.agent().equals(agents.get(r.nodeId()))) {
      // A process of a deallocated node (started before the deallocation, or by an operator): not wanted now.
      r.agent().tell(new NodeMessage.Retire());
      return Effect().none();
    }
    List<PoolEvent> events = new ArrayList<>();
    long now = System.currentTimeMillis();
    if (restarts.completedBy(s, r)) {
      restarts.forget(r.nodeId());
      events.add(new PoolEvent.NodeRestarted(r.nodeId(), now)); // back from its reboot or reimage
    }
    int registered = agents.size() + (agents.containsKey(r.nodeId()) ? 0 : 1);
    boolean resized = s.allocationState() == AllocationState.RESIZING && registered >= s.targetDedicatedNodes();
    if (resized) {
      timers.cancel(Tick.RESIZE_TIMEOUT);
      events.add(new PoolEvent.ResizeCompleted(now));
    }
    if (events.isEmpty()) {
      register(s, s, r);
      return Effect().none();
    }
    return Effect().persist(events).thenRun(state -> register(s, state, r));
  }

  /**
   * Takes a node's registration into the live view ({@code before}: the pool as the node found it;
   * {@code s}: after what its registration persisted) and answers it with the start task.
   */
  private void register(PoolRecord before, PoolRecord s, CoordinatorMessage.RegisterNode r) {
    provider.registered(s.id(), r.nodeId(), r.agent());
    ActorRef<NodeMessage> previous = agents.put(r.nodeId(), r.agent());
    boolean fresh = previous == null || !previous.equals(r.agent());
    if (fresh) {
      ctx.getLog().info("Node {} of pool {} registered: {} attempts running, {} outcomes unacknowledged",
          r.nodeId(), s.id(), r.running().size(), r.ended().size());
      ctx.watchWith(r.agent(), new NodeAgentStopped(r.nodeId(), r.agent()));
      registeredAt.put(r.nodeId(), System.currentTimeMillis());
      // A new incarnation to this pool: what it runs, no job holds a lease for.
      if (r.running().isEmpty()) {
        carriedWork.remove(r.nodeId());
      } else {
        carriedWork.add(r.nodeId());
      }
    }
    ledger.addNode(r.nodeId(), r.taskSlots());
    // A node that has not been given the start task since it started runs the pool's current one
    // on this answer; one that has tells how it went (it registers again when it ends).
    StartTaskSpec startTask = s.spec().hasStartTask() ? s.spec().getStartTask() : null;
    startTasks.put(r.nodeId(), r.startTask() != null ? r.startTask() : startTask == null ? StartTaskInfo.NONE
        : StartTaskInfo.started(startTask.getWaitForSuccess(), System.currentTimeMillis()));
    // A node comes back (or the service restarts) with the scheduling state it was given.
    ledger.setSchedulable(r.nodeId(), schedulable(s, r.nodeId()));
    // The node watches this entity: when it stops (its coordinator died, or it moved), the node
    // registers again with the pool wherever it starts next.
    r.agent().tell(new NodeMessage.Registered(s.id(), r.nodeId(), startTask,
        s.spec().getApplicationPackageReferencesList(), ctx.getSelf()));
    tellRejoined(before, s, r, fresh);
    // An incarnation that has not restarted yet (it outlived a restart of the service) is told now,
    // and a leaving node that runs nothing goes.
    restarts.tellDrained(s, agents, this::busy);
    if (s.leaving(r.nodeId())) {
      ctx.getSelf().tell(DrainCheck.INSTANCE);
    }
    rebalanceNow(s);
  }

  /**
   * Whether the agent is in this JVM, or on a member that this coordinator sees up (or weakly up):
   * one whose death watch Pekko keeps until the member leaves.
   */
  private boolean memberUp(ActorRef<NodeMessage> agent) {
    org.apache.pekko.actor.Address address = agent.path().address();
    if (address.hasLocalScope()) {
      return true;
    }
    for (org.apache.pekko.cluster.Member m : org.apache.pekko.cluster.typed.Cluster.get(ctx.getSystem()).state().getMembers()) {
      if (m.address().equals(address)) {
        return m.status().equals(org.apache.pekko.cluster.MemberStatus.up())
            || m.status().equals(org.apache.pekko.cluster.MemberStatus.weaklyUp());
      }
    }
    return false;
  }

  /** Whether a worker with these labels has every label the pool's metadata asks for (static provider). */
  private static boolean hasLabels(PoolRecord s, List<String> labels) {
    for (NameValue m : s.spec().getMetadataList()) {
      if (m.getName().equals(io.batchgrid.coordinator.node.StaticNodeProvider.LABELS_METADATA)) {
        for (String wanted : m.getValue().split(",")) {
          if (!wanted.isBlank() && !labels.contains(wanted.strip())) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /**
   * The jobs with attempts on the node, and those waiting for it, learn what it runs. When the node
   * was restarting as it registered ({@code before}), they first hear the reboot's option, so that
   * tasks they still count as running there are requeued or terminated as the request said, even
   * if the service restarted before they had heard it.
   */
  private void tellRejoined(PoolRecord before, PoolRecord s, CoordinatorMessage.RegisterNode r, boolean fresh) {
    java.util.Set<String> jobs = new java.util.HashSet<>();
    r.running().forEach(t -> jobs.add(t.jobId()));
    r.ended().forEach(t -> jobs.add(t.jobId()));
    if (!jobs.isEmpty()) {
      carriedOverJobs.computeIfAbsent(r.nodeId(), k -> new java.util.HashSet<>()).addAll(jobs);
    }
    java.util.Set<String> waiting = awaitedBy.remove(r.nodeId());
    if (waiting != null) {
      jobs.addAll(waiting);
    }
    PoolRecord.NodeRestart restart = before.restart(r.nodeId());
    jobs.forEach(jobId -> {
      if (restart != null) {
        jobRef(jobId).tell(new JobEntity.NodeSchedulingDisabled(s.id(), r.nodeId(), restart.option()));
      }
      jobRef(jobId).tell(new JobEntity.NodeRejoined(s.id(), r.nodeId(), r.agent(),
          r.running().stream().filter(t -> Ids.key(t.jobId()).equals(Ids.key(jobId))).toList(),
          r.ended().stream().filter(t -> Ids.key(t.jobId()).equals(Ids.key(jobId))).toList(), fresh));
    });
  }

  private Effect<PoolEvent, PoolRecord> onAwaitNodes(PoolRecord s, AwaitNodes c) {
    for (String nodeId : c.nodeIds()) {
      if (!s.exists() || s.state() != PoolState.ACTIVE || !s.nodes().containsKey(nodeId)) {
        jobRef(c.jobId()).tell(new JobEntity.NodeLost(s.exists() ? s.id() : "", nodeId));
        continue;
      }
      awaitedBy.computeIfAbsent(nodeId, k -> new java.util.HashSet<>()).add(c.jobId());
      ActorRef<NodeMessage> agent = agents.get(nodeId);
      if (agent != null) {
        // The node registered before the job restarted (the job moved to another coordinator while
        // this pool stayed): what it said then is stale. It says again what it runs and owes now.
        agent.tell(new NodeMessage.RegisterAgain());
      }
    }
    return Effect().none();
  }

  private Effect<PoolEvent, PoolRecord> onAgentStopped(PoolRecord s, NodeAgentStopped c) {
    if (!c.agent().equals(agents.get(c.nodeId()))) {
      return Effect().none(); // an older incarnation
    }
    ctx.getLog().info("Node {} of pool {} is gone: its agent stopped or its member left the cluster", c.nodeId(), s.id());
    nodeGone(s, c.nodeId());
    if (s.exists() && s.state() == PoolState.ACTIVE && s.nodes().containsKey(c.nodeId()) && !s.deallocated(c.nodeId())) {
      // The node should be there: have the provider bring it back.
      provider.start(s.id(), List.of(c.nodeId()), s.taskSlotsPerNode());
    }
    return rebalance(s);
  }

  /**
   * Whether the node's free slots may go to jobs: its scheduling is enabled, it is not being
   * rebooted or reimaged, and its start task lets tasks run (none, not waited for, or succeeded).
   */
  private boolean schedulable(PoolRecord s, String nodeId) {
    StartTaskInfo startTask = startTasks.get(nodeId);
    return s.schedulingEnabled(nodeId) && s.restart(nodeId) == null && !s.deallocated(nodeId)
        && (startTask == null || startTask.letsTasksRun());
  }

  /** Forgets a node's live state and tells the jobs that held its slots that their tasks there are lost. */
  private void nodeGone(PoolRecord s, String nodeId) {
    agents.remove(nodeId);
    carriedWork.remove(nodeId);
    registeredAt.remove(nodeId);
    startTasks.remove(nodeId);
    java.util.Set<String> jobs = new java.util.HashSet<>(ledger.removeNode(nodeId).keySet());
    java.util.Set<String> carried = carriedOverJobs.remove(nodeId);
    if (carried != null) {
      jobs.addAll(carried);
    }
    jobs.forEach(jobId -> jobRef(jobId).tell(new JobEntity.NodeLost(s.exists() ? s.id() : "", nodeId)));
  }

  private Effect<PoolEvent, PoolRecord> rebalance(PoolRecord s) {
    rebalanceNow(s);
    return Effect().none();
  }

  private void rebalanceNow(PoolRecord s) {
    if (!s.exists() || s.state() != PoolState.ACTIVE) {
      return;
    }
    SlotLedger.Plan plan = ledger.rebalance("pack".equals(s.spec().getNodeFillType()));
    for (SlotLedger.Grant g : plan.grants()) {
      jobRef(g.jobId()).tell(new JobEntity.SlotsGranted(s.id(), g.nodeId(), agents.get(g.nodeId()), g.slots()));
    }
    for (SlotLedger.YieldRequest y : plan.yields()) {
      jobRef(y.jobId()).tell(new JobEntity.YieldSlots(s.id(), y.slots()));
    }
    for (SlotLedger.GangGrant g : plan.gangGrants()) {
      List<JobEntity.GangMember> members = g.nodeIds().stream()
          .map(id -> new JobEntity.GangMember(id, agents.get(id))).toList();
      jobRef(g.jobId()).tell(new JobEntity.GangGranted(s.id(), g.taskId(), members));
    }
    for (SlotLedger.Preemption p : plan.preemptions()) {
      jobRef(p.jobId()).tell(new JobEntity.PreemptSlots(s.id(), p.slots()));
    }
  }

  private EntityRef<JobEntity.Command> jobRef(String jobId) {
    return sharding.entityRefFor(JobEntity.ENTITY_KEY, Ids.key(jobId));
  }

  private List<NodeHandle> nodes(PoolRecord s) {
    List<NodeHandle> out = new ArrayList<>();
    s.nodes().forEach((id, allocated) -> out.add(handle(s, id, allocated)));
    return out;
  }

  private StatusReply<NodeHandle> getNode(PoolRecord s, String nodeId) {
    if (!s.exists()) {
      return notFound();
    }
    Long allocated = s.nodes().get(nodeId);
    if (allocated == null) {
      return StatusReply.error(BatchException.of(ErrorCode.NODE_NOT_FOUND, "The specified node does not exist."));
    }
    return StatusReply.success(handle(s, nodeId, allocated));
  }

  private NodeHandle handle(PoolRecord s, String nodeId, long allocated) {
    ActorRef<NodeMessage> agent = agents.get(nodeId);
    StartTaskInfo startTask = startTasks.get(nodeId);
    NodeState restarting = NodeRestarts.state(s, nodeId);
    NodeState state = s.state() == PoolState.DELETING || s.leaving(nodeId) ? NodeState.LEAVINGPOOL
        : restarting != null ? restarting
        : s.deallocated(nodeId) ? (agent != null ? NodeState.DEALLOCATING : NodeState.DEALLOCATED)
        : agent != null ? (startTask == null ? NodeState.IDLE : startTask.nodeState(NodeState.IDLE))
        : NodeState.CREATING;
    long since = agent != null ? registeredAt.getOrDefault(nodeId, allocated) : allocated;
    return new NodeHandle(s.id(), nodeId, allocated, agent, state, since, s.taskSlotsPerNode(),
        s.schedulingEnabled(nodeId), startTask);
  }

  /** Azure-style compute node ids: {@code tvmps_<hex>_d} for dedicated nodes. */
  private static List<String> newNodeIds(int count) {
    List<String> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add("tvmps_" + UUID.randomUUID().toString().replace("-", "") + "_d");
    }
    return ids;
  }
}
