package io.batchgrid.api.routes;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.batchgrid.api.auth.SharedKeyVerifier;
import io.batchgrid.protocol.BatchException;

/**
 * Answers one HTTP request: api-version, SharedKey, route, body, handler, and every failure turned
 * into an Azure Batch error. Holds no state of its own; safe to call concurrently.
 */
public final class ApiHandler implements Function<HttpRequest, CompletionStage<HttpResponse>> {
  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);

  /** Request bodies above this are refused (Azure Batch's limit, e.g. for addtaskcollection). */
  public static final long MAX_BODY_BYTES = 1024 * 1024;

  private final SharedKeyVerifier verifier;
  private final Router router;
  private final Materializer materializer;
  private final String fallbackAuthority;

  public ApiHandler(Coordinator coordinator, String account, byte[] key, Clock clock, String fallbackAuthority) {
    this.verifier = new SharedKeyVerifier(account, key, clock, SharedKeyVerifier.DEFAULT_MAX_SKEW);
    this.materializer = Materializer.matFromSystem(coordinator.system());
    this.fallbackAuthority = fallbackAuthority;
    this.router = routes(coordinator);
  }

  /** Every route the API serves; asks go to {@code coordinator}. */
  static Router routes(Coordinator coordinator) {
    Router router = new Router();
    PoolRoutes pools = new PoolRoutes(coordinator);
    JobRoutes jobs = new JobRoutes(coordinator);
    TaskRoutes tasks = new TaskRoutes(coordinator, jobs);
    FileRoutes files = new FileRoutes(coordinator, jobs, tasks);
    pools.register(router);
    new AccountRoutes(coordinator).register(router);
    new ApplicationRoutes(coordinator).register(router);
    jobs.register(router);
    new ScheduleRoutes(coordinator, jobs).register(router);
    new LifetimeStatsRoutes(coordinator, jobs).register(router);
    tasks.register(router);
    files.register(router);
    return router;
  }

  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest request) {
    RequestContext ctx = new RequestContext(request, fallbackAuthority);
    CompletionStage<HttpResponse> response;
    try {
      response = handle(ctx);
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return response.handle((ok, failure) -> {
      if (failure == null) {
        return ok;
      }
      request.discardEntityBytes(materializer);
      return Responses.error(ctx, toApiError(ctx, failure));
    });
  }

  private CompletionStage<HttpResponse> handle(RequestContext ctx) {
    ctx.validate();
    String version = ctx.param("api-version").orElseThrow(() -> ApiError.missingQueryParameter("api-version"));
    if (!ApiVersions.isSupported(version)) {
      throw ApiError.invalidQueryParameter("api-version", version,
          "The api-version is not supported; supported: " + String.join(", ", ApiVersions.SUPPORTED));
    }
    authenticate(ctx);
    if (AccountRoutes.isCertificatePath(ctx.rawPath())) {
      AccountRoutes.refuseCertificates();
    }
    Router.Match match = router.match(ctx);
    ctx.timeout(); // a malformed timeout is refused before anything happens
    HttpRequest request = ctx.request();
    if (match.route().body() == Router.Body.STREAM) {
      return match.route().handler().handle(new Router.Call(ctx, match.params(), new byte[0]));
    }
    if (match.route().body() == Router.Body.NONE) {
      request.discardEntityBytes(materializer);
      return match.route().handler().handle(new Router.Call(ctx, match.params(), new byte[0]));
    }
    long declared = request.entity().getContentLengthOption().orElse(-1L);
    if (declared > MAX_BODY_BYTES) {
      throw tooLarge(declared);
    }
    return request.entity().toStrict(ctx.timeout().toMillis(), MAX_BODY_BYTES, materializer)
        .thenCompose(strict -> {
          byte[] body = strict.getData().toArray();
          if (body.length == 0 && match.route().body() == Router.Body.REQUIRED) {
            throw ApiError.invalidBody("The request body is empty; a JSON object is required.");
          }
          return match.route().handler().handle(new Router.Call(ctx, match.params(), body));
        });
  }

  private static ApiError tooLarge(long bytes) {
    return ApiError.bodyTooLarge(MAX_BODY_BYTES + " bytes", bytes < 0 ? "The body exceeds the limit"
        : "The body has " + bytes + " bytes; at most " + MAX_BODY_BYTES + " are allowed");
  }

  private void authenticate(RequestContext ctx) {
    HttpRequest request = ctx.request();
    Map<String, String> ocp = new LinkedHashMap<>();
    for (HttpHeader h : request.getHeaders()) {
      if (h.lowercaseName().startsWith("ocp-")) {
        ocp.merge(h.lowercaseName(), h.value(), (a, b) -> a + "," + b);
      }
    }
    var entity = request.entity();
    String contentType = entity.getContentType().equals(ContentTypes.NO_CONTENT_TYPE)
        ? null : entity.getContentType().toString();
    long length = entity.getContentLengthOption().orElse(-1L);
    Optional<String> failure = verifier.verify(new SharedKeyVerifier.Request(ctx.method(),
        name -> request.getHeader(name).map(HttpHeader::value).orElse(null), ocp, ctx.rawPath(), ctx.rawQuery(),
        length, contentType));
    if (failure.isPresent()) {
      log.debug("request {} {} refused: {}", ctx.method(), ctx.rawPath(), failure.get());
      throw ApiError.authenticationFailed(failure.get());
    }
  }

  /** The error a failure answers with; unexpected ones are logged, never shown. */
  static ApiError toApiError(RequestContext ctx, Throwable failure) {
    Throwable e = unwrap(failure);
    if (e instanceof ApiError a) {
      return a;
    }
    if (e instanceof BatchException b) {
      return ApiError.of(b);
    }
    if (e instanceof TimeoutException) {
      log.warn("request {} {} ({}) timed out: {}", ctx.method(), ctx.rawPath(), ctx.requestId(), e.getMessage());
      return ApiError.timedOut();
    }
    if (e instanceof EntityStreamSizeException) {
      return tooLarge(-1);
    }
    log.error("request {} {} ({}) failed", ctx.method(), ctx.rawPath(), ctx.requestId(), e);
    return ApiError.internal();
  }

  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
