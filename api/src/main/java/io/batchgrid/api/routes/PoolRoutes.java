package io.batchgrid.api.routes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

import org.apache.pekko.http.javadsl.model.HttpResponse;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.odata.FilterSchema;
import io.batchgrid.api.odata.Select;
import io.batchgrid.api.wire.Json;
import io.batchgrid.api.wire.SpecReader;
import io.batchgrid.api.wire.WireWriter;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.Precondition;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.NodeStatus;
import io.batchgrid.protocol.spec.PoolSpec;

/** {@code /pools}, {@code /pools/{poolId}}, resize, and the pool's compute nodes. */
final class PoolRoutes {
  static final String POOLS = "pools";
  /** How long a node may take to say how it is before the pool's view of it is shown. */
  private static final Duration NODE_STATUS_TIMEOUT = Duration.ofSeconds(2);

  private final Coordinator coordinator;

  PoolRoutes(Coordinator coordinator) {
    this.coordinator = coordinator;
  }

  void register(Router r) {
    r.add("POST", "/pools", Router.Body.REQUIRED, this::add);
    r.add("GET", "/pools", Router.Body.NONE, this::list);
    r.add("GET", "/pools/{}", Router.Body.NONE, this::get);
    r.add("HEAD", "/pools/{}", Router.Body.NONE, this::get);
    r.add("DELETE", "/pools/{}", Router.Body.NONE, this::delete);
    r.add("PATCH", "/pools/{}", Router.Body.REQUIRED, c -> update(c, false));
    r.add("POST", "/pools/{}/updateproperties", Router.Body.REQUIRED, c -> update(c, true));
    r.add("POST", "/pools/{}/resize", Router.Body.REQUIRED, this::resize);
    r.add("POST", "/pools/{}/stopresize", Router.Body.OPTIONAL, this::stopResize);
    r.add("POST", "/pools/{}/removenodes", Router.Body.REQUIRED, this::removeNodes);
    r.add("POST", "/pools/{}/enableautoscale", Router.Body.REQUIRED, this::enableAutoScale);
    r.add("POST", "/pools/{}/disableautoscale", Router.Body.OPTIONAL, this::disableAutoScale);
    r.add("POST", "/pools/{}/evaluateautoscale", Router.Body.REQUIRED, this::evaluateAutoScale);
    r.add("GET", "/pools/{}/nodes", Router.Body.NONE, this::listNodes);
    r.add("GET", "/pools/{}/nodes/{}", Router.Body.NONE, this::getNode);
    r.add("POST", "/pools/{}/nodes/{}/disablescheduling", Router.Body.OPTIONAL, this::disableScheduling);
    r.add("POST", "/pools/{}/nodes/{}/enablescheduling", Router.Body.OPTIONAL, this::enableScheduling);
    r.add("POST", "/pools/{}/nodes/{}/reboot", Router.Body.OPTIONAL, c -> restart(c, false));
    r.add("POST", "/pools/{}/nodes/{}/reimage", Router.Body.OPTIONAL, c -> restart(c, true));
    r.add("POST", "/pools/{}/nodes/{}/deallocate", Router.Body.OPTIONAL, this::deallocate);
    r.add("POST", "/pools/{}/nodes/{}/start", Router.Body.OPTIONAL, this::startNode);
    r.add("POST", "/pools/{}/nodes/{}/uploadbatchservicelogs", Router.Body.REQUIRED, this::uploadLogs);
  }

  static ApiError poolNotFound() {
    return ApiError.of(ErrorCode.POOL_NOT_FOUND, "The specified pool does not exist.");
  }

  private static String poolId(Router.Call c) {
    String id = c.param(0);
    if (!Ids.isValid(id)) {
      throw poolNotFound();
    }
    return id;
  }

  private CompletionStage<HttpResponse> add(Router.Call c) {
    PoolSpec spec = SpecReader.pool(Json.parseObject(c.body()));
    RequestContext ctx = c.ctx();
    return ApplicationRoutes.checkPoolReferences(coordinator, spec.getApplicationPackageReferencesList())
        .thenCompose(ok -> coordinator.<PoolEntity.PoolView>pool(spec.getId(), r -> new PoolEntity.Create(spec, r),
            ctx.timeout()))
        .thenApply(v -> Responses.empty(ctx, 201, Responses.written(
            WireWriter.etag(v.record().creationTimeMs(), v.record().version()), v.record().lastModifiedMs(),
            ctx.writer().poolUrl(spec.getId()))));
  }

  private CompletionStage<PoolEntity.PoolView> view(String poolId, Duration timeout) {
    return coordinator.pool(poolId, PoolEntity.Get::new, timeout);
  }

  static Conditions.Version version(PoolEntity.PoolView v) {
    return new Conditions.Version(v.record().creationTimeMs(), v.record().version(), v.record().lastModifiedMs());
  }

  private CompletionStage<HttpResponse> get(Router.Call c) {
    RequestContext ctx = c.ctx();
    Select select = Lists.select(ctx);
    Precondition conditions = Conditions.of(ctx);
    boolean stats = Lists.expandStats(ctx);
    return view(poolId(c), ctx.timeout()).thenCompose(v -> {
      if (Conditions.notModified(conditions, version(v))) {
        return CompletableFuture.completedFuture(
            Responses.empty(ctx, 304, Responses.entity(version(v).etag(), v.record().lastModifiedMs())));
      }
      return wire(ctx, v, stats, ctx.timeout()).thenApply(o -> Responses.json(ctx, 200,
          Responses.entityBody(ctx, "pools/@Element", Lists.project(o, select)),
          Responses.entity(WireWriter.etag(v.record().creationTimeMs(), v.record().version()), v.record().lastModifiedMs())));
    });
  }

  /** The pool on the wire, with its {@code stats} when {@code $expand=stats} asked for them. */
  private CompletionStage<ObjectNode> wire(RequestContext ctx, PoolEntity.PoolView v, boolean stats, Duration timeout) {
    ObjectNode o = ctx.writer().pool(v.record(), v.currentDedicatedNodes(), v.autoScaleRun());
    if (!stats) {
      return CompletableFuture.completedFuture(o);
    }
    String poolId = v.record().id();
    return coordinator.<PoolEntity.PoolStatistics>pool(poolId, PoolEntity.GetStatistics::new, timeout).thenApply(s -> {
      o.set("stats", ctx.writer().poolStatistics(poolId, s));
      return o;
    });
  }

  private CompletionStage<HttpResponse> list(Router.Call c) {
    RequestContext ctx = c.ctx();
    return Lists.ofCatalog(ctx, coordinator, Catalog.Kind.POOL, FilterSchema.POOLS, ErrorCode.POOL_NOT_FOUND, POOLS,
        (key, stats, timeout) -> view(key, timeout).thenCompose(v -> wire(ctx, v, stats, timeout)));
  }


  private CompletionStage<HttpResponse> delete(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    Precondition conditions = Conditions.of(ctx);
    return coordinator.<org.apache.pekko.Done>pool(poolId, r -> new PoolEntity.Delete(conditions, r), ctx.timeout())
        .thenApply(done -> Responses.empty(ctx, 202, List.of()));
  }

  /** Pool_Patch (200, conditional headers) and Pool_UpdateProperties (204, replace semantics). */
  private CompletionStage<HttpResponse> update(Router.Call c, boolean replace) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    PoolEntity.PropertiesUpdate update = SpecReader.poolUpdate(Json.parseObject(c.body()), replace);
    // Pool_UpdateProperties takes no conditional headers; Pool_Patch does.
    Precondition conditions = replace ? Precondition.NONE : Conditions.of(ctx);
    CompletionStage<PoolEntity.PoolView> write =
        coordinator.pool(poolId, r -> new PoolEntity.UpdateProperties(update, conditions, r), ctx.timeout());
    return write.thenApply(v -> written(ctx, replace ? 204 : 200, v, null));
  }

  private CompletionStage<HttpResponse> resize(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    SpecReader.Resize resize = SpecReader.resize(Json.parseObject(c.body()));
    Precondition conditions = Conditions.of(ctx);
    return coordinator.<org.apache.pekko.Done>pool(poolId,
            r -> new PoolEntity.Resize(resize.targetDedicatedNodes(), resize.option(), conditions, r), ctx.timeout())
        .thenCompose(done -> view(poolId, ctx.timeout()))
        .thenApply(v -> Responses.empty(ctx, 202, Responses.written(
            WireWriter.etag(v.record().creationTimeMs(), v.record().version()), v.record().lastModifiedMs(),
            ctx.writer().poolUrl(v.record().id()))));
  }

  private CompletionStage<HttpResponse> removeNodes(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    SpecReader.RemoveNodes remove = SpecReader.removeNodes(Json.parseObject(c.body()));
    Precondition conditions = Conditions.of(ctx);
    return coordinator.<org.apache.pekko.Done>pool(poolId,
            r -> new PoolEntity.RemoveNodes(remove.nodeIds(), remove.option(), conditions, r), ctx.timeout())
        .thenCompose(done -> view(poolId, ctx.timeout()))
        .thenApply(v -> written(ctx, 202, v, null));
  }

  private CompletionStage<HttpResponse> stopResize(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    Precondition conditions = Conditions.of(ctx);
    return coordinator.<org.apache.pekko.Done>pool(poolId, r -> new PoolEntity.StopResize(conditions, r), ctx.timeout())
        .thenCompose(done -> view(poolId, ctx.timeout()))
        .thenApply(v -> written(ctx, 202, v, null));
  }

  // --------------------------------------------------------------------------------- autoscale

  private HttpResponse written(RequestContext ctx, int status, PoolEntity.PoolView v, ObjectNode body) {
    List<org.apache.pekko.http.javadsl.model.HttpHeader> headers = Responses.written(
        WireWriter.etag(v.record().creationTimeMs(), v.record().version()), v.record().lastModifiedMs(),
        ctx.writer().poolUrl(v.record().id()));
    return body == null ? Responses.empty(ctx, status, headers) : Responses.json(ctx, status, body, headers);
  }

  private CompletionStage<HttpResponse> enableAutoScale(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    SpecReader.EnableAutoScale p = SpecReader.enableAutoScale(Json.parseObject(c.body()));
    Duration timeout = ctx.timeout();
    // Without a formula in the request, the pool's own is kept (Azure: only the interval changes).
    CompletionStage<String> formula = p.formula() != null ? CompletableFuture.completedFuture(p.formula())
        : view(poolId, timeout).thenApply(v -> {
          if (!v.record().spec().getEnableAutoScale() || v.record().spec().getAutoScaleFormula().isEmpty()) {
            throw ApiError.missingProperty("autoScaleFormula");
          }
          return v.record().spec().getAutoScaleFormula();
        });
    Precondition conditions = Conditions.of(ctx);
    return formula.thenCompose(f -> coordinator.<org.apache.pekko.Done>pool(poolId,
                r -> new PoolEntity.EnableAutoScale(f, p.evaluationIntervalMs(), conditions, r), timeout))
        .thenCompose(done -> view(poolId, timeout))
        .thenApply(v -> written(ctx, 200, v, null));
  }

  private CompletionStage<HttpResponse> disableAutoScale(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    Duration timeout = ctx.timeout();
    return coordinator.<org.apache.pekko.Done>pool(poolId, PoolEntity.DisableAutoScale::new, timeout)
        .thenCompose(done -> view(poolId, timeout))
        .thenApply(v -> written(ctx, 200, v, null));
  }

  private CompletionStage<HttpResponse> evaluateAutoScale(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    String formula = SpecReader.evaluateAutoScale(Json.parseObject(c.body()));
    Duration timeout = ctx.timeout();
    return coordinator.<PoolEntity.AutoScaleRunView>pool(poolId, r -> new PoolEntity.EvaluateAutoScale(formula, r), timeout)
        .thenCompose(run -> view(poolId, timeout).thenApply(v -> {
          ObjectNode body = Json.object();
          body.put("odata.metadata", ctx.writer().metadata("Microsoft.Azure.Batch.Protocol.Entities.AutoScaleRun"));
          body.setAll(WireWriter.autoScaleRun(run));
          return written(ctx, 200, v, body);
        }));
  }

  // ------------------------------------------------------------------------------------- nodes

  private CompletionStage<HttpResponse> listNodes(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    int max = Lists.maxResults(ctx);
    String after = Lists.afterKey(ctx);
    Predicate<ObjectNode> filter = Lists.filter(ctx, FilterSchema.NODES);
    Select select = Lists.select(ctx);
    Duration timeout = ctx.timeout();
    return view(poolId, timeout).thenCompose(v -> coordinator.<List<PoolEntity.NodeHandle>>pool(poolId, PoolEntity.ListNodes::new, timeout)
        .thenCompose(handles -> {
          List<PoolEntity.NodeHandle> sorted = new ArrayList<>(handles);
          sorted.sort(Comparator.comparing(PoolEntity.NodeHandle::nodeId));
          List<String> keys = sorted.stream().map(PoolEntity.NodeHandle::nodeId).toList();
          return Lists.page(keys, after, max, nodeId -> {
            PoolEntity.NodeHandle h = sorted.stream().filter(x -> x.nodeId().equals(nodeId)).findFirst().orElseThrow();
            return node(ctx, v.record().spec(), h).thenApply(Optional::of);
          }, filter);
        }))
        .thenApply(page -> listResponse(ctx, "nodes", page, select));
  }

  private CompletionStage<HttpResponse> getNode(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    String nodeId = c.param(1);
    Select select = Lists.select(ctx);
    Duration timeout = ctx.timeout();
    return view(poolId, timeout)
        .thenCompose(v -> coordinator.<PoolEntity.NodeHandle>pool(poolId, r -> new PoolEntity.GetNode(nodeId, r), timeout)
            .thenCompose(h -> node(ctx, v.record().spec(), h)))
        .thenApply(o -> Responses.json(ctx, 200, Responses.entityBody(ctx, "nodes/@Element", Lists.project(o, select)), List.of()));
  }

  private static String nodeId(Router.Call c) {
    String id = c.param(1);
    if (!Ids.isValid(id)) {
      throw ApiError.of(ErrorCode.NODE_NOT_FOUND, "The specified node does not exist.");
    }
    return id;
  }

  /** Nodes have no ETag in batchgrid: the answer names the node (DataServiceId) and nothing else. */
  private static HttpResponse nodeWritten(RequestContext ctx, String poolId, String nodeId) {
    return Responses.empty(ctx, 200, List.of(org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
        "DataServiceId", ctx.writer().nodeUrl(poolId, nodeId))));
  }

  private CompletionStage<HttpResponse> disableScheduling(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    String nodeId = nodeId(c);
    String option = SpecReader.disableScheduling(c.body().length == 0 ? null : Json.parseObject(c.body()));
    return coordinator.<org.apache.pekko.Done>pool(poolId, r -> new PoolEntity.DisableScheduling(nodeId, option, r), ctx.timeout())
        .thenApply(done -> nodeWritten(ctx, poolId, nodeId));
  }

  private CompletionStage<HttpResponse> enableScheduling(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    String nodeId = nodeId(c);
    return coordinator.<org.apache.pekko.Done>pool(poolId, r -> new PoolEntity.EnableScheduling(nodeId, r), ctx.timeout())
        .thenApply(done -> nodeWritten(ctx, poolId, nodeId));
  }

  /** States the pool's view shows even while the node's agent answers (it is about to stop). */
  private static final java.util.Set<NodeState> POOL_DECIDES = java.util.EnumSet.of(NodeState.REBOOTING,
      NodeState.REIMAGING, NodeState.DEALLOCATING, NodeState.DEALLOCATED, NodeState.LEAVINGPOOL);

  /** ComputeNode_Reboot and ComputeNode_Reimage: 202 once the pool has taken the request. */
  private CompletionStage<HttpResponse> restart(Router.Call c, boolean reimage) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    String nodeId = nodeId(c);
    io.batchgrid.coordinator.autoscale.NodeDeallocationOption option = SpecReader.nodeOption(
        c.body().length == 0 ? null : Json.parseObject(c.body()), reimage ? "nodeReimageOption" : "nodeRebootOption");
    return coordinator.<org.apache.pekko.Done>pool(poolId, r -> new PoolEntity.RestartNode(nodeId, option, reimage, r),
            ctx.timeout())
        .thenApply(done -> nodeAccepted(ctx, poolId, nodeId));
  }

  /** ComputeNode_Deallocate: 202 once the deallocation is persisted; the process stops after. */
  private CompletionStage<HttpResponse> deallocate(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    String nodeId = nodeId(c);
    io.batchgrid.coordinator.autoscale.NodeDeallocationOption option = SpecReader.nodeOption(
        c.body().length == 0 ? null : Json.parseObject(c.body()), "nodeDeallocateOption");
    return coordinator.<org.apache.pekko.Done>pool(poolId, r -> new PoolEntity.DeallocateNode(nodeId, option, r),
            ctx.timeout())
        .thenApply(done -> nodeAccepted(ctx, poolId, nodeId));
  }

  /** The 202 of a node reboot, reimage, deallocate or start: the node's URL as DataServiceId. */
  private static HttpResponse nodeAccepted(RequestContext ctx, String poolId, String nodeId) {
    return Responses.empty(ctx, 202, List.of(org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
        "DataServiceId", ctx.writer().nodeUrl(poolId, nodeId))));
  }

  /** ComputeNode_Start: 202 once persisted; a node that is not deallocated is left as it is. */
  private CompletionStage<HttpResponse> startNode(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    String nodeId = nodeId(c);
    return coordinator.<org.apache.pekko.Done>pool(poolId, r -> new PoolEntity.StartNode(nodeId, r), ctx.timeout())
        .thenApply(done -> nodeAccepted(ctx, poolId, nodeId));
  }

  /**
   * ComputeNode_UploadBatchServiceLogs: the node's agent uploads its own files, then 200 with where
   * they went and how many. Unlike Azure, which answers before its upload, the blobs are there
   * when the answer comes (so a failed upload is an error, not silence).
   */
  private CompletionStage<HttpResponse> uploadLogs(Router.Call c) {
    RequestContext ctx = c.ctx();
    String poolId = poolId(c);
    String nodeId = nodeId(c);
    SpecReader.UploadLogs upload = SpecReader.uploadLogs(Json.parseObject(c.body()));
    return coordinator.<PoolEntity.NodeHandle>pool(poolId, r -> new PoolEntity.GetNode(nodeId, r), ctx.timeout())
        .thenCompose(h -> {
          if (h.agent() == null) {
            throw ApiError.of(ErrorCode.NODE_NOT_READY, "The compute node is not available at the moment.",
                "NodeId", nodeId, "Reason", "The node is " + h.state().wire() + "; retry shortly");
          }
          return coordinator.<io.batchgrid.protocol.node.NodeMessage.UploadedLogs>node(h.agent(),
              r -> new io.batchgrid.protocol.node.NodeMessage.UploadLogs(upload.containerUrl(), upload.startTimeMs(),
                  upload.endTimeMs(), r), ctx.timeout());
        })
        .thenApply(u -> {
          ObjectNode o = Json.NODES.objectNode();
          o.put("virtualDirectoryName", u.virtualDirectoryName());
          o.put("numberOfFilesUploaded", u.numberOfFilesUploaded());
          return Responses.json(ctx, 200, o, List.of());
        });
  }

  /** The node as the pool knows it, with its own live account when it answers in time. */
  private CompletionStage<ObjectNode> node(RequestContext ctx, PoolSpec pool, PoolEntity.NodeHandle h) {
    String vmSize = pool.getVmSize();
    // Azure shows the pool's start task on each node (what a node joining now would run).
    io.batchgrid.protocol.spec.StartTaskSpec startTask = pool.hasStartTask() ? pool.getStartTask() : null;
    String ipAddress = h.agent() == null ? null : io.batchgrid.protocol.node.NodeAddress.of(h.agent(), coordinator.system());
    CompletionStage<Optional<NodeStatus>> status = h.agent() == null
        ? CompletableFuture.completedFuture(Optional.empty())
        : coordinator.nodeStatus(h.agent(), NODE_STATUS_TIMEOUT).thenApply(Optional::of).exceptionally(e -> Optional.empty());
    return status.thenApply(s -> ctx.writer().node(s.map(st -> new WireWriter.NodeView(h.poolId(), h.nodeId(), vmSize,
            POOL_DECIDES.contains(h.state()) ? h.state() : st.state(),
            st.stateTransitionTimeMs() > 0 ? st.stateTransitionTimeMs() : h.stateTransitionTimeMs(),
            h.allocationTimeMs(), h.stateTransitionTimeMs(), st.taskSlots(), st.running(), st.totalTasksRun(),
            st.totalTasksSucceeded(), st.runningTaskSlots(), h.schedulingEnabled(), startTask,
            st.startTask() != null ? st.startTask() : h.startTask(), ipAddress))
        .orElseGet(() -> new WireWriter.NodeView(h.poolId(), h.nodeId(), vmSize, h.state(), h.stateTransitionTimeMs(),
            h.allocationTimeMs(), h.agent() != null ? h.stateTransitionTimeMs() : 0, h.taskSlots(), List.of(), 0, 0, 0,
            h.schedulingEnabled(), startTask, h.startTask(), ipAddress))));
  }

  // ------------------------------------------------------------------------------------ shared

  static List<String> keys(List<String> ids) {
    return ids.stream().map(Ids::key).distinct().sorted().toList();
  }

  static Optional<ObjectNode> absentIfNotFound(Throwable e, ErrorCode notFound) {
    Throwable cause = ApiHandler.unwrap(e);
    if (cause instanceof BatchException b && b.code() == notFound) {
      return Optional.empty();
    }
    throw new java.util.concurrent.CompletionException(cause);
  }

  static HttpResponse listResponse(RequestContext ctx, String entitySet, Lists.Page page, Select select) {
    ArrayNode values = Json.NODES.arrayNode();
    page.items().forEach(o -> values.add(Lists.project(o, select)));
    String next = page.nextKey() == null ? null : Lists.nextLink(ctx, page.nextKey());
    return Responses.json(ctx, 200, Responses.list(ctx, entitySet, values, next), List.of());
  }
}
