package io.batchgrid.api.routes;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.StatusReply;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.odata.FilterSchema;
import io.batchgrid.api.odata.Select;
import io.batchgrid.api.wire.Json;
import io.batchgrid.api.wire.SpecReader;
import io.batchgrid.api.wire.WireWriter;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.spec.JobSpec;

/** {@code /jobs}, {@code /jobs/{jobId}}, terminate and task counts. */
final class JobRoutes {
  private final Coordinator coordinator;

  JobRoutes(Coordinator coordinator) {
    this.coordinator = coordinator;
  }

  void register(Router r) {
    r.add("POST", "/jobs", Router.Body.REQUIRED, this::add);
    r.add("GET", "/jobs", Router.Body.NONE, this::list);
    r.add("GET", "/jobs/{}", Router.Body.NONE, this::get);
    r.add("PATCH", "/jobs/{}", Router.Body.REQUIRED, c -> update(c, false));
    r.add("PUT", "/jobs/{}", Router.Body.REQUIRED, c -> update(c, true));
    r.add("DELETE", "/jobs/{}", Router.Body.NONE, this::delete);
    r.add("POST", "/jobs/{}/terminate", Router.Body.OPTIONAL, this::terminate);
    r.add("POST", "/jobs/{}/disable", Router.Body.REQUIRED, this::disable);
    r.add("POST", "/jobs/{}/enable", Router.Body.OPTIONAL, this::enable);
    r.add("GET", "/jobs/{}/taskcounts", Router.Body.NONE, this::taskCounts);
    r.add("GET", "/jobs/{}/jobpreparationandreleasetaskstatus", Router.Body.NONE, this::preparationStatus);
  }

  static ApiError jobNotFound() {
    return ApiError.of(ErrorCode.JOB_NOT_FOUND, "The specified job does not exist.");
  }

  static String jobId(Router.Call c) {
    String id = c.param(0);
    if (!Ids.isValid(id)) {
      throw jobNotFound();
    }
    return id;
  }

  CompletionStage<JobSummary> summary(String jobId, Duration timeout) {
    return coordinator.job(jobId, JobEntity.Get::new, timeout);
  }

  static List<org.apache.pekko.http.javadsl.model.HttpHeader> written(RequestContext ctx, JobSummary j) {
    return Responses.written(WireWriter.etag(j.creationTimeMs(), j.version()), j.lastModifiedMs(),
        ctx.writer().jobUrl(j.spec().getId()));
  }

  private CompletionStage<HttpResponse> add(Router.Call c) {
    JobSpec spec = SpecReader.job(Json.parseObject(c.body()));
    RequestContext ctx = c.ctx();
    return coordinator.<JobSummary>job(spec.getId(), r -> new JobEntity.Create(spec, r), ctx.timeout())
        .thenApply(j -> Responses.empty(ctx, 201, written(ctx, j)));
  }

  static Conditions.Version version(JobSummary j) {
    return new Conditions.Version(j.creationTimeMs(), j.version(), j.lastModifiedMs());
  }

  private CompletionStage<HttpResponse> get(Router.Call c) {
    RequestContext ctx = c.ctx();
    Select select = Lists.select(ctx);
    Precondition conditions = Conditions.of(ctx);
    boolean stats = Lists.expandStats(ctx);
    return summary(jobId(c), ctx.timeout()).thenCompose(j -> {
      List<org.apache.pekko.http.javadsl.model.HttpHeader> headers =
          Responses.entity(WireWriter.etag(j.creationTimeMs(), j.version()), j.lastModifiedMs());
      if (Conditions.notModified(conditions, version(j))) {
        return CompletableFuture.completedFuture(Responses.empty(ctx, 304, headers));
      }
      return wire(ctx, j, stats, ctx.timeout()).thenApply(o ->
          Responses.json(ctx, 200, Responses.entityBody(ctx, "jobs/@Element", Lists.project(o, select)), headers));
    });
  }

  /** The job on the wire, with its {@code stats} when {@code $expand=stats} asked for them. */
  CompletionStage<ObjectNode> wire(RequestContext ctx, JobSummary j, boolean stats, Duration timeout) {
    ObjectNode o = ctx.writer().job(j);
    if (!stats) {
      return CompletableFuture.completedFuture(o);
    }
    return statistics(j.spec().getId(), timeout).thenApply(s -> {
      o.set("stats", WireWriter.statistics(ctx.writer().jobUrl(j.spec().getId()), s, true));
      return o;
    });
  }

  CompletionStage<io.batchgrid.protocol.job.Statistics> statistics(String jobId, Duration timeout) {
    return coordinator.job(jobId, JobEntity.GetStatistics::new, timeout);
  }

  private CompletionStage<HttpResponse> list(Router.Call c) {
    RequestContext ctx = c.ctx();
    return Lists.ofCatalog(ctx, coordinator, Catalog.Kind.JOB, FilterSchema.JOBS, ErrorCode.JOB_NOT_FOUND, "jobs",
        (key, stats, timeout) -> summary(key, timeout).thenCompose(j -> wire(ctx, j, stats, timeout)));
  }


  private CompletionStage<HttpResponse> update(Router.Call c, boolean replace) {
    RequestContext ctx = c.ctx();
    String jobId = jobId(c);
    ObjectNode body = Json.parseObject(c.body());
    JobEntity.JobPatch patch = SpecReader.jobPatch(body, replace);
    String poolId = SpecReader.patchedPoolId(body);
    CompletionStage<Void> check = poolId == null ? CompletableFuture.completedFuture(null)
        : summary(jobId, ctx.timeout()).thenAccept(j -> {
          if (!Ids.key(j.spec().getPoolId()).equals(Ids.key(poolId))) {
            throw ApiError.notSupported("poolId", "Moving a job to another pool is not supported yet");
          }
        });
    Precondition conditions = Conditions.of(ctx);
    return check.thenCompose(x -> coordinator.<JobSummary>job(jobId, r -> new JobEntity.Update(patch, conditions, r), ctx.timeout()))
        .thenApply(j -> Responses.empty(ctx, 200, written(ctx, j)));
  }

  private CompletionStage<HttpResponse> delete(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = jobId(c);
    Precondition conditions = Conditions.of(ctx);
    return coordinator.<org.apache.pekko.Done>job(jobId, r -> new JobEntity.Delete(conditions, r), ctx.timeout())
        .thenApply(done -> Responses.empty(ctx, 202, List.of()));
  }

  private CompletionStage<HttpResponse> terminate(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = jobId(c);
    String reason = c.body().length == 0 ? null : SpecReader.terminateReason(Json.parseObject(c.body()));
    Precondition conditions = Conditions.of(ctx);
    return accepted(ctx, jobId, r -> new JobEntity.Terminate(reason, conditions, r));
  }

  /** A job write that acknowledges, answered 202 with the job's new ETag and last-modified time. */
  private CompletionStage<HttpResponse> accepted(RequestContext ctx, String jobId,
      Function<ActorRef<StatusReply<Done>>, JobEntity.Command> write) {
    return coordinator.<Done>job(jobId, write, ctx.timeout())
        .thenCompose(done -> summary(jobId, ctx.timeout()))
        .thenApply(j -> Responses.empty(ctx, 202, written(ctx, j)));
  }

  static final java.util.Set<String> DISABLE_TASKS = java.util.Set.of("requeue", "terminate", "wait");

  private CompletionStage<HttpResponse> disable(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = jobId(c);
    io.batchgrid.api.wire.Props p = io.batchgrid.api.wire.Props.root(Json.parseObject(c.body()));
    String disableTasks = p.enumValue("disableTasks", DISABLE_TASKS);
    if (disableTasks == null) {
      throw ApiError.missingProperty("disableTasks");
    }
    Precondition conditions = Conditions.of(ctx);
    return accepted(ctx, jobId, r -> new JobEntity.Disable(disableTasks, conditions, r));
  }

  private CompletionStage<HttpResponse> enable(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = jobId(c);
    Precondition conditions = Conditions.of(ctx);
    return accepted(ctx, jobId, r -> new JobEntity.Enable(conditions, r));
  }

  /**
   * Where the job's preparation and release tasks ran, one entry per node (nodes that have left the
   * pool included), in node id order; 409 JobPreparationTaskNotSpecified for a job without them.
   */
  private CompletionStage<HttpResponse> preparationStatus(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = jobId(c);
    int max = Lists.maxResults(ctx);
    String after = Lists.afterKey(ctx);
    Predicate<ObjectNode> filter = Lists.filter(ctx, FilterSchema.PREPARATION_AND_RELEASE_STATUS);
    Select select = Lists.select(ctx);
    return coordinator.<JobEntity.PreparationAndReleaseStatus>job(jobId, JobEntity.GetPreparationAndReleaseStatus::new,
            ctx.timeout())
        .thenCompose(status -> {
          java.util.Map<String, ObjectNode> byKey = new java.util.TreeMap<>();
          status.nodes().forEach(n -> byKey.put(Ids.key(n.nodeId()),
              ctx.writer().preparationAndReleaseStatus(status.spec(), n)));
          return Lists.page(List.copyOf(byKey.keySet()), after, max,
              key -> CompletableFuture.completedFuture(Optional.of(byKey.get(key))), filter);
        })
        .thenApply(page -> PoolRoutes.listResponse(ctx, "jobpreparationandreleasetaskstatuslist", page, select));
  }

  private CompletionStage<HttpResponse> taskCounts(Router.Call c) {
    RequestContext ctx = c.ctx();
    return summary(jobId(c), ctx.timeout()).thenApply(j -> {
      ObjectNode body = Json.object();
      body.put("odata.metadata", ctx.writer().metadata("Microsoft.Azure.Batch.Protocol.Entities.TaskCountsResult"));
      body.setAll(ctx.writer().taskCounts(j.taskCounts(), j.taskSlotCounts()));
      return Responses.json(ctx, 200, body, List.of());
    });
  }
}
