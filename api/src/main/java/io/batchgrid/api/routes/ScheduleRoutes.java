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
import io.batchgrid.protocol.Ids;
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
    return new Conditions.Version(WireWriter.etag(v.record().creationTimeMs(), v.record().version()),
        v.record().lastModifiedMs());
  }

  private static List<HttpHeader> written(RequestContext ctx, JobScheduleEntity.ScheduleView v) {
    return Responses.written(version(v).etag(), v.record().lastModifiedMs(),
        ctx.writer().jobScheduleUrl(v.record().id()));
  }

  private static ObjectNode wire(RequestContext ctx, JobScheduleEntity.ScheduleView v) {
    return ctx.writer().jobSchedule(v.record(), v.nextRunMs(), v.recentJobId());
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
    Conditions conditions = Conditions.of(ctx);
    return view(scheduleId(c), ctx.timeout()).thenApply(v -> {
      List<HttpHeader> headers = Responses.entity(version(v).etag(), v.record().lastModifiedMs());
      if (conditions != null && conditions.notModified(version(v))) {
        return Responses.empty(ctx, 304, headers);
      }
      return Responses.json(ctx, 200, Responses.entityBody(ctx, "jobschedules/@Element",
          Lists.project(wire(ctx, v), select)), headers);
    });
  }

  private CompletionStage<HttpResponse> list(Router.Call c) {
    RequestContext ctx = c.ctx();
    int max = Lists.maxResults(ctx);
    String after = Lists.afterKey(ctx);
    Predicate<ObjectNode> filter = Lists.filter(ctx, FilterSchema.JOB_SCHEDULES);
    Select select = Lists.select(ctx);
    Duration timeout = ctx.timeout();
    return coordinator.ids(Catalog.Kind.SCHEDULE, timeout)
        .thenCompose(ids -> Lists.page(PoolRoutes.keys(ids), after, max, key -> view(key, timeout)
            .thenApply(v -> Optional.of(wire(ctx, v)))
            .exceptionally(e -> PoolRoutes.absentIfNotFound(e, ErrorCode.JOB_SCHEDULE_NOT_FOUND)), filter))
        .thenApply(page -> PoolRoutes.listResponse(ctx, "jobschedules", page, select));
  }

  private CompletionStage<HttpResponse> update(Router.Call c, boolean replace) {
    RequestContext ctx = c.ctx();
    String id = scheduleId(c);
    ObjectNode body = Json.parseObject(c.body());
    Duration timeout = ctx.timeout();
    Conditions conditions = Conditions.of(ctx);
    return view(id, timeout).thenCompose(current -> {
      if (conditions != null) {
        conditions.checkWrite(version(current));
      }
      JobScheduleSpec spec = SpecReader.jobScheduleUpdate(current.record().spec(), body, replace);
      return coordinator.<JobScheduleEntity.ScheduleView>schedule(id, r -> new JobScheduleEntity.Update(spec, r), timeout);
    }).thenApply(v -> Responses.empty(ctx, 200, written(ctx, v)));
  }

  private CompletionStage<HttpResponse> change(Router.Call c,
      org.apache.pekko.japi.function.Function<org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<Done>>,
          JobScheduleEntity.Command> command, int status) {
    RequestContext ctx = c.ctx();
    String id = scheduleId(c);
    Duration timeout = ctx.timeout();
    boolean deleting = ctx.method().equals("DELETE");
    return Conditions.guardWrite(ctx, () -> view(id, timeout).thenApply(ScheduleRoutes::version),
            () -> coordinator.<Done>schedule(id, command, timeout))
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
    return view(id, timeout)
        .thenCompose(v -> coordinator.ids(Catalog.Kind.JOB, timeout))
        .thenCompose(ids -> Lists.page(PoolRoutes.keys(ids).stream().filter(k -> k.startsWith(prefix)).toList(), after, max,
            key -> jobs.summary(key, timeout).thenApply(j -> Optional.of(ctx.writer().job(j)))
                .exceptionally(e -> PoolRoutes.absentIfNotFound(e, ErrorCode.JOB_NOT_FOUND)), filter))
        .thenApply(page -> PoolRoutes.listResponse(ctx, "jobs", page, select));
  }
}
