package io.batchgrid.coordinator.schedule;

import java.time.Duration;
import java.util.List;

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
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.schedule.JobScheduleEvent;
import io.batchgrid.protocol.schedule.JobScheduleRecord;
import io.batchgrid.protocol.schedule.JobScheduleState;
import io.batchgrid.protocol.spec.JobScheduleSpec;

/**
 * A job schedule: creates the jobs of its {@code jobSpecification} ({@code <id>:job-<n>}) at the
 * times its schedule says, one active job at a time, as Azure Batch does. Driven by a timer set to
 * the next run; the run's number is persisted before its job is created and the creation is
 * confirmed after, so a restart neither misses nor doubles a run.
 */
public final class JobScheduleEntity extends EventSourcedBehavior<JobScheduleEntity.Command, JobScheduleEvent, JobScheduleRecord> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "JobSchedule");

  public sealed interface Command {}

  public record Create(JobScheduleSpec spec, ActorRef<StatusReply<ScheduleView>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<ScheduleView>> replyTo) implements Command {}

  /** Replaces the schedule, job specification and metadata (PUT and PATCH: the API merges a PATCH). */
  public record Update(JobScheduleSpec spec, Precondition precondition, ActorRef<StatusReply<ScheduleView>> replyTo)
      implements Command {
    public Update(JobScheduleSpec spec, ActorRef<StatusReply<ScheduleView>> replyTo) {
      this(spec, Precondition.NONE, replyTo);
    }
  }

  public record Disable(Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Disable(ActorRef<StatusReply<Done>> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  public record Enable(Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Enable(ActorRef<StatusReply<Done>> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  /** No more runs; the active job, if any, is terminated. */
  public record Terminate(Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Terminate(ActorRef<StatusReply<Done>> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  /** The schedule and every job it created are deleted. */
  public record Delete(Precondition precondition, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public Delete(ActorRef<StatusReply<Done>> replyTo) {
      this(Precondition.NONE, replyTo);
    }
  }

  private enum Tick implements Command { DUE }

  private record PreviousJob(long due, JobState state) implements Command {}

  private record JobCreationDone(long n, Throwable failure) implements Command {}

  private record RetryCreation(long n) implements Command {}

  private record LastJob(JobState state) implements Command {}

  private record Registered(StatusReply<ScheduleView> reply, ActorRef<StatusReply<ScheduleView>> replyTo) implements Command {}

  /** The schedule as {@code GET /jobschedules/{id}} shows it; {@code nextRunMs} -1 when there is none. */
  public record ScheduleView(JobScheduleRecord record, long nextRunMs, String recentJobId) {}

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), ctx.getShard())));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system, String scheduleId) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, Ids.key(scheduleId));
  }

  public static Behavior<Command> create(String entityId, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new JobScheduleEntity(ctx, timers, entityId, shard)));
  }

  private static final Duration ASK = Duration.ofSeconds(10);
  /** How often a due run looks again whether the previous job has finished. */
  private static final Duration RECHECK = Duration.ofSeconds(1);
  /** The longest single timer step towards a run. */
  private static final Duration MAX_TIMER = Duration.ofDays(30);

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;

  private JobScheduleEntity(ActorContext<Command> ctx, TimerScheduler<Command> timers, String entityId,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId));
    this.ctx = ctx;
    this.timers = timers;
    this.shard = shard;
  }

  @Override
  public JobScheduleRecord emptyState() {
    return JobScheduleRecord.EMPTY;
  }

  @Override
  public EventHandler<JobScheduleRecord, JobScheduleEvent> eventHandler() {
    return (state, event) -> state.apply(event);
  }

  @Override
  public SignalHandler<JobScheduleRecord> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (!state.exists()) {
            return;
          }
          if (!state.lastJobCreated()) {
            createJob(state, state.lastJob()); // started before a crash, never confirmed
          }
          schedule(state);
        })
        .build();
  }

  @Override
  public CommandHandler<Command, JobScheduleEvent, JobScheduleRecord> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s.exists() ? StatusReply.success(view(s)) : notFound()))
        .onCommand(Update.class, (s, c) -> {
          if (!s.exists()) {
            return Effect().reply(c.replyTo(), notFound());
          }
          BatchException unmet = unmet(s, c.precondition());
          if (unmet != null) {
            return Effect().reply(c.replyTo(), StatusReply.error(unmet));
          }
          return Effect().persist(new JobScheduleEvent.ScheduleUpdated(c.spec().toBuilder().setId(s.id()).build(),
              System.currentTimeMillis())).thenRun(this::schedule).thenReply(c.replyTo(), st -> StatusReply.success(view(st)));
        })
        .onCommand(Disable.class, (s, c) -> change(s, JobScheduleState.ACTIVE, new JobScheduleEvent.ScheduleDisabled(System.currentTimeMillis()), c.precondition(), c.replyTo()))
        .onCommand(Enable.class, (s, c) -> change(s, JobScheduleState.DISABLED, new JobScheduleEvent.ScheduleEnabled(System.currentTimeMillis()), c.precondition(), c.replyTo()))
        .onCommand(Terminate.class, this::onTerminate)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Tick.class, (s, c) -> onDue(s))
        .onCommand(PreviousJob.class, this::onPreviousJob)
        .onCommand(JobCreationDone.class, this::onJobCreationDone)
        .onCommand(RetryCreation.class, (s, c) -> {
          if (s.exists() && s.lastJob() == c.n() && !s.lastJobCreated()) {
            createJob(s, c.n());
          }
          return Effect().none();
        })
        .onCommand(LastJob.class, (s, c) -> {
          if (!s.exists() || s.state() != JobScheduleState.ACTIVE || s.nextRunMs() >= 0) {
            return Effect().none();
          }
          if (c.state() == null || c.state() == JobState.COMPLETED) {
            return Effect().persist(new JobScheduleEvent.ScheduleCompleted("DoNotRunAfter", System.currentTimeMillis()));
          }
          timers.startSingleTimer(Tick.DUE, RECHECK);
          return Effect().none();
        })
        .onCommand(Registered.class, (s, c) -> Effect().reply(c.replyTo(), c.reply()))
        .build();
  }

  private Effect<JobScheduleEvent, JobScheduleRecord> onCreate(JobScheduleRecord s, Create c) {
    if (s.exists()) {
      return Effect().reply(c.replyTo(), StatusReply.error(BatchException.of(ErrorCode.JOB_SCHEDULE_EXISTS,
          "The specified job schedule already exists.")));
    }
    return Effect().persist(new JobScheduleEvent.ScheduleCreated(c.spec(), System.currentTimeMillis()))
        .thenRun(state -> {
          schedule(state);
          ScheduleView v = view(state);
          ctx.pipeToSelf(Catalog.ref(ctx.getSystem()).<Done>ask(r -> new Catalog.Add(Catalog.Kind.SCHEDULE, state.id(), r), ASK),
              (ok, err) -> new Registered(err == null ? StatusReply.success(v) : StatusReply.error(err), c.replyTo()));
        });
  }

  private Effect<JobScheduleEvent, JobScheduleRecord> change(JobScheduleRecord s, JobScheduleState from,
      JobScheduleEvent event, Precondition precondition, ActorRef<StatusReply<Done>> replyTo) {
    if (!s.exists()) {
      return Effect().reply(replyTo, notFound());
    }
    BatchException unmet = unmet(s, precondition);
    if (unmet != null) {
      return Effect().reply(replyTo, StatusReply.error(unmet));
    }
    if (s.state() != from) {
      return Effect().reply(replyTo, s.state() == JobScheduleState.COMPLETED
          ? StatusReply.error(BatchException.of(ErrorCode.JOB_SCHEDULE_COMPLETED, "The specified job schedule is already completed."))
          : StatusReply.ack());
    }
    return Effect().persist(event).thenRun(this::schedule).thenReply(replyTo, st -> StatusReply.ack());
  }

  private Effect<JobScheduleEvent, JobScheduleRecord> onTerminate(JobScheduleRecord s, Terminate c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    BatchException unmet = unmet(s, c.precondition());
    if (unmet != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(unmet));
    }
    if (s.state() == JobScheduleState.COMPLETED) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new JobScheduleEvent.ScheduleCompleted("", System.currentTimeMillis()))
        .thenRun(state -> {
          timers.cancel(Tick.DUE);
          if (state.lastJob() > 0) {
            JobEntity.ref(ctx.getSystem(), state.jobId(state.lastJob()))
                .tell(new JobEntity.Terminate("JobScheduleTerminated", ctx.getSystem().ignoreRef()));
          }
        })
        .thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  private Effect<JobScheduleEvent, JobScheduleRecord> onDelete(JobScheduleRecord s, Delete c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), notFound());
    }
    BatchException unmet = unmet(s, c.precondition());
    if (unmet != null) {
      return Effect().reply(c.replyTo(), StatusReply.error(unmet));
    }
    String id = s.id();
    List<String> jobs = java.util.stream.LongStream.rangeClosed(1, s.lastJob()).mapToObj(s::jobId).toList();
    return Effect().persist(new JobScheduleEvent.ScheduleDeleted(System.currentTimeMillis()))
        .thenRun(state -> {
          timers.cancel(Tick.DUE);
          jobs.forEach(j -> JobEntity.ref(ctx.getSystem(), j).tell(new JobEntity.Delete(ctx.getSystem().ignoreRef())));
          Catalog.ref(ctx.getSystem()).tell(new Catalog.Remove(Catalog.Kind.SCHEDULE, id, ctx.getSystem().<Done>ignoreRef()));
          shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
        })
        .thenReply(c.replyTo(), st -> StatusReply.ack());
  }

  /** A run is due: it may start only when the previous job has finished. */
  private Effect<JobScheduleEvent, JobScheduleRecord> onDue(JobScheduleRecord s) {
    if (!s.exists() || s.state() != JobScheduleState.ACTIVE) {
      return Effect().none();
    }
    long due = s.nextRunMs();
    long now = System.currentTimeMillis();
    if (due < 0) {
      return completeIfDone(s);
    }
    if (due > now) {
      schedule(s);
      return Effect().none();
    }
    if (s.lastJob() == 0) {
      return startRun(s, due);
    }
    ctx.pipeToSelf(JobEntity.ref(ctx.getSystem(), s.jobId(s.lastJob())).<JobSummary>askWithStatus(JobEntity.Get::new, ASK),
        (summary, err) -> new PreviousJob(due, summary == null ? null : summary.state()));
    return Effect().none();
  }

  private Effect<JobScheduleEvent, JobScheduleRecord> onPreviousJob(JobScheduleRecord s, PreviousJob c) {
    if (!s.exists() || s.state() != JobScheduleState.ACTIVE || s.nextRunMs() != c.due()) {
      return Effect().none();
    }
    boolean previousDone = c.state() == null || c.state() == JobState.COMPLETED;
    if (previousDone) {
      return startRun(s, c.due());
    }
    long window = s.spec().getSchedule().hasStartWindowMs() ? s.spec().getSchedule().getStartWindowMs() : Long.MAX_VALUE;
    if (System.currentTimeMillis() - c.due() > window) {
      return Effect().persist(new JobScheduleEvent.RunSkipped(c.due(), System.currentTimeMillis())).thenRun(this::schedule);
    }
    timers.startSingleTimer(Tick.DUE, RECHECK);
    return Effect().none();
  }

  private Effect<JobScheduleEvent, JobScheduleRecord> startRun(JobScheduleRecord s, long due) {
    long n = s.lastJob() + 1;
    return Effect().persist(new JobScheduleEvent.JobStarted(n, System.currentTimeMillis()))
        .thenRun(state -> createJob(state, n));
  }

  private void createJob(JobScheduleRecord s, long n) {
    var spec = s.spec().getJobSpecification().toBuilder().setId(s.jobId(n)).build();
    ctx.pipeToSelf(JobEntity.ref(ctx.getSystem(), spec.getId()).<JobSummary>askWithStatus(r -> new JobEntity.Create(spec, r), ASK),
        (ok, err) -> new JobCreationDone(n, err));
  }

  private Effect<JobScheduleEvent, JobScheduleRecord> onJobCreationDone(JobScheduleRecord s, JobCreationDone c) {
    if (!s.exists() || s.lastJob() != c.n() || s.lastJobCreated()) {
      return Effect().none();
    }
    boolean exists = c.failure() instanceof BatchException b && b.code() == ErrorCode.JOB_EXISTS;
    if (c.failure() != null && !exists) {
      // The job entity did not answer: try again shortly; creation is idempotent.
      ctx.getLog().warn("job {} of schedule {} not created yet: {}", s.jobId(c.n()), s.id(), c.failure().toString());
      ctx.scheduleOnce(RECHECK, ctx.getSelf(), new RetryCreation(c.n()));
      return Effect().none();
    }
    return Effect().persist(new JobScheduleEvent.JobCreated(c.n(), System.currentTimeMillis())).thenRun(this::schedule);
  }

  /** Past its last run, a schedule completes once its last job has. */
  private Effect<JobScheduleEvent, JobScheduleRecord> completeIfDone(JobScheduleRecord s) {
    boolean pastEnd = s.spec().getSchedule().hasDoNotRunAfterMs()
        && System.currentTimeMillis() > s.spec().getSchedule().getDoNotRunAfterMs();
    if (!pastEnd) {
      schedule(s); // the end is further than one timer step away
      return Effect().none(); // a one-off schedule stays active until it is terminated, as in Azure Batch
    }
    if (s.lastJob() == 0) {
      return Effect().persist(new JobScheduleEvent.ScheduleCompleted("DoNotRunAfter", System.currentTimeMillis()));
    }
    ctx.pipeToSelf(JobEntity.ref(ctx.getSystem(), s.jobId(s.lastJob())).<JobSummary>askWithStatus(JobEntity.Get::new, ASK),
        (summary, err) -> new LastJob(summary == null ? null : summary.state()));
    return Effect().none();
  }

  /** Sets the timer for the next run (or for the end of the schedule). */
  private void schedule(JobScheduleRecord s) {
    if (!s.exists() || s.state() != JobScheduleState.ACTIVE) {
      timers.cancel(Tick.DUE);
      return;
    }
    long next = s.nextRunMs();
    long at = next >= 0 ? next
        : s.spec().getSchedule().hasDoNotRunAfterMs() ? s.spec().getSchedule().getDoNotRunAfterMs() + 1 : -1;
    if (at < 0) {
      timers.cancel(Tick.DUE);
      return;
    }
    // The scheduler refuses delays beyond about 248 days: a run further away is armed in steps
    // (a tick before it is due only arms the next step).
    long delay = Math.min(MAX_TIMER.toMillis(), Math.max(0, at - System.currentTimeMillis()));
    timers.startSingleTimer(Tick.DUE, Duration.ofMillis(delay));
  }

  private ScheduleView view(JobScheduleRecord s) {
    return new ScheduleView(s, s.nextRunMs(), s.lastJob() > 0 ? s.jobId(s.lastJob()) : null);
  }

  /**
   * A conditional write's conditions against the schedule's current version, checked in the
   * handling that persists the write so that nothing lands in between; null when they hold.
   */
  private static BatchException unmet(JobScheduleRecord s, Precondition p) {
    return p.violation(s.creationTimeMs(), s.version(), s.lastModifiedMs());
  }

  private static <T> StatusReply<T> notFound() {
    return StatusReply.error(BatchException.of(ErrorCode.JOB_SCHEDULE_NOT_FOUND, "The specified job schedule does not exist."));
  }
}
