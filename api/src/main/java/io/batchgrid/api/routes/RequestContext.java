package io.batchgrid.api.routes;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

import io.batchgrid.api.wire.WireWriter;

/**
 * What every handler needs to know of the request it answers: the request id, the path and query as
 * the client sent them, the base URL to build links with, and how long it may take.
 */
public final class RequestContext {
  /** Azure Batch caps the {@code timeout} query parameter at 30 seconds. */
  public static final int MAX_TIMEOUT_SECONDS = 30;

  private final HttpRequest request;
  private final String requestId = UUID.randomUUID().toString();
  private final long startMs = System.currentTimeMillis();
  private final String method;
  private final String rawPath;
  private final String rawQuery;
  private final List<String> segments;
  private final Map<String, List<String>> query;
  private final String baseUrl;
  /** Set when the URI could not be decoded; {@link #validate} throws it. */
  private ApiError malformed;

  public RequestContext(HttpRequest request, String fallbackAuthority) {
    this.request = request;
    this.method = request.method().value().toUpperCase(Locale.ROOT);
    String raw = request.getHeader("Raw-Request-URI").map(HttpHeader::value)
        .orElseGet(() -> request.getUri().toRelative().toString());
    int q = raw.indexOf('?');
    String pathPart = q < 0 ? raw : raw.substring(0, q);
    this.rawQuery = q < 0 ? null : raw.substring(q + 1);
    if (pathPart.startsWith("http://") || pathPart.startsWith("https://")) {
      int slash = pathPart.indexOf('/', pathPart.indexOf("//") + 2);
      pathPart = slash < 0 ? "/" : pathPart.substring(slash);
    }
    this.rawPath = pathPart.isEmpty() ? "/" : pathPart;
    List<String> segs = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        segs.add(decodePath(s, this));
      }
    }
    this.segments = Collections.unmodifiableList(segs);
    this.query = parseQuery(rawQuery, this);
    String host = request.getHeader("Host").map(HttpHeader::value).orElse(fallbackAuthority);
    this.baseUrl = request.getUri().scheme() + "://" + host;
  }

  private static String decodePath(String s, RequestContext ctx) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      ctx.malformed = ApiError.unknownResource(s + " (not correctly percent-encoded)");
      return s;
    }
  }

  private static Map<String, List<String>> parseQuery(String raw, RequestContext ctx) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String part : raw.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String name = eq < 0 ? part : part.substring(0, eq);
      String value = eq < 0 ? "" : part.substring(eq + 1);
      try {
        out.computeIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT),
            k -> new ArrayList<>()).add(URLDecoder.decode(value, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        ctx.malformed = ApiError.invalidQueryParameter(name, value, "The parameter is not correctly percent-encoded");
      }
    }
    return out;
  }

  /** Throws when the URI could not be decoded. */
  public void validate() {
    if (malformed != null) {
      throw malformed;
    }
  }

  public HttpRequest request() {
    return request;
  }

  public String requestId() {
    return requestId;
  }

  public long startMs() {
    return startMs;
  }

  public String method() {
    return method;
  }

  public boolean isHead() {
    return method.equals("HEAD");
  }

  public String rawPath() {
    return rawPath;
  }

  public String rawQuery() {
    return rawQuery;
  }

  public List<String> segments() {
    return segments;
  }

  public String baseUrl() {
    return baseUrl;
  }

  public WireWriter writer() {
    return new WireWriter(baseUrl);
  }

  /** Decoded query parameters, names lowercased, in the order sent. */
  public Map<String, List<String>> query() {
    return query;
  }

  /** The (first) value of a query parameter; names are matched case-insensitively. */
  public Optional<String> param(String name) {
    List<String> v = query.get(name.toLowerCase(Locale.ROOT));
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
  }

  public Optional<String> header(String name) {
    return request.getHeader(name).map(HttpHeader::value);
  }

  /** The client-request-id to echo, when the client asked for it with return-client-request-id. */
  public Optional<String> echoedClientRequestId() {
    boolean wanted = header("return-client-request-id").map(v -> v.trim().equalsIgnoreCase("true")).orElse(false);
    return wanted ? header("client-request-id") : Optional.empty();
  }

  /** How long to wait for the coordinator: the {@code timeout} query parameter, at most 30 s. */
  public Duration timeout() {
    Optional<String> t = param("timeout");
    if (t.isEmpty()) {
      return Duration.ofSeconds(MAX_TIMEOUT_SECONDS);
    }
    int seconds;
    try {
      seconds = Integer.parseInt(t.get().trim());
    } catch (NumberFormatException e) {
      throw ApiError.invalidQueryParameter("timeout", t.get(), "The timeout is a number of seconds");
    }
    if (seconds < 1) {
      throw ApiError.invalidQueryParameter("timeout", t.get(), "The timeout must be at least 1 second");
    }
    return Duration.ofSeconds(Math.min(seconds, MAX_TIMEOUT_SECONDS));
  }
}
