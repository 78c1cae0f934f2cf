package io.batchgrid.api.routes;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Paging, {@code $filter} and {@code $select} of list operations.
 *
 * <p>Continuation: a list that has more answers with {@code odata.nextLink}, the request's own URL
 * (every original parameter, {@code api-version} included) plus {@code $skiptoken}: an opaque,
 * URL-safe token naming the last key returned. The next page starts after that key, so a page never
 * repeats or skips an item that existed on both requests, whatever changed in between.
 *
 * <p>{@code $filter}: until the full OData grammar arrives, comparisons {@code path eq|ne literal}
 * joined by {@code and} are evaluated on the wire JSON ({@code state eq 'active'},
 * {@code executionInfo/exitCode ne 0}); anything else is rejected with 400
 * {@code InvalidQueryParameterValue} rather than ignored. {@code $select} keeps the named top-level
 * properties.
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

  /** The properties named by {@code $select}, or null for all. */
  public static Set<String> select(RequestContext ctx) {
    Optional<String> v = ctx.param("$select");
    if (v.isEmpty() || v.get().isBlank()) {
      return null;
    }
    Set<String> names = new LinkedHashSet<>();
    for (String s : v.get().split(",")) {
      String name = s.trim();
      if (!name.isEmpty()) {
        names.add(name.contains("/") ? name.substring(0, name.indexOf('/')) : name);
      }
    }
    return names;
  }

  public static ObjectNode project(ObjectNode o, Set<String> select) {
    if (select == null) {
      return o;
    }
    o.retain(select.stream().filter(o::has).toList());
    return o;
  }

  // --------------------------------------------------------------------------------- $filter

  private static final Pattern CLAUSE = Pattern.compile(
      "\\s*([A-Za-z][A-Za-z0-9]*(?:/[A-Za-z][A-Za-z0-9]*)*)\\s+(eq|ne)\\s+('(?:[^']|'')*'|-?\\d+|true|false|null)\\s*",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern AND = Pattern.compile("\\s+and\\s+", Pattern.CASE_INSENSITIVE);

  /** The {@code $filter} as a predicate over wire JSON; always true when there is none. */
  public static Predicate<ObjectNode> filter(RequestContext ctx) {
    Optional<String> v = ctx.param("$filter");
    if (v.isEmpty() || v.get().isBlank()) {
      return o -> true;
    }
    Predicate<ObjectNode> all = o -> true;
    for (String clause : AND.split(v.get().trim())) {
      Matcher m = CLAUSE.matcher(clause);
      if (!m.matches()) {
        throw ApiError.invalidQueryParameter("$filter", v.get(),
            "This service evaluates comparisons 'property eq|ne literal' joined by 'and' so far, e.g. state eq 'active'");
      }
      String[] path = m.group(1).split("/");
      boolean negate = m.group(2).equalsIgnoreCase("ne");
      String literal = m.group(3);
      Predicate<ObjectNode> p = o -> matches(value(o, path), literal);
      all = all.and(negate ? p.negate() : p);
    }
    return all;
  }

  /** Rejects any {@code $filter}: for lists that cannot evaluate one yet. */
  public static void noFilter(RequestContext ctx) {
    ctx.param("$filter").filter(f -> !f.isBlank()).ifPresent(f -> {
      throw ApiError.invalidQueryParameter("$filter", f, "This list does not support $filter yet");
    });
  }

  private static JsonNode value(ObjectNode o, String[] path) {
    JsonNode n = o;
    for (String p : path) {
      n = n == null ? null : n.get(p);
    }
    return n;
  }

  private static boolean matches(JsonNode v, String literal) {
    if (literal.equalsIgnoreCase("null")) {
      return v == null || v.isNull();
    }
    if (v == null || v.isNull()) {
      return false;
    }
    if (literal.startsWith("'")) {
      String s = literal.substring(1, literal.length() - 1).replace("''", "'");
      return v.isTextual() && v.textValue().equalsIgnoreCase(s);
    }
    if (literal.equalsIgnoreCase("true") || literal.equalsIgnoreCase("false")) {
      return v.isBoolean() && v.booleanValue() == Boolean.parseBoolean(literal.toLowerCase(Locale.ROOT));
    }
    return v.isNumber() && v.decimalValue().compareTo(new BigDecimal(literal)) == 0;
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
}
