package io.batchgrid.api.routes;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.odata.FilterSchema;
import io.batchgrid.api.odata.Select;
import io.batchgrid.api.wire.Json;
import io.batchgrid.api.wire.SpecReader;
import io.batchgrid.api.wire.WireWriter;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.schedule.JobScheduleEntity;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.spec.JobScheduleSpec;

/** {@code /jobschedules}: add, list, get, exists, patch, update, delete, disable, enable, terminate, and their jobs. */
final class ScheduleRoutes {
  private final Coordinator coordinator;
  private final JobRoutes jobs;

  ScheduleRoutes(Coordinator coordinator, JobRoutes jobs) {
    this.coordinator = coordinator;
    this.jobs = jobs;
  }

  void register(Router r) {
    r.add("POST", "/jobschedules", Router.Body.REQUIRED, this::add);
    r.add("GET", "/jobschedules", Router.Body.NONE, this::list);
    r.add("GET", "/jobschedules/{}", Router.Body.NONE, this::get);
    r.add("HEAD", "/jobschedules/{}", Router.Body.NONE, this::get);
    r.add("PATCH", "/jobschedules/{}", Router.Body.REQUIRED, c -> update(c, false));
    r.add("PUT", "/jobschedules/{}", Router.Body.REQUIRED, c -> update(c, true));
    r.add("DELETE", "/jobschedules/{}", Router.Body.NONE, c -> change(c, JobScheduleEntity.Delete::new, 202));
    r.add("POST", "/jobschedules/{}/disable", Router.Body.OPTIONAL, c -> change(c, JobScheduleEntity.Disable::new, 204));
    r.add("POST", "/jobschedules/{}/enable", Router.Body.OPTIONAL, c -> change(c, JobScheduleEntity.Enable::new, 204));
    r.add("POST", "/jobschedules/{}/terminate", Router.Body.OPTIONAL, c -> change(c, JobScheduleEntity.Terminate::new, 202));
    r.add("GET", "/jobschedules/{}/jobs", Router.Body.NONE, this::listJobs);
  }

  static ApiError notFound() {
    return ApiError.of(ErrorCode.JOB_SCHEDULE_NOT_FOUND, "The specified job schedule does not exist.");
  }

  private static String scheduleId(Router.Call c) {
    String id = c.param(0);
    if (!Ids.isValid(id)) {
      throw notFound();
    }
    return id;
  }

  private CompletionStage<JobScheduleEntity.ScheduleView> view(String id, Duration timeout) {
    return coordinator.schedule(id, JobScheduleEntity.Get::new, timeout);
  }

  static Conditions.Version version(JobScheduleEntity.ScheduleView v) {
    return new Conditions.Version(v.record().creationTimeMs(), v.record().version(), v.record().lastModifiedMs());
  }

  private static List<HttpHeader> written(RequestContext ctx, JobScheduleEntity.ScheduleView v) {
    return Responses.written(version(v).etag(), v.record().lastModifiedMs(),
        ctx.writer().jobScheduleUrl(v.record().id()));
  }

  private static ObjectNode wire(RequestContext ctx, JobScheduleEntity.ScheduleView v) {
    return ctx.writer().jobSchedule(v.record(), v.nextRunMs(), v.recentJobId());
  }

  /**
   * The schedule on the wire, with {@code stats} (the sum over the jobs it created that still
   * exist) when {@code $expand=stats} asked for them.
   */
  private CompletionStage<ObjectNode> wire(RequestContext ctx, JobScheduleEntity.ScheduleView v, boolean stats,
      Duration timeout) {
    ObjectNode o = wire(ctx, v);
    if (!stats) {
      return java.util.concurrent.CompletableFuture.completedFuture(o);
    }
    long now = System.currentTimeMillis();
    io.batchgrid.protocol.job.Statistics none = io.batchgrid.protocol.job.Statistics.empty(v.record().creationTimeMs(), now);
    CompletionStage<io.batchgrid.protocol.job.Statistics> sum = java.util.concurrent.CompletableFuture.completedFuture(none);
    for (long n = 1; n <= v.record().lastJob(); n++) {
      String jobId = v.record().jobId(n);
      CompletionStage<io.batchgrid.protocol.job.Statistics> one = jobs.statistics(jobId, timeout)
          .exceptionally(e -> {
            if (ApiHandler.unwrap(e) instanceof BatchException b && b.code() == ErrorCode.JOB_NOT_FOUND) {
              return none; // deleted since
            }
            throw e instanceof java.util.concurrent.CompletionException ce ? ce : new java.util.concurrent.CompletionException(e);
          });
      sum = sum.thenCombine(one, io.batchgrid.protocol.job.Statistics::plus);
    }
    return sum.thenApply(s -> {
      o.set("stats", WireWriter.statistics(ctx.writer().jobScheduleUrl(v.record().id()), s, true));
      return o;
    });
  }

  private CompletionStage<HttpResponse> add(Router.Call c) {
    RequestContext ctx = c.ctx();
    JobScheduleSpec spec = SpecReader.jobSchedule(Json.parseObject(c.body()));
    return coordinator.<JobScheduleEntity.ScheduleView>schedule(spec.getId(),
            r -> new JobScheduleEntity.Create(spec, r), ctx.timeout())
        .thenApply(v -> Responses.empty(ctx, 201, written(ctx, v)));
  }

  private CompletionStage<HttpResponse> get(Router.Call c) {
    RequestContext ctx = c.ctx();
    Select select = Lists.select(ctx);
    Precondition conditions = Conditions.of(ctx);
    boolean stats = Lists.expandStats(ctx);
    return view(scheduleId(c), ctx.timeout()).thenCompose(v -> {
      List<HttpHeader> headers = Responses.entity(version(v).etag(), v.record().lastModifiedMs());
      if (Conditions.notModified(conditions, version(v))) {
        return java.util.concurrent.CompletableFuture.completedFuture(Responses.empty(ctx, 304, headers));
      }
      return wire(ctx, v, stats, ctx.timeout()).thenApply(o -> Responses.json(ctx, 200,
          Responses.entityBody(ctx, "jobschedules/@Element", Lists.project(o, select)), headers));
    });
  }

  private CompletionStage<HttpResponse> list(Router.Call c) {
    RequestContext ctx = c.ctx();
    return Lists.ofCatalog(ctx, coordinator, Catalog.Kind.SCHEDULE, FilterSchema.JOB_SCHEDULES, ErrorCode.JOB_SCHEDULE_NOT_FOUND, "jobschedules",
        (key, stats, timeout) -> view(key, timeout).thenCompose(v -> wire(ctx, v, stats, timeout)));
  }


  private CompletionStage<HttpResponse> update(Router.Call c, boolean replace) {
    RequestContext ctx = c.ctx();
    String id = scheduleId(c);
    ObjectNode body = Json.parseObject(c.body());
    Duration timeout = ctx.timeout();
    Precondition conditions = Conditions.of(ctx);
    return merge(id, body, replace, conditions, timeout, MERGE_ATTEMPTS)
        .thenApply(v -> Responses.empty(ctx, 200, written(ctx, v)));
  }

  /** How often an update is merged again when another write landed between its read and its write. */
  private static final int MERGE_ATTEMPTS = 5;

  /**
   * An update is merged into the schedule as read, and written only if the schedule is still that
   * version (an If-Match on the ETag read, checked by the entity together with the client's own
   * conditions): a write that lands in between is never overwritten with a stale merge. The merge
   * is then redone on the new version, unless the client's own condition is what failed.
   */
  private CompletionStage<JobScheduleEntity.ScheduleView> merge(String id, ObjectNode body, boolean replace,
      Precondition conditions, Duration timeout, int attempts) {
    return view(id, timeout).thenCompose(current -> {
      String read = version(current).etag();
      if (conditions.ifMatch() != null && !Precondition.matches(conditions.ifMatch(), read)) {
        throw ApiError.of(Precondition.ifMatch(conditions.ifMatch()).violation(
            current.record().creationTimeMs(), current.record().version(), current.record().lastModifiedMs()));
      }
      JobScheduleSpec spec = SpecReader.jobScheduleUpdate(current.record().spec(), body, replace);
      Precondition guarded = new Precondition(read, conditions.ifNoneMatch(), conditions.ifModifiedSinceS(),
          conditions.ifUnmodifiedSinceS());
      return coordinator.<JobScheduleEntity.ScheduleView>schedule(id, r -> new JobScheduleEntity.Update(spec, guarded, r), timeout)
          .handle((v, e) -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            boolean raced = cause instanceof BatchException b && b.code() == ErrorCode.CONDITION_NOT_MET
                && "If-Match".equals(b.values().get("HeaderName"));
            if (e == null) {
              return java.util.concurrent.CompletableFuture.completedFuture(v);
            }
            if (raced && attempts > 1) {
              return merge(id, body, replace, conditions, timeout, attempts - 1);
            }
            return java.util.concurrent.CompletableFuture.<JobScheduleEntity.ScheduleView>failedFuture(cause);
          })
          .thenCompose(x -> x);
    });
  }

  private CompletionStage<HttpResponse> change(Router.Call c,
      java.util.function.BiFunction<Precondition, org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<Done>>,
          JobScheduleEntity.Command> command, int status) {
    RequestContext ctx = c.ctx();
    String id = scheduleId(c);
    Duration timeout = ctx.timeout();
    boolean deleting = ctx.method().equals("DELETE");
    Precondition conditions = Conditions.of(ctx);
    return coordinator.<Done>schedule(id, r -> command.apply(conditions, r), timeout)
        .thenCompose(done -> deleting
            ? java.util.concurrent.CompletableFuture.completedFuture(Responses.empty(ctx, status, List.of()))
            : view(id, timeout).thenApply(v -> Responses.empty(ctx, status, written(ctx, v))));
  }

  /** The jobs a schedule created: ids {@code <scheduleId>:job-<n>}. */
  private CompletionStage<HttpResponse> listJobs(Router.Call c) {
    RequestContext ctx = c.ctx();
    String id = scheduleId(c);
    int max = Lists.maxResults(ctx);
    String after = Lists.afterKey(ctx);
    Predicate<ObjectNode> filter = Lists.filter(ctx, FilterSchema.JOBS);
    Select select = Lists.select(ctx);
    Duration timeout = ctx.timeout();
    String prefix = Ids.key(id).toLowerCase(Locale.ROOT) + ":job-";
    boolean stats = Lists.expandStats(ctx);
    return view(id, timeout)
        .thenCompose(v -> coordinator.ids(Catalog.Kind.JOB, timeout))
        .thenCompose(ids -> Lists.page(PoolRoutes.keys(ids).stream().filter(k -> k.startsWith(prefix)).toList(), after, max,
            key -> jobs.summary(key, timeout).thenCompose(j -> jobs.wire(ctx, j, stats, timeout)).thenApply(Optional::of)
                .exceptionally(e -> PoolRoutes.absentIfNotFound(e, ErrorCode.JOB_NOT_FOUND)), filter))
        .thenApply(page -> PoolRoutes.listResponse(ctx, "jobs", page, select));
  }
}
