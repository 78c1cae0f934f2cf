package io.batchgrid.coordinator.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.NodeJobTasks;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.serialization.Snapshots;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * One job and all its tasks. It owns the task table (persisted), leases slots from its pool, puts
 * queued tasks on leased slots, and counts each attempt's outcome once.
 *
 * <p>Throughput comes from batching: a node's report of finished attempts and the dispatch of
 * queued tasks onto the slots they freed are persisted as one write, and nothing waits on the pool
 * while the job has work for the slots it already holds.
 *
 * <p>The entity is wiring: each handler asks a small class of this package what to do
 * ({@link Refusals}, {@link TaskAdmission}, {@link Outcomes}, {@link SlotDemand},
 * {@link DispatchPlanner}, {@link PreparationGate}, {@link Endings}, {@link Reconciliation}),
 * persists the events it returns, then sends what follows through {@link NodeOrders} and
 * {@link PoolLink} and replies. Those classes are tested without an actor system.
 */
public final class JobEntity extends EventSourcedBehavior<JobEntity.Command, JobEvent, JobRecord> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Job");

  public sealed interface Command {}

  // ------------------------------------------------------------------ from the API

  public record Create(JobSpec spec, ActorRef<StatusReply<JobSummary>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<JobSummary>> replyTo) implements Command {}

  /** The job's statistics ({@code $expand=stats}), summed over its tasks as they are now. */
  public record GetStatistics(ActorRef<StatusReply<io.batchgrid.protocol.job.Statistics>> replyTo) implements Command {}

  /**
   * Changes job-level properties. Null fields are left as they are; with {@code replace} (a PUT),
   * null fields are reset to their defaults as Azure Batch does.
   */
  public record Update(JobPatch patch, Precondition precondition, ActorRef<StatusReply<JobSummary>> replyTo)
      implements Command {
    public Update(JobPatch patch, ActorRef<StatusReply<JobSummary>> replyTo) {
      this(patch, Precondition.NONE, replyTo);
    }
  }

  public record Terminate(String reason, Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Terminate(String reason, ActorRef<StatusReply<Done>> replyTo) {
      this(reason, Precondition.NONE, replyTo);
    }
  }

  /**
   * Stops dispatching the job's tasks. {@code disableTasks}: requeue (running tasks are ended and go
   * back to the queue, no retry spent), terminate (running tasks are ended and fail), wait (running
   * tasks finish).
   */
  public record Disable(String disableTasks, Precondition precondition, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public Disable(String disableTasks, ActorRef<StatusReply<Done>> replyTo) {
      this(disableTasks, Precondition.NONE, replyTo);
    }
  }

  public record Enable(Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Enable(ActorRef<StatusReply<Done>> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  public record Delete(Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Delete(ActorRef<StatusReply<Done>> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  /** Adds tasks (at most 100 per command); each task succeeds or fails on its own. */
  public record AddTasks(List<TaskSpec> tasks, ActorRef<StatusReply<List<AddTaskResult>>> replyTo) implements Command {}

  public record GetTask(String taskId, ActorRef<StatusReply<TaskRecord>> replyTo) implements Command {}

  /** Up to {@code maxResults} tasks in id order after {@code afterKey} (null: from the start). */
  public record ListTasks(String afterKey, int maxResults, ActorRef<StatusReply<TaskPage>> replyTo) implements Command {}

  public record TerminateTask(String taskId, Precondition precondition, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public TerminateTask(String taskId, ActorRef<StatusReply<Done>> replyTo) {
      this(taskId, Precondition.NONE, replyTo);
    }
  }

  public record DeleteTask(String taskId, Precondition precondition, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public DeleteTask(String taskId, ActorRef<StatusReply<Done>> replyTo) {
      this(taskId, Precondition.NONE, replyTo);
    }
  }

  /** Task_Update: the task's constraints replaced (null: the defaults); replies with the updated task. */
  public record UpdateTask(String taskId, io.batchgrid.protocol.spec.TaskConstraints constraints,
      Precondition precondition, ActorRef<StatusReply<TaskRecord>> replyTo) implements Command {
    public UpdateTask(String taskId, io.batchgrid.protocol.spec.TaskConstraints constraints,
        ActorRef<StatusReply<TaskRecord>> replyTo) {
      this(taskId, constraints, Precondition.NONE, replyTo);
    }
  }

  /** Lets a failed task run again; fails for tasks not completed, completed successfully, or of a job that is not active. */
  public record ReactivateTask(String taskId, Precondition precondition, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public ReactivateTask(String taskId, ActorRef<StatusReply<Done>> replyTo) {
      this(taskId, Precondition.NONE, replyTo);
    }
  }

  /**
   * Job_ListPreparationAndReleaseTaskStatus: where the job's preparation and release tasks ran and
   * how. Fails with JobPreparationTaskNotSpecified for a job without a preparation task.
   */
  public record GetPreparationAndReleaseStatus(ActorRef<StatusReply<PreparationAndReleaseStatus>> replyTo)
      implements Command {}

  // ------------------------------------------------------------------ from the pool and nodes

  public record SlotsGranted(String poolId, String nodeId, ActorRef<NodeMessage> agent, int slots) implements Command {}

  /** The pool wants {@code slots} slots back for other jobs: give them back as tasks end. */
  public record YieldSlots(String poolId, int slots) implements Command {}

  /** A node left or died: the tasks that ran there go back to the queue, no retry spent. */
  public record NodeLost(String poolId, String nodeId) implements Command {}

  /**
   * Scheduling on a node was disabled. {@code option}: requeue (stop the job's tasks there and
   * queue them again, no retry spent), terminate (stop them and complete them as failed), or
   * taskcompletion (let them finish; no new tasks go there). The pool has already taken back the
   * leases for requeue and terminate.
   */
  public record NodeSchedulingDisabled(String poolId, String nodeId, String option) implements Command {}

  public record Report(CoordinatorMessage.TasksReport report) implements Command {}

  /**
   * A node of the job's pool registered (again), telling which of the job's attempts it still runs
   * and which ended with their reports still to come. After a coordinator restart this is how the
   * job learns which of its running tasks survived: those stay running (their reports are counted
   * once, as any), the others on that node are requeued. Attempts the node runs that are no longer
   * current (requeued meanwhile) are stopped there. {@code fresh}: the pool did not know this agent
   * before (the pool, or the node, started anew), so it holds no lease of the job's there.
   */
  public record NodeRejoined(String poolId, String nodeId, ActorRef<NodeMessage> agent,
      List<io.batchgrid.protocol.node.RunningTask> running, List<io.batchgrid.protocol.node.RunningTask> ended,
      boolean fresh) implements Command {
    public NodeRejoined(String poolId, String nodeId, ActorRef<NodeMessage> agent,
        List<io.batchgrid.protocol.node.RunningTask> running, List<io.batchgrid.protocol.node.RunningTask> ended) {
      this(poolId, nodeId, agent, running, ended, false);
    }
  }

  /** A node of a multi-instance task's gang: its agent is null when the node is gone meanwhile. */
  public record GangMember(String nodeId, ActorRef<NodeMessage> agent) {}

  /** One slot on each of these distinct nodes for the multi-instance task {@code taskId}, the primary's first. */
  public record GangGranted(String poolId, String taskId, List<GangMember> members) implements Command {}

  /** The pool can never run the multi-instance task: {@code reason} says why. */
  public record GangNotSchedulable(String poolId, String taskId, String reason) implements Command {}

  /**
   * A job of higher priority waits and this job allows preemption: stop running tasks worth
   * {@code slots} slots now, requeue them (no retry spent) and give the slots back.
   */
  public record PreemptSlots(String poolId, int slots) implements Command {}

  /** The subtasks of a multi-instance task: live while it runs, as recorded once it ended. */
  public record GetSubtasks(String taskId, ActorRef<StatusReply<List<io.batchgrid.protocol.job.SubtaskRecord>>> replyTo)
      implements Command {}

  /** The pool's nodes have only {@code slotsPerNode} slots: queued tasks that need more can never run. */
  public record SlotsTooFew(String poolId, int slotsPerNode) implements Command {}

  // ------------------------------------------------------------------ internal

  private enum Internal implements Command {
    DISPATCH, CHECK_COMPLETION, REQUEUE_ORPHANS, REQUEUE_GANGS, FINISH_DELETION, REASSERT_DEMAND, WALL_CLOCK_EXPIRED,
    /** The release tasks have had their maximum wall clock time and more: those that did not report end as failed. */
    RELEASE_DEADLINE,
    /** No release task runs any more: a terminating job completes, a deleting one goes. */
    RELEASES_DONE
  }

  /** Where a node's agent is, asked of the pool to launch a release task after a restart (null: not known now). */
  private record JobTaskAgent(JobTaskKind kind, String nodeId, int attempt, ActorRef<NodeMessage> agent,
      boolean nodeGone) implements Command {}

  /**
   * A node agent the job learnt (a lease, a registration) has stopped. The pool says so too
   * ({@link NodeLost}), but not when the pool was in the JVM that died with the agent (in-process
   * nodes of a coordinator killed while this job runs on another one): its successor never knew the
   * agent.
   */
  private record NodeAgentStopped(String nodeId, ActorRef<NodeMessage> agent) implements Command {}

  /** Try again to launch a job task on a node whose agent was not reachable. */
  private record RelaunchJobTask(JobTaskKind kind, String nodeId, int attempt) implements Command {}

  /** A completed task's exit options ask the job to be disabled or terminated. */
  private record ApplyJobAction(String action) implements Command {}

  private record CatalogUpdated(StatusReply<JobSummary> reply, ActorRef<StatusReply<JobSummary>> replyTo)
      implements Command {}

  // ------------------------------------------------------------------ replies

  public record AddTaskResult(String taskId, TaskRecord task, BatchException error) {}

  public record TaskPage(List<TaskRecord> tasks, String nextKey) {}

  /** The job's spec (for the tasks' ids) and its preparation and release tasks per node, in the order they first ran. */
  public record PreparationAndReleaseStatus(JobSpec spec, List<NodeJobTasks> nodes) {}

  /** Job properties a client may change after creation. */
  public record JobPatch(
      Integer priority,
      Integer maxParallelTasks,
      io.batchgrid.protocol.spec.JobConstraints constraints,
      String onAllTasksComplete,
      String onTaskFailure,
      List<io.batchgrid.protocol.spec.NameValue> metadata,
      Boolean allowTaskPreemption,
      boolean replace) {}

  // ------------------------------------------------------------------ wiring

  /**
   * @param gateway where nodes send reports of this job's tasks (the coordinator's node gateway)
   */
  public static void init(ActorSystem<?> system, ActorRef<CoordinatorMessage> gateway) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY,
        ctx -> create(ctx.getEntityId(), gateway, ctx.getShard())));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system, String jobId) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, Ids.key(jobId));
  }

  public static Behavior<Command> create(String entityId, ActorRef<CoordinatorMessage> gateway,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobEntity(ctx, timers, entityId, gateway, shard)));
  }

  private static final Duration CATALOG_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration DEMAND_REFRESH = Duration.ofSeconds(2);
  private static final Duration RELAUNCH_AFTER = Duration.ofSeconds(2);

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  // Live, per incarnation: slots leased from the pool. After a restart the pool grants anew.
  private final Leases leases = new Leases();
  // Live, after a recovery: nodes that ran this job's tasks before the restart and have not
  // registered again. Their tasks stay running until the node says what it still runs, or until
  // batchgrid.coordinator.node-return-timeout, when they are requeued.
  private final Set<String> awaitedNodes = new HashSet<>();
  // Live: the node agents this job watches (see NodeAgentStopped).
  private final Set<ActorRef<NodeMessage>> watchedAgents = new HashSet<>();
  private final MultiInstanceRuns gangs;
  private final NodeOrders nodes;
  private final PoolLink poolLink;
  private boolean dispatchScheduled;
  // Moving average of how long this job's attempts run, from the nodes' reports (live, not persisted).
  private double meanAttemptMs = -1;
  private long lastSnapshotSeqNr;

  private JobEntity(ActorContext<Command> ctx, TimerScheduler<Command> timers, String entityId,
      ActorRef<CoordinatorMessage> gateway, ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId));
    this.ctx = ctx;
    this.timers = timers;
    this.shard = shard;
    this.gangs = new MultiInstanceRuns(io.batchgrid.protocol.node.NodeAddress.local(ctx.getSystem()));
    this.nodes = new NodeOrders(leases, gangs, gateway);
    ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
    this.poolLink = new PoolLink((poolId, c) -> sharding.entityRefFor(PoolEntity.ENTITY_KEY, Ids.key(poolId)).tell(c));
    // Messages to the pool can be lost (it restarts, or does not exist yet): say again what we want.
    timers.startTimerWithFixedDelay(Internal.REASSERT_DEMAND, DEMAND_REFRESH);
  }

  @Override
  public JobRecord emptyState() {
    return JobRecord.empty();
  }

  @Override
  public EventHandler<JobRecord, JobEvent> eventHandler() {
    return (state, event) -> state.apply(event);
  }

  /**
   * Snapshot when the events since the last one outnumber the tasks: recovery stays bounded, and the
   * O(tasks) cost of a snapshot is paid at most once per O(tasks) events.
   */
  @Override
  public boolean shouldSnapshot(JobRecord state, JobEvent event, long sequenceNr) {
    return sequenceNr - lastSnapshotSeqNr >= Math.max(1_000, state.taskCount());
  }

  /** The record is mutable; the snapshot store gets an immutable copy made on the entity's thread. */
  @Override
  public SnapshotAdapter<JobRecord> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(JobRecord state) {
        return Snapshots.toJournal(state);
      }

      @Override
      public JobRecord fromJournal(Object from) {
        return Snapshots.fromJournal(from);
      }
    };
  }

  @Override
  public SignalHandler<JobRecord> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          lastSnapshotSeqNr = lastSequenceNumber(ctx);
          if (!state.exists()) {
            return;
          }
          if (state.state() == JobState.DELETING || state.state() == JobState.TERMINATING) {
            // Release tasks that were running when the service stopped are launched again under the same
            // attempt: a node that still runs one does not start it twice, and its report counts once.
            if (state.releasesRunning().isEmpty()) {
              ctx.getSelf().tell(Internal.RELEASES_DONE);
            } else {
              startReleases(state);
            }
            if (state.state() == JobState.DELETING) {
              return;
            }
          }
          if (state.state() != JobState.COMPLETED) {
            // Leases are per incarnation: a pool that outlived the old one (it runs on another
            // coordinator) forgets those; the slots of tasks that survive are adopted as their
            // nodes say so (onNodeRejoined), the others are asked for again.
            poolLink.forgetLeases(state);
          }
          if (state.runningCount() > 0 || !state.preparationsRunning().isEmpty()) {
            // Worker processes outlive a coordinator (DESIGN rule 4): wait for the nodes to say what
            // they still run before requeueing anything (preparation tasks included).
            awaitedNodes.addAll(Reconciliation.awaitedAfterRestart(state));
            // Which instance of a multi-instance task had coordinated died with the old
            // incarnation: such tasks start again (their nodes stop the old instances on rejoining).
            ctx.getSelf().tell(Internal.REQUEUE_GANGS);
            poolLink.awaitNodes(state, awaitedNodes);
            timers.startSingleTimer(Internal.REQUEUE_ORPHANS, ctx.getSystem().settings().config()
                .getDuration("batchgrid.coordinator.node-return-timeout"));
          }
          armWallClock(state);
          // Idempotent: covers a crash between creation and registration in the catalog.
          Catalog.ref(ctx.getSystem()).tell(new Catalog.Add(Catalog.Kind.JOB, state.id(), ctx.getSystem().<Done>ignoreRef()));
          afterChange(state);
        })
        .onSignal(SnapshotCompleted.class, (state, done) -> lastSnapshotSeqNr = done.metadata().sequenceNr())
        .build();
  }

  @Override
  public CommandHandler<Command, JobEvent, JobRecord> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(),
            s.exists() ? StatusReply.success(s.summary()) : StatusReply.error(Refusals.jobNotFound())))
        .onCommand(GetStatistics.class, (s, c) -> Effect().reply(c.replyTo(), s.exists()
            ? StatusReply.success(io.batchgrid.protocol.job.Statistics.ofJob(s.creationTimeMs(), s.allTasks(), System.currentTimeMillis()))
            : StatusReply.error(Refusals.jobNotFound())))
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Terminate.class, this::onTerminate)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Disable.class, (s, c) -> onDisable(s, c.disableTasks(), c.precondition(), c.replyTo()))
        .onCommand(Enable.class, this::onEnable)
        .onCommand(ApplyJobAction.class, this::onJobAction)
        .onCommand(AddTasks.class, this::onAddTasks)
        .onCommand(GetTask.class, (s, c) -> {
          BatchException refused = Refusals.task(s, c.taskId(), Precondition.NONE);
          return Effect().reply(c.replyTo(), refused != null ? StatusReply.error(refused) : StatusReply.success(s.task(c.taskId())));
        })
        .onCommand(ListTasks.class, (s, c) -> Effect().reply(c.replyTo(), s.exists()
            ? StatusReply.success(TaskAdmission.page(s, c.afterKey(), c.maxResults()))
            : StatusReply.error(Refusals.jobNotFound())))
        .onCommand(TerminateTask.class, this::onTerminateTask)
        .onCommand(DeleteTask.class, this::onDeleteTask)
        .onCommand(ReactivateTask.class, this::onReactivateTask)
        .onCommand(GetPreparationAndReleaseStatus.class, (s, c) -> Effect().reply(c.replyTo(), preparationStatus(s)))
        .onCommand(JobTaskAgent.class, this::onJobTaskAgent)
        .onCommand(RelaunchJobTask.class, (s, c) -> {
          if (PreparationGate.isCurrentRun(s, c.kind(), c.nodeId(), c.attempt())) {
            launchJobTask(s, c.kind(), c.nodeId(), c.attempt());
          }
          return Effect().none();
        })
        .onCommand(UpdateTask.class, this::onUpdateTask)
        .onCommand(SlotsGranted.class, this::onSlotsGranted)
        .onCommand(YieldSlots.class, (s, c) -> {
          leases.owe(c.slots());
          afterChange(s);
          return Effect().none();
        })
        .onCommand(NodeLost.class, this::onNodeLost)
        .onCommand(NodeAgentStopped.class, this::onNodeAgentStopped)
        .onCommand(NodeRejoined.class, this::onNodeRejoined)
        .onCommand(NodeSchedulingDisabled.class, this::onNodeSchedulingDisabled)
        .onCommand(Report.class, this::onReport)
        .onCommand(SlotsTooFew.class, this::onSlotsTooFew)
        .onCommand(GangGranted.class, this::onGangGranted)
        .onCommand(GangNotSchedulable.class, this::onGangNotSchedulable)
        .onCommand(PreemptSlots.class, this::onPreemptSlots)
        .onCommand(GetSubtasks.class, (s, c) -> {
          BatchException refused = Refusals.task(s, c.taskId(), Precondition.NONE);
          return Effect().reply(c.replyTo(), refused != null ? StatusReply.error(refused)
              : StatusReply.success(gangs.isRunning(c.taskId()) ? gangs.subtasks(c.taskId()) : s.subtasks(c.taskId())));
        })
        .onCommand(CatalogUpdated.class, (s, c) -> Effect().reply(c.replyTo(), c.reply()))
        .onCommand(Internal.class, this::onInternal)
        .build();
  }

  // ------------------------------------------------------------------ API commands

  private Effect<JobEvent, JobRecord> onCreate(JobRecord s, Create c) {
    if (s.exists()) {
      return refuse(c.replyTo(), Refusals.exists(s));
    }
    return Effect().persist(new JobEvent.JobCreated(c.spec(), System.currentTimeMillis()))
        .thenRun(state -> {
          JobSummary summary = state.summary();
          ctx.pipeToSelf(Catalog.ref(ctx.getSystem()).<Done>ask(r -> new Catalog.Add(Catalog.Kind.JOB, state.id(), r), CATALOG_TIMEOUT),
              (ok, err) -> new CatalogUpdated(err == null ? StatusReply.success(summary) : StatusReply.error(err), c.replyTo()));
          armWallClock(state);
          afterChange(state);
        });
  }

  private Effect<JobEvent, JobRecord> onUpdate(JobRecord s, Update c) {
    BatchException refused = Refusals.jobWrite(s, c.precondition(), Refusals.CHANGEABLE);
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    JobSpec updated = JobPatches.apply(s.spec(), c.patch());
    return Effect().persist(new JobEvent.JobUpdated(updated, System.currentTimeMillis()))
        .thenRun(state -> {
          armWallClock(state);
          afterChange(state);
        })
        .thenReply(c.replyTo(), state -> StatusReply.success(state.summary()));
  }

  private Effect<JobEvent, JobRecord> onTerminate(JobRecord s, Terminate c) {
    BatchException refused = Refusals.jobWrite(s, c.precondition(), Refusals.RUNNABLE);
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    String reason = c.reason() == null || c.reason().isBlank() ? "UserTerminate" : c.reason();
    return endJob(s, reason).thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  /** Ends the job (see {@link Endings#terminate}): its running tasks stop, its release tasks start. */
  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<JobEvent, JobRecord> endJob(JobRecord s, String reason) {
    Endings.Stop end = Endings.terminate(s, reason, System.currentTimeMillis());
    List<String> preparing = s.preparationsRunning();
    return Effect().persist(end.events()).thenRun(state -> {
      nodes.stop(state, end.stop());
      nodes.stopPreparations(state, preparing);
      releaseAll(state);
      startReleases(state);
    });
  }

  private Effect<JobEvent, JobRecord> onDisable(JobRecord s, String disableTasks, Precondition precondition,
      ActorRef<StatusReply<Done>> replyTo) {
    BatchException refused = Refusals.jobWrite(s, precondition, Set.of(JobState.ACTIVE));
    if (refused != null) {
      return refuse(replyTo, refused);
    }
    Endings.Stop disable = Endings.disable(s, disableTasks, System.currentTimeMillis());
    return Effect().persist(disable.events()).thenRun(state -> {
      nodes.stop(state, disable.stop());
      afterChange(state);
    }).thenReply(replyTo, state -> StatusReply.ack());
  }

  private Effect<JobEvent, JobRecord> onEnable(JobRecord s, Enable c) {
    BatchException refused = Refusals.jobWrite(s, c.precondition(), Refusals.RUNNABLE);
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    if (s.state() == JobState.ACTIVE) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new JobEvent.JobEnabled(System.currentTimeMillis()))
        .thenRun(this::afterChange)
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  private Effect<JobEvent, JobRecord> onJobAction(JobRecord s, ApplyJobAction c) {
    if (!s.exists() || s.state() != JobState.ACTIVE) {
      return Effect().none();
    }
    if ("terminate".equals(c.action())) {
      return endJob(s, "TaskFailed");
    }
    if ("disable".equals(c.action())) {
      return onDisable(s, "requeue", Precondition.NONE, ctx.getSystem().ignoreRef());
    }
    return Effect().none();
  }

  private Effect<JobEvent, JobRecord> onDelete(JobRecord s, Delete c) {
    BatchException refused = Refusals.jobWrite(s, c.precondition(), EnumSet.allOf(JobState.class));
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    if (s.state() == JobState.DELETING) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    Endings.Stop delete = Endings.delete(s, System.currentTimeMillis());
    List<String> preparing = s.preparationsRunning();
    return Effect().persist(delete.events()).thenRun(state -> {
      nodes.stop(state, delete.stop());
      nodes.stopPreparations(state, preparing);
      releaseAll(state);
      if (state.releasesRunning().isEmpty()) {
        ctx.getSelf().tell(Internal.FINISH_DELETION);
      } else {
        startReleases(state);
      }
    }).thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  private Effect<JobEvent, JobRecord> onAddTasks(JobRecord s, AddTasks c) {
    BatchException refused = Refusals.jobWrite(s, Precondition.NONE, Refusals.CHANGEABLE);
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    TaskAdmission.Admitted admitted = TaskAdmission.admit(s, c.tasks());
    if (admitted.accepted().isEmpty()) {
      return Effect().reply(c.replyTo(), StatusReply.success(results(c.tasks(), admitted.errors(), s)));
    }
    return Effect().persist(new JobEvent.TasksAdded(admitted.accepted(), System.currentTimeMillis()))
        .thenRun(this::afterChange)
        .thenReply(c.replyTo(), state -> StatusReply.success(results(c.tasks(), admitted.errors(), state)));
  }

  /** Each task's result: its error, or the stored record (ETag, times) of one added. */
  private static List<AddTaskResult> results(List<TaskSpec> tasks, List<BatchException> errors, JobRecord state) {
    List<AddTaskResult> out = new ArrayList<>(tasks.size());
    for (int i = 0; i < tasks.size(); i++) {
      String id = tasks.get(i).getId();
      out.add(errors.get(i) != null ? new AddTaskResult(id, null, errors.get(i)) : new AddTaskResult(id, state.task(id), null));
    }
    return out;
  }

  private Effect<JobEvent, JobRecord> onTerminateTask(JobRecord s, TerminateTask c) {
    BatchException refused = Refusals.task(s, c.taskId(), c.precondition());
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    TaskRecord t = s.task(c.taskId());
    if (t.state() == TaskState.COMPLETED) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new JobEvent.TaskTerminated(t.id(), Endings.ENDED_BY_USER, System.currentTimeMillis()))
        .thenRun(state -> {
          nodes.stop(state, t.state() == TaskState.RUNNING ? List.of(t) : List.of());
          afterChange(state);
        })
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  private Effect<JobEvent, JobRecord> onReactivateTask(JobRecord s, ReactivateTask c) {
    BatchException refused = Refusals.task(s, c.taskId(), c.precondition());
    if (refused == null) {
      refused = Refusals.reactivation(s, s.task(c.taskId()));
    }
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    return Effect().persist(new JobEvent.TaskReactivated(s.task(c.taskId()).id(), System.currentTimeMillis()))
        .thenRun(this::afterChange)
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  private Effect<JobEvent, JobRecord> onUpdateTask(JobRecord s, UpdateTask c) {
    BatchException refused = Refusals.task(s, c.taskId(), c.precondition());
    if (refused == null) {
      refused = Refusals.taskUpdate(s, s.task(c.taskId()));
    }
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    // maxTaskRetryCount is read from the spec when an attempt fails, so it applies at once; a
    // running attempt keeps the wall clock its node was given, the next attempt gets the new one.
    String id = s.task(c.taskId()).id();
    return Effect().persist(new JobEvent.TaskUpdated(id, c.constraints(), System.currentTimeMillis()))
        .thenReply(c.replyTo(), state -> StatusReply.success(state.task(id)));
  }

  private Effect<JobEvent, JobRecord> onDeleteTask(JobRecord s, DeleteTask c) {
    BatchException refused = Refusals.task(s, c.taskId(), c.precondition());
    if (refused != null) {
      return refuse(c.replyTo(), refused);
    }
    TaskRecord t = s.task(c.taskId());
    return Effect().persist(new JobEvent.TaskDeleted(t.id(), System.currentTimeMillis()))
        .thenRun(state -> {
          nodes.stop(state, t.state() == TaskState.RUNNING ? List.of(t) : List.of());
          afterChange(state);
        })
        .thenReply(c.replyTo(), state -> StatusReply.ack());
  }

  private <T> Effect<JobEvent, JobRecord> refuse(ActorRef<StatusReply<T>> replyTo, BatchException why) {
    return Effect().reply(replyTo, StatusReply.error(why));
  }

  // ------------------------------------------------------------------ scheduling

  private Effect<JobEvent, JobRecord> onSlotsGranted(JobRecord s, SlotsGranted c) {
    poolLink.granted(c.slots());
    if (c.agent() == null) {
      poolLink.returnSlots(s, c.nodeId(), c.slots());
      return Effect().none();
    }
    leases.grant(c.nodeId(), c.agent(), c.slots());
    seen(c.nodeId(), c.agent());
    afterChange(s);
    return Effect().none();
  }

  // ------------------------------------------------------------------ multi-instance tasks, preemption, nodes

  /** A gang of nodes for a multi-instance task: dispatch it there (one write), or give the slots back. */
  private Effect<JobEvent, JobRecord> onGangGranted(JobRecord s, GangGranted c) {
    poolLink.gangAnswered(c.taskId());
    TaskDispatch d = SlotDemand.gangDispatch(s, c.taskId(), c.members());
    if (d == null) {
      c.members().forEach(m -> poolLink.returnSlots(s, m.nodeId(), 1));
      afterChange(s);
      return Effect().none();
    }
    TaskRecord t = s.task(c.taskId());
    return Effect().persist(new JobEvent.TasksDispatched(List.of(d), System.currentTimeMillis()))
        .thenRun(state -> {
          nodes.runGang(state, t, d.attempt(), c.members(), System.currentTimeMillis());
          afterChange(state);
        });
  }

  private Effect<JobEvent, JobRecord> onGangNotSchedulable(JobRecord s, GangNotSchedulable c) {
    poolLink.gangAnswered(c.taskId());
    TaskRecord t = s.exists() ? s.task(c.taskId()) : null;
    if (t == null || t.state() != TaskState.ACTIVE) {
      return Effect().none();
    }
    return Effect().persist(new JobEvent.TaskTerminated(t.id(),
            FailureInfo.user("MultiInstanceTaskNotSchedulable", c.reason()), System.currentTimeMillis()))
        .thenRun(this::afterChange);
  }

  /**
   * The pool takes slots back for a job of higher priority: the newest running tasks worth that many
   * slots are stopped and requeued without spending a retry (their next attempt starts afresh).
   */
  private Effect<JobEvent, JobRecord> onPreemptSlots(JobRecord s, PreemptSlots c) {
    leases.owe(c.slots());
    if (!s.exists() || !s.spec().getAllowTaskPreemption()) {
      afterChange(s);
      return Effect().none();
    }
    Endings.Stop preempt = Endings.preempt(s, c.slots(), System.currentTimeMillis());
    if (preempt.events().isEmpty()) {
      afterChange(s);
      return Effect().none();
    }
    return Effect().persist(preempt.events())
        .thenRun(state -> {
          nodes.stop(state, preempt.stop());
          afterChange(state);
        });
  }

  private Effect<JobEvent, JobRecord> onSlotsTooFew(JobRecord s, SlotsTooFew c) {
    if (!s.exists() || s.state() == JobState.COMPLETED || s.state() == JobState.DELETING) {
      return Effect().none();
    }
    List<JobEvent> events = Endings.tooBig(s, c.poolId(), c.slotsPerNode(), System.currentTimeMillis());
    if (events.isEmpty()) {
      return Effect().none();
    }
    return Effect().persist(events).thenRun(this::afterChange);
  }

  private Effect<JobEvent, JobRecord> onNodeRejoined(JobRecord s, NodeRejoined c) {
    if (!s.exists()) {
      return Effect().none();
    }
    // The node's agent, to reach it for release tasks after a restart.
    seen(c.nodeId(), c.agent());
    nodes.stopStale(s, c.agent(), Reconciliation.stale(s, c.nodeId(), c.running()));
    // Reconciled when the job waits for the node after its own restart, and when the pool did not
    // know this agent (the pool started anew on another coordinator while this job did not): then
    // the job's leases came from the pool's earlier incarnation, and what the node does not report
    // was lost.
    if (!awaitedNodes.remove(c.nodeId()) && !c.fresh()) {
      return Effect().none();
    }
    List<JobEvent> events = Reconciliation.rejoined(s, c.nodeId(), nodes.runningOn(s, c.nodeId()), c.running(), c.ended(),
        System.currentTimeMillis());
    if (events.isEmpty()) {
      adoptLeases(s, c.nodeId(), c.agent());
      afterChange(s);
      return Effect().none();
    }
    return Effect().persist(events).thenRun(state -> {
      adoptLeases(state, c.nodeId(), c.agent());
      afterChange(state);
    });
  }

  /**
   * The job's running tasks on a node that registered with a pool that holds no lease of this job
   * there (the job or the pool restarted): the job takes a lease for the slots they use, and tells
   * the pool, so that both count them until the tasks end and the slots go back as usual.
   * Multi-instance tasks are left out: after a restart they start again.
   */
  private void adoptLeases(JobRecord s, String nodeId, ActorRef<NodeMessage> agent) {
    leases.lose(nodeId);
    int slots = nodes.runningOn(s, nodeId).stream().filter(t -> !t.multiInstance()).mapToInt(TaskRecord::requiredSlots).sum();
    if (slots > 0) {
      leases.grant(nodeId, agent, slots);
      leases.use(nodeId, slots);
      poolLink.adoptSlots(s, nodeId, slots);
    }
  }

  /** Remembers the node's agent (to reach it later) and watches it. */
  private void seen(String nodeId, ActorRef<NodeMessage> agent) {
    nodes.seen(nodeId, agent);
    if (watchedAgents.add(agent)) {
      ctx.watchWith(agent, new NodeAgentStopped(nodeId, agent));
    }
  }

  /**
   * The agent of a node stopped while the job still counts tasks running there with it: they are
   * lost, as the pool would say. Ignored when the job knows another agent of the node by now, or
   * runs nothing there (the pool has told it already, or a reboot took the tasks off first).
   */
  private Effect<JobEvent, JobRecord> onNodeAgentStopped(JobRecord s, NodeAgentStopped c) {
    watchedAgents.remove(c.agent());
    if (!s.exists() || !c.agent().equals(nodes.agentOf(c.nodeId()))
        || nodes.runningOn(s, c.nodeId()).stream().noneMatch(t -> !t.multiInstance())) {
      return Effect().none();
    }
    return onNodeLost(s, new NodeLost(s.spec().getPoolId(), c.nodeId()));
  }

  private Effect<JobEvent, JobRecord> onNodeLost(JobRecord s, NodeLost c) {
    awaitedNodes.remove(c.nodeId());
    nodes.lost(c.nodeId());
    if (!s.exists()) {
      return Effect().none();
    }
    List<TaskRecord> there = nodes.runningOn(s, c.nodeId());
    List<JobEvent> events = Reconciliation.lost(s, c.nodeId(), there, System.currentTimeMillis());
    if (events.isEmpty()) {
      afterChange(s);
      return Effect().none();
    }
    return Effect().persist(events).thenRun(state -> {
      // A multi-instance task lost one node: its instances on the others stop too.
      nodes.stopGangs(state, there.stream().filter(TaskRecord::multiInstance).toList(), false);
      afterChange(state);
    });
  }

  private Effect<JobEvent, JobRecord> onNodeSchedulingDisabled(JobRecord s, NodeSchedulingDisabled c) {
    if (!s.exists()) {
      leases.lose(c.nodeId());
      return Effect().none();
    }
    if ("taskcompletion".equals(c.option())) {
      leases.drain(c.nodeId());
      afterChange(s);
      return Effect().none();
    }
    List<TaskRecord> there = nodes.runningOn(s, c.nodeId());
    if (there.isEmpty()) {
      leases.lose(c.nodeId());
      afterChange(s);
      return Effect().none();
    }
    List<JobEvent> events = Endings.nodeDisabled(there, c.option(), System.currentTimeMillis()).events();
    return Effect().persist(events).thenRun(state -> {
      // Stopped through the lease's agent, then the lease goes: the pool took its slots back.
      nodes.stop(state, there);
      leases.lose(c.nodeId());
      afterChange(state);
    });
  }

  /**
   * Outcomes from a node: the current attempts among them are persisted together with the dispatch
   * of queued tasks onto the slots they free, in one write; then the node gets its acknowledgement
   * and its next tasks.
   */
  private Effect<JobEvent, JobRecord> onReport(JobRecord s, Report c) {
    CoordinatorMessage.TasksReport r = c.report();
    NodeMessage.ReportAccepted ack = new NodeMessage.ReportAccepted(r.jobId(), r.seq());
    if (!s.exists()) {
      r.replyTo().tell(ack);
      return Effect().none();
    }
    long now = System.currentTimeMillis();
    List<JobEvent.JobTaskFinished> jobTasks = PreparationGate.finished(s, r.nodeId(), r.outcomes(), now);
    Outcomes.Intake intake = Outcomes.sort(s, r.outcomes(), gangs);
    intake.starts().forEach(start -> nodes.runApplication(s, start));
    List<TaskOutcome> current = intake.current();
    Map<String, Integer> freed = intake.freed();
    if (current.isEmpty() && jobTasks.isEmpty()) {
      r.replyTo().tell(ack); // all seen before: counted once already
      return Effect().none();
    }
    List<JobEvent> events = new ArrayList<>(jobTasks);
    events.addAll(Outcomes.finished(s, r.nodeId(), current, gangs, now));
    List<TaskRecord> gangsEnded = current.stream().map(o -> s.task(o.taskId())).filter(TaskRecord::multiInstance).toList();
    List<TaskDispatch> dispatches = List.of();
    if (!current.isEmpty()) {
      Map<String, Integer> capacity = leases.roomByNode(prefetchPerSlot());
      freed.forEach((node, n) -> {
        if (leases.accepts(node)) {
          capacity.merge(node, n, Integer::sum);
        }
      });
      dispatches = SlotDemand.canDispatch(s) ? DispatchPlanner.round(s, capacity, leases.owed(), freed, s.releasedBy(current, now)) : List.of();
      if (!dispatches.isEmpty()) {
        events.add(new JobEvent.TasksDispatched(dispatches, now));
      }
    }
    List<TaskDispatch> launched = dispatches;
    return Effect().persist(events).thenRun(state -> {
      freed.forEach(leases::free);
      nodes.stopGangs(state, gangsEnded, true);
      nodes.run(state, launched);
      r.replyTo().tell(ack);
      current.forEach(o -> meanAttemptMs = SlotDemand.meanAttemptMs(meanAttemptMs, o));
      requestJobAction(state, current);
      afterJobTasksFinished(state, jobTasks);
      afterChange(state);
    });
  }

  /**
   * After outcomes of preparation and release tasks: a preparation that failed with retries left
   * runs its next attempt; when the last release task ends, the job completes (or goes, if deleted).
   */
  private void afterJobTasksFinished(JobRecord state, List<JobEvent.JobTaskFinished> finished) {
    if (SlotDemand.canDispatch(state)) {
      PreparationGate.retries(state, finished).forEach(l -> launchJobTask(state, l.kind(), l.nodeId(), l.attempt()));
    }
    if (PreparationGate.lastReleaseEnded(state, finished)) {
      ctx.getSelf().tell(Internal.RELEASES_DONE);
    }
  }

  private Effect<JobEvent, JobRecord> onInternal(JobRecord s, Internal c) {
    switch (c) {
      case DISPATCH: {
        dispatchScheduled = false;
        if (!s.exists() || !SlotDemand.canDispatch(s)) {
          return Effect().none();
        }
        long now = System.currentTimeMillis();
        // The preparation task goes to each newly leased node first; the planner passes over the
        // nodes where it has not (yet) let the job's tasks in.
        List<JobEvent.JobTaskStarted> preparations = PreparationGate.preparationsToStart(s, acceptingNodes(), now);
        List<TaskDispatch> dispatches = DispatchPlanner.round(s, leases.roomByNode(prefetchPerSlot()), leases.owed(), Map.of(), List.of());
        List<JobEvent> events = new ArrayList<>(preparations);
        if (!dispatches.isEmpty()) {
          events.add(new JobEvent.TasksDispatched(dispatches, now));
        }
        if (events.isEmpty()) {
          afterChange(s);
          return Effect().none();
        }
        return Effect().persist(events)
            .thenRun(state -> {
              preparations.forEach(p -> launchJobTask(state, p.kind(), p.nodeId(), p.attempt()));
              nodes.run(state, dispatches);
              afterChange(state);
            });
      }
      case CHECK_COMPLETION:
        if (SlotDemand.completesNow(s)) {
          return endJob(s, "AllTasksComplete");
        }
        return Effect().none();
      case REQUEUE_GANGS: {
        List<JobEvent> restart = s.exists()
            ? Reconciliation.restartGangs(Endings.running(s), System.currentTimeMillis()) : List.of();
        if (restart.isEmpty()) {
          return Effect().none();
        }
        return Effect().persist(restart).thenRun(this::afterChange);
      }
      case REQUEUE_ORPHANS: {
        List<JobEvent> events = Reconciliation.notReturned(s, s.exists() ? Endings.running(s) : List.of(), awaitedNodes,
            System.currentTimeMillis());
        awaitedNodes.clear();
        if (events.isEmpty()) {
          return Effect().none();
        }
        return Effect().persist(events).thenRun(this::afterChange);
      }
      case FINISH_DELETION: {
        if (!s.exists() || s.state() != JobState.DELETING || !s.releasesRunning().isEmpty()) {
          return Effect().none();
        }
        String id = s.id();
        return Effect().persist(new JobEvent.JobDeleted(System.currentTimeMillis()))
            .thenRun(state -> {
              Catalog.ref(ctx.getSystem()).tell(new Catalog.Remove(Catalog.Kind.JOB, id, ctx.getSystem().<Done>ignoreRef()));
              // Passivate (rather than stop) so that remember-entities forgets the job.
              shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
            });
      }
      case WALL_CLOCK_EXPIRED:
        if (s.exists() && (s.state() == JobState.ACTIVE || s.state() == JobState.DISABLED)) {
          return endJob(s, "MaxWallClockTimeExpiry");
        }
        return Effect().none();
      case RELEASE_DEADLINE: {
        List<JobEvent> late = PreparationGate.releasesNotReported(s, System.currentTimeMillis());
        if (late.isEmpty()) {
          return Effect().none();
        }
        return Effect().persist(late).thenRun(state -> ctx.getSelf().tell(Internal.RELEASES_DONE));
      }
      case RELEASES_DONE:
        if (!s.exists() || !s.releasesRunning().isEmpty()) {
          return Effect().none();
        }
        timers.cancel(Internal.RELEASE_DEADLINE);
        if (s.state() == JobState.DELETING) {
          ctx.getSelf().tell(Internal.FINISH_DELETION);
        } else if (s.state() == JobState.TERMINATING) {
          return Effect().persist(new JobEvent.JobCompleted(s.terminateReason(), System.currentTimeMillis()));
        }
        return Effect().none();
      case REASSERT_DEMAND:
        if (s.exists()) {
          poolLink.reassert(s, leases.totalFree() > 0 || s.runningCount() > 0, System.currentTimeMillis());
        }
        return Effect().none();
      default:
        return Effect().none();
    }
  }

  /**
   * After every change: give back slots the job cannot use, schedule a dispatch when it can, tell
   * the pool how many more slots it could use, and see whether the job is done.
   */
  private void afterChange(JobRecord s) {
    if (!s.exists()) {
      return;
    }
    Set<String> avoid = Set.of();
    if (s.hasPreparation()) {
      // Where the preparation failed (waitForSuccess), the job's tasks never go: its slots there go back.
      avoid = s.nodesWithFailedPreparation();
      avoid.forEach(leases::drain);
    }
    leases.takeDraining().forEach((node, n) -> poolLink.returnSlots(s, node, n));
    long wanted = SlotDemand.wanted(s);
    poolLink.askGangs(s, false);
    int free = leases.totalFree();
    int room = SlotDemand.readyRoom(s, leases.roomByNode(prefetchPerSlot()));
    int giveBack = wanted == 0 ? free : Math.min(free, leases.owed());
    if (giveBack > 0) {
      leases.takeFree(giveBack).forEach((node, n) -> poolLink.returnSlots(s, node, n));
      free -= giveBack;
      room = SlotDemand.readyRoom(s, leases.roomByNode(prefetchPerSlot()));
    }
    if (wanted > 0 && (room > 0 || PreparationGate.preparationDue(s, acceptingNodes())) && !dispatchScheduled) {
      dispatchScheduled = true;
      ctx.getSelf().tell(Internal.DISPATCH);
    }
    poolLink.want(s, (int) Math.min(Integer.MAX_VALUE, Math.max(0, wanted - free)), avoid);
    if (SlotDemand.completesNow(s)) {
      ctx.getSelf().tell(Internal.CHECK_COMPLETION);
    }
    poolLink.counts(s, System.currentTimeMillis(), false);
  }

  /** A job's constraints.maxWallClockTime, counted from its creation: when it passes, the job is terminated. */
  private void armWallClock(JobRecord s) {
    if (!s.exists() || !s.spec().hasConstraints() || !s.spec().getConstraints().hasMaxWallClockTimeMs()
        || (s.state() != JobState.ACTIVE && s.state() != JobState.DISABLED)) {
      timers.cancel(Internal.WALL_CLOCK_EXPIRED);
      return;
    }
    long left = s.creationTimeMs() + s.spec().getConstraints().getMaxWallClockTimeMs() - System.currentTimeMillis();
    timers.startSingleTimer(Internal.WALL_CLOCK_EXPIRED, Duration.ofMillis(Math.max(0, left)));
  }

  /** The job action the completed tasks' exit options ask for (see {@link Endings#jobAction}), applied as a command of its own. */
  private void requestJobAction(JobRecord s, List<TaskOutcome> outcomes) {
    String action = Endings.jobAction(s, outcomes);
    if (!"none".equals(action)) {
      ctx.getSelf().tell(new ApplyJobAction(action));
    }
  }

  /** The leased nodes that take more of the job's tasks (not drained). */
  private List<String> acceptingNodes() {
    return leases.nodes().stream().filter(leases::accepts).toList();
  }

  // ------------------------------------------------------------------ preparation and release tasks

  /** Sends the attempt to the node's agent; after a restart, asks the pool where the agent is. */
  private void launchJobTask(JobRecord s, JobTaskKind kind, String nodeId, int attempt) {
    if (nodes.runJobTask(s, kind, nodeId, attempt)) {
      return;
    }
    String poolId = s.nodeJobTasks(nodeId).poolId();
    ctx.pipeToSelf(PoolEntity.ref(ctx.getSystem(), poolId)
            .<PoolEntity.NodeHandle>askWithStatus(r -> new PoolEntity.GetNode(nodeId, r), CATALOG_TIMEOUT),
        (node, err) -> new JobTaskAgent(kind, nodeId, attempt, node == null ? null : node.agent(),
            err instanceof BatchException b && (b.code() == ErrorCode.NODE_NOT_FOUND || b.code() == ErrorCode.POOL_NOT_FOUND)));
  }

  private Effect<JobEvent, JobRecord> onJobTaskAgent(JobRecord s, JobTaskAgent c) {
    if (!PreparationGate.isCurrentRun(s, c.kind(), c.nodeId(), c.attempt())) {
      return Effect().none();
    }
    if (c.agent() != null) {
      seen(c.nodeId(), c.agent());
      nodes.runJobTask(s, c.kind(), c.nodeId(), c.attempt());
      return Effect().none();
    }
    if (c.nodeGone()) {
      // The node left the pool: the task cannot run there (and a preparation is needed again should it come back).
      return Effect().persist(new JobEvent.JobTaskReset(c.kind(), c.nodeId(), System.currentTimeMillis()))
          .thenRun(state -> {
            if (c.kind() == JobTaskKind.RELEASE && state.releasesRunning().isEmpty()) {
              ctx.getSelf().tell(Internal.RELEASES_DONE);
            }
          });
    }
    // Not registered (yet) after a restart: try again; the release deadline bounds the wait.
    timers.startSingleTimer(c, new RelaunchJobTask(c.kind(), c.nodeId(), c.attempt()), RELAUNCH_AFTER);
    return Effect().none();
  }

  /** Launches the release tasks that run, and bounds how long the job waits for them. */
  private void startReleases(JobRecord s) {
    List<NodeJobTasks> releasing = s.releasesRunning();
    if (releasing.isEmpty()) {
      return;
    }
    releasing.forEach(n -> launchJobTask(s, JobTaskKind.RELEASE, n.nodeId(), n.release().attempt()));
    timers.startSingleTimer(Internal.RELEASE_DEADLINE, PreparationGate.releaseDeadline(s));
  }

  private static StatusReply<PreparationAndReleaseStatus> preparationStatus(JobRecord s) {
    BatchException refused = Refusals.preparationStatus(s);
    return refused != null ? StatusReply.error(refused)
        : StatusReply.success(new PreparationAndReleaseStatus(s.spec(), List.copyOf(s.nodeJobTasks())));
  }

  private int prefetchPerSlot() {
    return SlotDemand.prefetchPerSlot(meanAttemptMs, leases.owed());
  }

  private void releaseAll(JobRecord s) {
    nodes.clear();
    poolLink.releaseJob(s);
  }
}
