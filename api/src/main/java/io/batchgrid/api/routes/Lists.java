package io.batchgrid.api.routes;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Predicate;

import org.apache.pekko.http.javadsl.model.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.odata.Filter;
import io.batchgrid.api.odata.FilterException;
import io.batchgrid.api.odata.FilterSchema;
import io.batchgrid.api.odata.Select;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.protocol.ErrorCode;

/**
 * Paging, {@code $filter} and {@code $select} of list operations.
 *
 * <p>Continuation: a list that has more answers with {@code odata.nextLink}, the request's own URL
 * (every original parameter, {@code api-version} included) plus {@code $skiptoken}: an opaque,
 * URL-safe token naming the last key returned. The next page starts after that key, so a page never
 * repeats or skips an item that existed on both requests, whatever changed in between.
 *
 * <p>{@code $filter}: the OData grammar of {@link io.batchgrid.api.odata.FilterParser}, evaluated on
 * the wire JSON against the list's {@link FilterSchema}. {@code $select}: named properties, nested
 * ones by path ({@link Select}).
 */
public final class Lists {
  private Lists() {}

  public static final String SKIP_TOKEN = "$skiptoken";
  public static final int MAX_RESULTS = 1000;

  public static int maxResults(RequestContext ctx) {
    Optional<String> v = ctx.param("maxresults");
    if (v.isEmpty()) {
      return MAX_RESULTS;
    }
    int n;
    try {
      n = Integer.parseInt(v.get().trim());
    } catch (NumberFormatException e) {
      throw ApiError.invalidQueryParameter("maxresults", v.get(), "maxresults is a number from 1 to 1000");
    }
    if (n < 1 || n > MAX_RESULTS) {
      throw ApiError.invalidQueryParameter("maxresults", v.get(), "maxresults is a number from 1 to 1000");
    }
    return n;
  }

  /** The key the page starts after, from {@code $skiptoken}; null for the first page. */
  public static String afterKey(RequestContext ctx) {
    Optional<String> token = ctx.param(SKIP_TOKEN);
    if (token.isEmpty() || token.get().isEmpty()) {
      return null;
    }
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(token.get()), StandardCharsets.UTF_8);
      if (decoded.startsWith("1:")) {
        return decoded.substring(2);
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw ApiError.invalidQueryParameter(SKIP_TOKEN, token.get(), "Not a continuation token this service issued");
  }

  public static String token(String key) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("1:" + key).getBytes(StandardCharsets.UTF_8));
  }

  /** The request's URL with its parameters as sent, and the token of the next page. */
  public static String nextLink(RequestContext ctx, String lastKey) {
    StringBuilder b = new StringBuilder(ctx.baseUrl()).append(ctx.rawPath()).append('?');
    if (ctx.rawQuery() != null) {
      for (String part : ctx.rawQuery().split("&")) {
        if (part.isEmpty() || part.toLowerCase(Locale.ROOT).startsWith("$skiptoken=")
            || part.toLowerCase(Locale.ROOT).startsWith("%24skiptoken=")) {
          continue;
        }
        b.append(part).append('&');
      }
    }
    return b.append(SKIP_TOKEN).append('=').append(token(lastKey)).toString();
  }

  // --------------------------------------------------------------------------------- $select

  /** The {@code $select} of the request, or null for all properties. */
  public static Select select(RequestContext ctx) {
    Optional<String> v = ctx.param("$select");
    return v.isEmpty() || v.get().isBlank() ? null : Select.parse(v.get());
  }

  public static ObjectNode project(ObjectNode o, Select select) {
    return select == null ? o : select.apply(o);
  }

  // --------------------------------------------------------------------------------- $expand

  /**
   * True when the request has {@code $expand=stats}, the only expansion Azure Batch documents (on
   * pools, jobs, job schedules and tasks); any other value is a 400 InvalidQueryParameterValue.
   */
  public static boolean expandStats(RequestContext ctx) {
    Optional<String> v = ctx.param("$expand");
    if (v.isEmpty() || v.get().isBlank()) {
      return false;
    }
    for (String part : v.get().split(",")) {
      if (!part.trim().equalsIgnoreCase("stats")) {
        throw ApiError.invalidQueryParameter("$expand", v.get(), "Only stats can be expanded");
      }
    }
    return true;
  }

  // --------------------------------------------------------------------------------- $filter

  /**
   * The {@code $filter} as a predicate over wire JSON, checked against the list's properties;
   * always true when there is none. A filter that does not parse, names a property the list cannot
   * filter on or compares it with a literal of another type is a 400 InvalidQueryParameterValue
   * whose reason names the position.
   */
  public static Predicate<ObjectNode> filter(RequestContext ctx, FilterSchema schema) {
    Optional<String> v = ctx.param("$filter");
    if (v.isEmpty() || v.get().isBlank()) {
      return o -> true;
    }
    try {
      Predicate<JsonNode> p = Filter.compile(v.get(), schema);
      return p::test;
    } catch (FilterException e) {
      throw ApiError.invalidQueryParameter("$filter", v.get(), e.getMessage());
    }
  }

  // ------------------------------------------------------------------------ paging over ids

  /** One page: the items and, when more may follow, the key to continue after. */
  public record Page(List<ObjectNode> items, String nextKey) {}

  /**
   * Pages through sorted keys: fetches each after {@code afterKey} (in batches, concurrently within a
   * batch), keeps those that exist and pass {@code keep}, until {@code max} are found.
   *
   * @param fetch the wire object of a key, or empty when it no longer exists
   */
  public static CompletionStage<Page> page(List<String> sortedKeys, String afterKey, int max,
      Function<String, CompletionStage<Optional<ObjectNode>>> fetch, Predicate<ObjectNode> keep) {
    List<String> keys = new ArrayList<>();
    for (String k : sortedKeys) {
      if (afterKey == null || k.compareTo(afterKey) > 0) {
        keys.add(k);
      }
    }
    return collect(keys.iterator(), max, fetch, keep, new ArrayList<>());
  }

  private static CompletionStage<Page> collect(Iterator<String> keys, int max,
      Function<String, CompletionStage<Optional<ObjectNode>>> fetch, Predicate<ObjectNode> keep,
      List<ObjectNode> found) {
    List<String> batch = new ArrayList<>();
    while (keys.hasNext() && batch.size() < max - found.size()) {
      batch.add(keys.next());
    }
    if (batch.isEmpty()) {
      return CompletableFuture.completedFuture(new Page(found, null));
    }
    List<CompletableFuture<Optional<ObjectNode>>> futures = new ArrayList<>();
    for (String k : batch) {
      futures.add(fetch.apply(k).toCompletableFuture());
    }
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).thenCompose(done -> {
      for (int i = 0; i < batch.size(); i++) {
        Optional<ObjectNode> o = futures.get(i).join();
        if (o.isPresent() && keep.test(o.get())) {
          found.add(o.get());
          if (found.size() == max) {
            return CompletableFuture.completedFuture(new Page(found, keys.hasNext() || i < batch.size() - 1 ? batch.get(i) : null));
          }
        }
      }
      return collect(keys, max, fetch, keep, found);
    });
  }

  /** How one entity of a catalog listing is fetched and written ({@code stats}: with its statistics). */
  interface Fetch {
    CompletionStage<ObjectNode> apply(String key, boolean stats, Duration timeout);
  }

  /**
   * {@code GET /pools}, {@code /jobs}, {@code /jobschedules}: the catalog's ids in key order after the
   * continuation, each fetched and written, filtered and projected; one deleted between the catalog's
   * answer and its fetch (its {@code notFound} error) is left out.
   */
  static CompletionStage<HttpResponse> ofCatalog(RequestContext ctx, Coordinator coordinator, Catalog.Kind kind,
      FilterSchema schema, ErrorCode notFound, String entitySet, Fetch fetch) {
    int max = maxResults(ctx);
    String after = afterKey(ctx);
    Predicate<ObjectNode> filter = filter(ctx, schema);
    Select select = select(ctx);
    boolean stats = expandStats(ctx);
    Duration timeout = ctx.timeout();
    return coordinator.ids(kind, timeout)
        .thenCompose(ids -> page(PoolRoutes.keys(ids), after, max, key -> fetch.apply(key, stats, timeout)
            .thenApply(Optional::of).exceptionally(e -> PoolRoutes.absentIfNotFound(e, notFound)), filter))
        .thenApply(page -> PoolRoutes.listResponse(ctx, entitySet, page, select));
  }
}
