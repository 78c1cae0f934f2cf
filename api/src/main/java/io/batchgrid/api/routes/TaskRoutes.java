package io.batchgrid.api.routes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.StatusReply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.odata.FilterSchema;
import io.batchgrid.api.odata.Select;
import io.batchgrid.api.wire.Json;
import io.batchgrid.api.wire.Props;
import io.batchgrid.api.wire.SpecReader;
import io.batchgrid.api.wire.WireTime;
import io.batchgrid.api.wire.WireWriter;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.spec.TaskSpec;

/** The tasks of a job: add one, add a collection, list, get, update, delete, terminate, reactivate. */
final class TaskRoutes {
  /** Azure Batch's limit of tasks per addtaskcollection request. */
  static final int MAX_TASKS_PER_COLLECTION = 100;

  private final Coordinator coordinator;
  private final JobRoutes jobs;

  TaskRoutes(Coordinator coordinator, JobRoutes jobs) {
    this.coordinator = coordinator;
    this.jobs = jobs;
  }

  void register(Router r) {
    r.add("POST", "/jobs/{}/tasks", Router.Body.REQUIRED, this::add);
    r.add("POST", "/jobs/{}/addtaskcollection", Router.Body.REQUIRED, this::addCollection);
    r.add("GET", "/jobs/{}/tasks", Router.Body.NONE, this::list);
    r.add("GET", "/jobs/{}/tasks/{}", Router.Body.NONE, this::get);
    r.add("DELETE", "/jobs/{}/tasks/{}", Router.Body.NONE, this::delete);
    r.add("PUT", "/jobs/{}/tasks/{}", Router.Body.REQUIRED, this::update);
    r.add("POST", "/jobs/{}/tasks/{}/terminate", Router.Body.OPTIONAL, this::terminate);
    r.add("POST", "/jobs/{}/tasks/{}/reactivate", Router.Body.OPTIONAL, this::reactivate);
    r.add("GET", "/jobs/{}/tasks/{}/subtasksinfo", Router.Body.NONE, this::subtasks);
  }

  static ApiError taskNotFound() {
    return ApiError.of(ErrorCode.TASK_NOT_FOUND, "The specified task does not exist.");
  }

  static String taskId(Router.Call c) {
    String id = c.param(1);
    if (!Ids.isValid(id)) {
      throw taskNotFound();
    }
    return id;
  }

  CompletionStage<TaskRecord> task(String jobId, String taskId, Duration timeout) {
    return coordinator.job(jobId, r -> new JobEntity.GetTask(taskId, r), timeout);
  }

  private static List<org.apache.pekko.http.javadsl.model.HttpHeader> written(RequestContext ctx, String jobId, TaskRecord t) {
    return Responses.written(WireWriter.etag(t.creationTimeMs(), t.version()), t.lastModifiedMs(),
        ctx.writer().taskUrl(jobId, t.id()));
  }

  private CompletionStage<HttpResponse> add(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    TaskSpec spec = SpecReader.task(Json.parseObject(c.body()));
    return coordinator.<List<JobEntity.AddTaskResult>>job(jobId, r -> new JobEntity.AddTasks(List.of(spec), r), ctx.timeout())
        .thenApply(results -> {
          JobEntity.AddTaskResult result = results.get(0);
          if (result.error() != null) {
            throw ApiError.of(result.error());
          }
          return Responses.empty(ctx, 201, written(ctx, jobId, result.task()));
        });
  }

  /** One entry of a collection: the parsed task, or why it was refused. */
  private record Entry(String taskId, TaskSpec spec, ApiError error) {}

  private CompletionStage<HttpResponse> addCollection(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    Props body = Props.root(Json.parseObject(c.body()));
    if (!body.has("value")) {
      throw ApiError.missingProperty("value");
    }
    JsonNode value = body.node().get("value");
    if (!value.isArray()) {
      throw body.invalid("value", "A JSON array of tasks is expected");
    }
    if (value.size() > MAX_TASKS_PER_COLLECTION) {
      throw ApiError.bodyTooLarge(MAX_TASKS_PER_COLLECTION + " tasks",
          "A collection holds at most " + MAX_TASKS_PER_COLLECTION + " tasks; this one has " + value.size());
    }
    if (value.isEmpty()) {
      throw body.invalid("value", "The collection must hold at least one task");
    }
    // Each task stands or falls on its own, as in Azure Batch: an invalid one is a clienterror result.
    List<Entry> entries = new ArrayList<>(value.size());
    List<TaskSpec> specs = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode t = value.get(i);
      String id = t.isObject() && t.path("id").isTextual() ? t.get("id").textValue() : "";
      if (!t.isObject()) {
        entries.add(new Entry(id, null, ApiError.invalidProperty("value", t.toString(), "Each task must be a JSON object")));
        continue;
      }
      try {
        TaskSpec spec = SpecReader.task(new Props((ObjectNode) t, "value[" + i + "]"));
        entries.add(new Entry(id, spec, null));
        specs.add(spec);
      } catch (ApiError e) {
        entries.add(new Entry(id, null, e));
      }
    }
    CompletionStage<List<JobEntity.AddTaskResult>> added = specs.isEmpty()
        // Nothing to add, but the job must still exist for per-task answers to make sense.
        ? jobs.summary(jobId, ctx.timeout()).thenApply(j -> List.of())
        : coordinator.job(jobId, r -> new JobEntity.AddTasks(specs, r), ctx.timeout());
    return added.thenApply(results -> {
      ObjectNode out = Json.object();
      out.put("odata.metadata", ctx.writer().metadata("taskaddresult"));
      ArrayNode values = out.putArray("value");
      int next = 0;
      for (Entry e : entries) {
        ObjectNode r = values.addObject();
        if (e.error() != null) {
          clientError(ctx, r, e.taskId(), e.error());
          continue;
        }
        JobEntity.AddTaskResult result = results.get(next++);
        if (result.error() != null) {
          clientError(ctx, r, result.taskId(), ApiError.of(result.error()));
        } else {
          TaskRecord t = result.task();
          r.put("status", "success");
          r.put("taskId", t.id());
          r.put("eTag", WireWriter.etag(t.creationTimeMs(), t.version()));
          r.put("lastModified", WireTime.iso(t.lastModifiedMs()));
          r.put("location", ctx.writer().taskUrl(jobId, t.id()));
        }
      }
      return Responses.json(ctx, 200, out, List.of());
    });
  }

  private static void clientError(RequestContext ctx, ObjectNode r, String taskId, ApiError error) {
    r.put("status", error.status() >= 500 ? "servererror" : "clienterror");
    r.put("taskId", taskId);
    r.set("error", Responses.errorBody(ctx, error, false));
  }

  private CompletionStage<HttpResponse> list(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    int max = Lists.maxResults(ctx);
    String after = Lists.afterKey(ctx);
    Predicate<ObjectNode> filter = Lists.filter(ctx, FilterSchema.TASKS);
    Select select = Lists.select(ctx);
    Duration timeout = ctx.timeout();
    return jobs.summary(jobId, timeout).thenCompose(j -> collect(ctx, j, after, max, filter, new ArrayList<>(), timeout))
        .thenApply(page -> PoolRoutes.listResponse(ctx, "tasks", page, select));
  }

  /** Tasks asked of the job per round trip while a page is collected. */
  static final int SCAN_CHUNK = 1000;
  /**
   * At most this many tasks are examined for one page. A filter that matches few tasks answers a
   * shorter (even empty) page with an {@code odata.nextLink} after the last task examined, as Azure
   * does, so that no request scans a whole large job.
   */
  static final int MAX_SCANNED_PER_PAGE = 10_000;

  /** Pages through the job's task table until {@code max} tasks pass the filter or the table ends. */
  private CompletionStage<Lists.Page> collect(RequestContext ctx, JobSummary j, String after, int max,
      Predicate<ObjectNode> filter, List<ObjectNode> found, Duration timeout) {
    return collect(ctx, j, after, max, filter, found, timeout, 0);
  }

  private CompletionStage<Lists.Page> collect(RequestContext ctx, JobSummary j, String after, int max,
      Predicate<ObjectNode> filter, List<ObjectNode> found, Duration timeout, int scanned) {
    String jobId = j.spec().getId();
    String poolId = j.spec().getPoolId();
    WireWriter writer = ctx.writer();
    boolean stats = Lists.expandStats(ctx);
    return coordinator.<JobEntity.TaskPage>job(jobId, r -> new JobEntity.ListTasks(after, SCAN_CHUNK, r), timeout)
        .thenCompose(page -> {
          List<TaskRecord> tasks = page.tasks();
          for (int i = 0; i < tasks.size(); i++) {
            TaskRecord t = tasks.get(i);
            ObjectNode o = writer.task(jobId, poolId, t);
            if (filter.test(o)) {
              if (stats) {
                o.set("stats", taskStats(ctx, jobId, t));
              }
              found.add(o);
              if (found.size() == max) {
                boolean more = i < tasks.size() - 1 || page.nextKey() != null;
                return CompletableFuture.completedFuture(new Lists.Page(found, more ? Ids.key(t.id()) : null));
              }
            }
          }
          if (page.nextKey() == null || tasks.isEmpty()) {
            return CompletableFuture.completedFuture(new Lists.Page(found, null));
          }
          String last = Ids.key(tasks.get(tasks.size() - 1).id());
          int total = scanned + tasks.size();
          if (total >= MAX_SCANNED_PER_PAGE) {
            return CompletableFuture.completedFuture(new Lists.Page(found, last));
          }
          return collect(ctx, j, last, max, filter, found, timeout, total);
        });
  }

  private CompletionStage<HttpResponse> get(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = taskId(c);
    Select select = Lists.select(ctx);
    Precondition conditions = Conditions.of(ctx);
    boolean stats = Lists.expandStats(ctx);
    Duration timeout = ctx.timeout();
    return jobs.summary(jobId, timeout).thenCompose(j -> task(jobId, taskId, timeout).thenApply(t -> {
      if (Conditions.notModified(conditions, version(t))) {
        return Responses.empty(ctx, 304, Responses.entity(version(t).etag(), t.lastModifiedMs()));
      }
      ObjectNode o = ctx.writer().task(j.spec().getId(), j.spec().getPoolId(), t);
      if (stats) {
        o.set("stats", taskStats(ctx, j.spec().getId(), t));
      }
      return Responses.json(ctx, 200, Responses.entityBody(ctx, "tasks/@Element", Lists.project(o, select)),
          written(ctx, j.spec().getId(), t));
    }));
  }

  /** A task's {@code stats} ({@code $expand=stats}), from its record as it is now. */
  static ObjectNode taskStats(RequestContext ctx, String jobId, TaskRecord t) {
    return WireWriter.statistics(ctx.writer().taskUrl(jobId, t.id()),
        io.batchgrid.protocol.job.Statistics.ofTask(t, System.currentTimeMillis()), false);
  }

  static Conditions.Version version(TaskRecord t) {
    return new Conditions.Version(t.creationTimeMs(), t.version(), t.lastModifiedMs());
  }

  private CompletionStage<HttpResponse> delete(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = taskId(c);
    Precondition conditions = Conditions.of(ctx);
    return coordinator.<org.apache.pekko.Done>job(jobId, r -> new JobEntity.DeleteTask(taskId, conditions, r), ctx.timeout())
        .thenApply(done -> Responses.empty(ctx, 200, List.of()));
  }

  /** Task_Update: replaces the task's constraints (PUT semantics: omitted means the defaults). */
  private CompletionStage<HttpResponse> update(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = taskId(c);
    io.batchgrid.protocol.spec.TaskConstraints constraints = SpecReader.taskUpdate(Json.parseObject(c.body()));
    Precondition conditions = Conditions.of(ctx);
    return coordinator.<TaskRecord>job(jobId, r -> new JobEntity.UpdateTask(taskId, constraints, conditions, r), ctx.timeout())
        .thenApply(t -> Responses.empty(ctx, 200, written(ctx, jobId, t)));
  }

  /** The subtasks of a multi-instance task (instances 1..n-1; the primary is the task): empty for any other task. */
  private CompletionStage<HttpResponse> subtasks(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = taskId(c);
    return jobs.summary(jobId, ctx.timeout()).thenCompose(j -> coordinator
            .<List<io.batchgrid.protocol.job.SubtaskRecord>>job(jobId, r -> new JobEntity.GetSubtasks(taskId, r), ctx.timeout())
            .thenApply(list -> {
              ObjectNode body = Json.object();
              body.put("odata.metadata", ctx.writer().metadata("Microsoft.Azure.Batch.Protocol.Entities.CloudTaskListSubtasksResult"));
              com.fasterxml.jackson.databind.node.ArrayNode value = body.putArray("value");
              for (io.batchgrid.protocol.job.SubtaskRecord r : list) {
                value.add(ctx.writer().subtask(j.spec().getId(), j.spec().getPoolId(), taskId, r));
              }
              return Responses.json(ctx, 200, body, List.of());
            }));
  }

  /** A task write that acknowledges, answered 204 with the task's new ETag and last-modified time. */
  private CompletionStage<HttpResponse> noContent(RequestContext ctx, String jobId, String taskId,
      Function<ActorRef<StatusReply<Done>>, JobEntity.Command> write) {
    return coordinator.<Done>job(jobId, write, ctx.timeout())
        .thenCompose(done -> task(jobId, taskId, ctx.timeout()))
        .thenApply(t -> Responses.empty(ctx, 204, written(ctx, jobId, t)));
  }

  private CompletionStage<HttpResponse> reactivate(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = taskId(c);
    Precondition conditions = Conditions.of(ctx);
    return noContent(ctx, jobId, taskId, r -> new JobEntity.ReactivateTask(taskId, conditions, r));
  }

  private CompletionStage<HttpResponse> terminate(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = taskId(c);
    Precondition conditions = Conditions.of(ctx);
    return noContent(ctx, jobId, taskId, r -> new JobEntity.TerminateTask(taskId, conditions, r));
  }
}
