package io.batchgrid.api.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.TimeoutAccess;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.odata.FilterSchema;
import io.batchgrid.api.wire.Json;
import io.batchgrid.api.wire.Props;
import io.batchgrid.api.wire.WireTime;
import io.batchgrid.coordinator.application.ApplicationStore;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.spec.ApplicationPackageReference;

/**
 * Application packages. The Azure Batch data plane only lists them ({@code GET /applications},
 * {@code GET /applications/{id}}); operators manage them through batchgrid's own paths, outside
 * Azure's, signed with SharedKey like every request:
 *
 * <pre>
 *   PUT    /batchgrid/applications/{id}/versions/{version}[?default=true&amp;displayName=...]   body: the .zip or .tar.gz
 *   DELETE /batchgrid/applications/{id}/versions/{version}
 *   PATCH  /batchgrid/applications/{id}      {"defaultVersion": "1.0", "displayName": "..."}
 *   GET    /batchgrid/applications[/{id}]    versions with format, size, sha256 and upload time
 * </pre>
 *
 * The upload streams to disk (never whole in memory) in the {@link ApplicationStore}. Every store
 * call runs on Pekko's blocking I/O dispatcher.
 */
final class ApplicationRoutes {
  /** The largest package accepted. */
  static final long MAX_PACKAGE_BYTES = 8L << 30;
  /** An upload may take longer than the server's usual request timeout. */
  static final Duration UPLOAD_TIMEOUT = Duration.ofHours(1);

  private final Coordinator coordinator;

  ApplicationRoutes(Coordinator coordinator) {
    this.coordinator = coordinator;
  }

  private Executor blocking() {
    return coordinator.system().dispatchers().lookup(DispatcherSelector.blocking());
  }

  private Materializer materializer() {
    return Materializer.matFromSystem(coordinator.system());
  }

  void register(Router r) {
    r.add("GET", "/applications", Router.Body.NONE, this::listWire);
    r.add("GET", "/applications/{}", Router.Body.NONE, this::getWire);
    r.add("GET", "/batchgrid/applications", Router.Body.NONE, this::list);
    r.add("GET", "/batchgrid/applications/{}", Router.Body.NONE, this::get);
    r.add("PATCH", "/batchgrid/applications/{}", Router.Body.REQUIRED, this::update);
    r.add("PUT", "/batchgrid/applications/{}/versions/{}", Router.Body.STREAM, this::upload);
    r.add("DELETE", "/batchgrid/applications/{}/versions/{}", Router.Body.NONE, this::delete);
  }

  // ---------------------------------------------------------------------------- Azure's data plane

  private CompletionStage<HttpResponse> listWire(Router.Call c) {
    RequestContext ctx = c.ctx();
    int max = Lists.maxResults(ctx);
    var filter = Lists.filter(ctx, FilterSchema.APPLICATIONS);
    return onStore(store -> store.list()).thenApply(apps -> {
      ArrayNode values = Json.NODES.arrayNode();
      for (ApplicationStore.Application a : apps) {
        ObjectNode o = summary(a);
        if (filter.test(o) && values.size() < max) {
          values.add(o);
        }
      }
      return Responses.json(ctx, 200, Responses.list(ctx, "applications", values, null), List.of());
    });
  }

  private CompletionStage<HttpResponse> getWire(Router.Call c) {
    RequestContext ctx = c.ctx();
    String id = c.param(0);
    return onStore(store -> store.get(id).orElseThrow(() -> notFound(id)))
        .thenApply(a -> Responses.json(ctx, 200, Responses.entityBody(ctx, "applications/@Element", summary(a)),
            List.of()));
  }

  /** Azure's {@code ApplicationSummary}: id, displayName, versions. */
  static ObjectNode summary(ApplicationStore.Application a) {
    ObjectNode o = Json.object();
    o.put("id", a.id());
    o.put("displayName", a.displayName());
    ArrayNode versions = o.putArray("versions");
    a.versions().forEach(v -> versions.add(v.version()));
    return o;
  }

  private static ApiError notFound(String id) {
    return ApiError.of(ErrorCode.APPLICATION_NOT_FOUND, "The specified application does not exist.",
        "ApplicationId", id);
  }

  // ---------------------------------------------------------------------------- operators

  private CompletionStage<HttpResponse> list(Router.Call c) {
    RequestContext ctx = c.ctx();
    return onStore(ApplicationStore::list).thenApply(apps -> {
      ObjectNode body = Json.object();
      ArrayNode values = body.putArray("value");
      apps.forEach(a -> values.add(detail(a)));
      return Responses.json(ctx, 200, body, List.of());
    });
  }

  private CompletionStage<HttpResponse> get(Router.Call c) {
    String id = c.param(0);
    return onStore(store -> store.get(id).orElseThrow(() -> notFound(id)))
        .thenApply(a -> Responses.json(c.ctx(), 200, detail(a), List.of()));
  }

  private CompletionStage<HttpResponse> update(Router.Call c) {
    Props p = Props.root(Json.parseObject(c.body()));
    String defaultVersion = p.string("defaultVersion");
    String displayName = p.string("displayName");
    if (defaultVersion == null && displayName == null) {
      throw ApiError.missingProperty("defaultVersion");
    }
    String id = c.param(0);
    return onStore(store -> store.update(id, defaultVersion, displayName))
        .thenApply(a -> Responses.json(c.ctx(), 200, detail(a), List.of()));
  }

  private CompletionStage<HttpResponse> upload(Router.Call c) {
    RequestContext ctx = c.ctx();
    String id = c.param(0);
    String version = c.param(1);
    boolean makeDefault = ctx.param("default").map(v -> {
      String b = v.trim().toLowerCase(Locale.ROOT);
      if (!b.equals("true") && !b.equals("false")) {
        throw ApiError.invalidQueryParameter("default", v, "true or false");
      }
      return b.equals("true");
    }).orElse(false);
    String displayName = ctx.param("displayName").orElse(null);
    ApplicationStore store = store();
    var request = ctx.request();
    long declared = request.entity().getContentLengthOption().orElse(-1L);
    if (declared > MAX_PACKAGE_BYTES) {
      request.discardEntityBytes(materializer());
      throw ApiError.bodyTooLarge(MAX_PACKAGE_BYTES + " bytes", "The package has " + declared + " bytes");
    }
    request.getHeader(TimeoutAccess.class).ifPresent(t -> t.timeoutAccess().updateTimeout(UPLOAD_TIMEOUT));
    Path incoming = store.incomingFile();
    return request.entity().withSizeLimit(MAX_PACKAGE_BYTES).getDataBytes()
        .runWith(FileIO.toPath(incoming), materializer())
        .thenApplyAsync(io -> store.add(id, version, displayName, incoming, makeDefault), blocking())
        .handle((app, failure) -> {
          if (failure != null) {
            try {
              Files.deleteIfExists(incoming);
            } catch (IOException ignored) {
              // an orphan in incoming/ is harmless
            }
            Throwable cause = ApiHandler.unwrap(failure);
            if (cause instanceof EntityStreamSizeException || cause.getCause() instanceof EntityStreamSizeException) {
              throw ApiError.bodyTooLarge(MAX_PACKAGE_BYTES + " bytes", "The package exceeds the limit");
            }
            throw failure instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(failure);
          }
          return Responses.json(ctx, 201, detail(app), List.of());
        });
  }

  private CompletionStage<HttpResponse> delete(Router.Call c) {
    String id = c.param(0);
    String version = c.param(1);
    return onStore(store -> {
      store.delete(id, version);
      return id;
    }).thenApply(x -> Responses.empty(c.ctx(), 200, List.of()));
  }

  /** batchgrid's own view: what Azure's management API shows of an application and its packages. */
  static ObjectNode detail(ApplicationStore.Application a) {
    ObjectNode o = summary(a);
    if (a.defaultVersion() != null) {
      o.put("defaultVersion", a.defaultVersion());
    }
    ArrayNode packages = o.putArray("packages");
    for (ApplicationStore.PackageVersion v : a.versions()) {
      packages.addObject().put("version", v.version()).put("format", v.format()).put("size", v.size())
          .put("sha256", v.sha256()).put("lastActivationTime", WireTime.iso(v.createdMs()));
    }
    return o;
  }

  // ---------------------------------------------------------------------------- pool references

  /**
   * Azure's check of a pool's package references: each must name an existing version, or an
   * application with a default version; otherwise 409 {@code InvalidApplicationPackageReferences}.
   */
  static CompletionStage<Void> checkPoolReferences(Coordinator coordinator, List<ApplicationPackageReference> refs) {
    if (refs.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Executor blocking = coordinator.system().dispatchers().lookup(DispatcherSelector.blocking());
    return CompletableFuture.runAsync(() -> {
      ApplicationStore store = coordinator.applications();
      for (ApplicationPackageReference ref : refs) {
        String reason;
        if (store == null) {
          reason = "This server keeps no application packages";
        } else {
          try {
            store.resolve(ref.getApplicationId(), ref.getVersion());
            continue;
          } catch (io.batchgrid.protocol.BatchException e) {
            reason = e.values().getOrDefault("Reason", e.getMessage());
          }
        }
        throw ApiError.of(ErrorCode.INVALID_APPLICATION_PACKAGE_REFERENCES,
            "One or more of the specified application package references are invalid.",
            "ApplicationId", ref.getApplicationId(), "Version", ref.getVersion(), "Reason", reason);
      }
    }, blocking);
  }

  // ---------------------------------------------------------------------------- parts

  private ApplicationStore store() {
    ApplicationStore store = coordinator.applications();
    if (store == null) {
      throw ApiError.of(ErrorCode.FEATURE_NOT_SUPPORTED, "This server keeps no application packages.",
          "Feature", "applications");
    }
    return store;
  }

  /** Runs {@code work} on the store off the HTTP threads; without a store it sees an empty one. */
  private <T> CompletionStage<T> onStore(java.util.function.Function<ApplicationStore, T> work) {
    ApplicationStore store = coordinator.applications();
    return CompletableFuture.supplyAsync(() -> work.apply(store != null ? store : ApplicationStore.EMPTY), blocking());
  }
}
