package io.batchgrid.api.routes;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.http.javadsl.model.HttpResponse;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.wire.WireWriter;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.job.Statistics;

/**
 * {@code GET /lifetimejobstats} and {@code GET /lifetimepoolstats} (Job_GetAllLifetimeStatistics,
 * Pool_GetAllLifetimeStatistics): documented up to api-version 2022-10-01.16.0 (the one
 * {@code @azure/batch} 10.2.0 speaks) and removed from 2023-05-01.17.0 on, so a newer api-version
 * gets the answer for a path that does not exist. The figures are the sums over the jobs and pools
 * that exist now: deleted ones no longer count.
 */
final class LifetimeStatsRoutes {
  /** The api-versions that document the lifetime statistics operations. */
  static final List<String> VERSIONS = List.of("2022-10-01.16.0");

  private final Coordinator coordinator;
  private final JobRoutes jobs;

  LifetimeStatsRoutes(Coordinator coordinator, JobRoutes jobs) {
    this.coordinator = coordinator;
    this.jobs = jobs;
  }

  void register(Router r) {
    r.add("GET", "/lifetimejobstats", Router.Body.NONE, this::jobStats);
    r.add("GET", "/lifetimepoolstats", Router.Body.NONE, this::poolStats);
  }

  private static void documented(RequestContext ctx) {
    if (!VERSIONS.contains(ctx.param("api-version").orElse(""))) {
      throw ApiError.unknownResource(ctx.rawPath());
    }
  }

  private CompletionStage<HttpResponse> jobStats(Router.Call c) {
    RequestContext ctx = c.ctx();
    documented(ctx);
    Duration timeout = ctx.timeout();
    long now = System.currentTimeMillis();
    return coordinator.ids(Catalog.Kind.JOB, timeout).thenCompose(ids -> {
      CompletionStage<Statistics> sum = CompletableFuture.completedFuture(null);
      for (String id : PoolRoutes.keys(ids)) {
        CompletionStage<Statistics> one = jobs.statistics(id, timeout)
            .exceptionally(e -> ifExists(e, ErrorCode.JOB_NOT_FOUND, null));
        sum = sum.thenCombine(one, (a, b) -> a == null ? b : b == null ? a : a.plus(b));
      }
      return sum;
    }).thenApply(s -> {
      ObjectNode body = WireWriter.statistics(ctx.writer().baseUrl() + "/lifetimejobstats",
          s == null ? Statistics.empty(now, now) : s, true);
      body.put("odata.metadata", ctx.writer().metadata("Microsoft.Azure.Batch.Protocol.Entities.JobStatistics"));
      return Responses.json(ctx, 200, body, List.of());
    });
  }

  private CompletionStage<HttpResponse> poolStats(Router.Call c) {
    RequestContext ctx = c.ctx();
    documented(ctx);
    Duration timeout = ctx.timeout();
    long now = System.currentTimeMillis();
    return coordinator.ids(Catalog.Kind.POOL, timeout).thenCompose(ids -> {
      CompletionStage<PoolEntity.PoolStatistics> all = CompletableFuture.completedFuture(null);
      for (String id : PoolRoutes.keys(ids)) {
        CompletionStage<PoolEntity.PoolStatistics> one = coordinator.<PoolEntity.PoolStatistics>pool(id,
            PoolEntity.GetStatistics::new, timeout).exceptionally(e -> ifExists(e, ErrorCode.POOL_NOT_FOUND, null));
        all = all.thenCombine(one, LifetimeStatsRoutes::combine);
      }
      return all;
    }).thenApply(s -> {
      ObjectNode body = ctx.writer().poolStatistics("", s == null ? new PoolEntity.PoolStatistics(now, now, null) : s);
      body.put("url", ctx.writer().baseUrl() + "/lifetimepoolstats");
      body.put("odata.metadata", ctx.writer().metadata("Microsoft.Azure.Batch.Protocol.Entities.PoolStatistics"));
      return Responses.json(ctx, 200, body, List.of());
    });
  }

  /**
   * Two pools' statistics as one. Nodes of one server share its host, so each pool's resource
   * figures describe the same machine: averages are averaged, peaks are the higher one.
   */
  private static PoolEntity.PoolStatistics combine(PoolEntity.PoolStatistics a, PoolEntity.PoolStatistics b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    PoolEntity.ResourceUse r = a.resources() == null ? b.resources() : b.resources() == null ? a.resources()
        : new PoolEntity.ResourceUse(Math.min(a.resources().startTimeMs(), b.resources().startTimeMs()),
            Math.max(a.resources().lastUpdateTimeMs(), b.resources().lastUpdateTimeMs()),
            (a.resources().avgCpuPercent() + b.resources().avgCpuPercent()) / 2,
            (a.resources().avgMemoryBytes() + b.resources().avgMemoryBytes()) / 2,
            Math.max(a.resources().peakMemoryBytes(), b.resources().peakMemoryBytes()));
    return new PoolEntity.PoolStatistics(Math.min(a.startTimeMs(), b.startTimeMs()),
        Math.max(a.lastUpdateTimeMs(), b.lastUpdateTimeMs()), r);
  }

  /** {@code gone} for an entity deleted since it was listed; any other failure fails the request. */
  private static <T> T ifExists(Throwable e, ErrorCode notFound, T gone) {
    if (ApiHandler.unwrap(e) instanceof BatchException b && b.code() == notFound) {
      return gone;
    }
    throw e instanceof CompletionException ce ? ce : new CompletionException(e);
  }
}
