package io.batchgrid.api.routes;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import io.batchgrid.protocol.ErrorCode;

/**
 * The conditional headers of Azure Batch's get, update and delete operations: {@code If-Match},
 * {@code If-None-Match}, {@code If-Modified-Since}, {@code If-Unmodified-Since}.
 *
 * <p>A read whose {@code If-None-Match} matches, or whose entity has not changed since
 * {@code If-Modified-Since}, answers 304 Not Modified; any other failed condition answers 412
 * {@code ConditionNotMet}. The check compares with the entity's current ETag and Last-Modified
 * (whole seconds, the precision of the header) just before the write is sent to the entity:
 * it is not atomic with the write, so a change that lands between the two is not detected.
 */
final class Conditions {
  /** What a condition is checked against: the entity's ETag (unquoted) and last modification. */
  record Version(String etag, long lastModifiedMs) {}

  private final String ifMatch;
  private final String ifNoneMatch;
  private final Long ifModifiedSinceS;
  private final Long ifUnmodifiedSinceS;

  private Conditions(String ifMatch, String ifNoneMatch, Long ifModifiedSinceS, Long ifUnmodifiedSinceS) {
    this.ifMatch = ifMatch;
    this.ifNoneMatch = ifNoneMatch;
    this.ifModifiedSinceS = ifModifiedSinceS;
    this.ifUnmodifiedSinceS = ifUnmodifiedSinceS;
  }

  /** The request's conditions, or null when it has none. Malformed dates are a 400 InvalidHeaderValue. */
  static Conditions of(RequestContext ctx) {
    String match = ctx.header("If-Match").orElse(null);
    String noneMatch = ctx.header("If-None-Match").orElse(null);
    Long modified = seconds(ctx, "If-Modified-Since");
    Long unmodified = seconds(ctx, "If-Unmodified-Since");
    if (match == null && noneMatch == null && modified == null && unmodified == null) {
      return null;
    }
    return new Conditions(match, noneMatch, modified, unmodified);
  }

  private static Long seconds(RequestContext ctx, String header) {
    Optional<String> v = ctx.header(header);
    if (v.isEmpty()) {
      return null;
    }
    try {
      return ZonedDateTime.parse(v.get().trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
    } catch (DateTimeParseException e) {
      throw ApiError.invalidHeader(header, v.get(), "An RFC 1123 date is expected, e.g. Mon, 01 Jan 2024 00:00:00 GMT");
    }
  }

  /** True when a read is to be answered 304 Not Modified; throws 412 for a failed If-Match or If-Unmodified-Since. */
  boolean notModified(Version v) {
    checkPreconditions(v);
    if (ifNoneMatch != null) {
      return matches(ifNoneMatch, v.etag());
    }
    return ifModifiedSinceS != null && v.lastModifiedMs() / 1000 <= ifModifiedSinceS;
  }

  /** Throws 412 ConditionNotMet unless a write may go ahead on an entity at version {@code v}. */
  void checkWrite(Version v) {
    checkPreconditions(v);
    if (ifNoneMatch != null && matches(ifNoneMatch, v.etag())) {
      throw notMet("If-None-Match", ifNoneMatch);
    }
    if (ifModifiedSinceS != null && v.lastModifiedMs() / 1000 <= ifModifiedSinceS) {
      throw notMet("If-Modified-Since", "the resource has not been modified since");
    }
  }

  private void checkPreconditions(Version v) {
    if (ifMatch != null && !matches(ifMatch, v.etag())) {
      throw notMet("If-Match", ifMatch);
    }
    if (ifUnmodifiedSinceS != null && v.lastModifiedMs() / 1000 > ifUnmodifiedSinceS) {
      throw notMet("If-Unmodified-Since", "the resource has been modified since");
    }
  }

  /** {@code *} or a comma-separated list of ETags, quoted or not (weak ones compared as strong). */
  static boolean matches(String header, String etag) {
    for (String part : header.split(",")) {
      String t = part.trim();
      if (t.equals("*")) {
        return true;
      }
      if (t.startsWith("W/")) {
        t = t.substring(2);
      }
      if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
        t = t.substring(1, t.length() - 1);
      }
      if (t.equalsIgnoreCase(etag)) {
        return true;
      }
    }
    return false;
  }

  private static ApiError notMet(String header, String detail) {
    return ApiError.of(ErrorCode.CONDITION_NOT_MET, "The condition specified using HTTP conditional header(s) is not met.",
        "HeaderName", header, "Reason", detail);
  }

  /**
   * Runs {@code write} when the request has no conditions, or when they hold for the version
   * {@code current} reads just before (not atomically with the write).
   */
  static <T> CompletionStage<T> guardWrite(RequestContext ctx, Supplier<CompletionStage<Version>> current,
      Supplier<CompletionStage<T>> write) {
    Conditions c = of(ctx);
    if (c == null) {
      return write.get();
    }
    return current.get().thenCompose(v -> {
      c.checkWrite(v);
      return write.get();
    });
  }

  static CompletionStage<Version> completed(Version v) {
    return CompletableFuture.completedFuture(v);
  }
}
