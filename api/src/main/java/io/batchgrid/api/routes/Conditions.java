package io.batchgrid.api.routes;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.Precondition;

/**
 * The conditional headers of Azure Batch's get, update and delete operations: {@code If-Match},
 * {@code If-None-Match}, {@code If-Modified-Since}, {@code If-Unmodified-Since}.
 *
 * <p>A write carries them to the entity as a {@link Precondition} inside its command; the entity
 * checks them against its current ETag in the same command handling that persists the change, so
 * the check is atomic with the write (412 {@code ConditionNotMet} when it fails). A read whose
 * {@code If-None-Match} matches, or whose entity has not changed since {@code If-Modified-Since},
 * answers 304 Not Modified; a failed {@code If-Match} or {@code If-Unmodified-Since} on a read is a
 * 412 too. Dates compare in whole seconds, the precision of the header.
 */
final class Conditions {
  /** What a read's conditions are checked against: the entity's creation time, version and last modification. */
  record Version(long creationTimeMs, long version, long lastModifiedMs) {
    String etag() {
      return Precondition.etag(creationTimeMs, version);
    }
  }

  private Conditions() {}

  /** The request's conditions ({@link Precondition#NONE} without any). Malformed dates are a 400 InvalidHeaderValue. */
  static Precondition of(RequestContext ctx) {
    String match = ctx.header("If-Match").orElse(null);
    String noneMatch = ctx.header("If-None-Match").orElse(null);
    Long modified = seconds(ctx, "If-Modified-Since");
    Long unmodified = seconds(ctx, "If-Unmodified-Since");
    if (match == null && noneMatch == null && modified == null && unmodified == null) {
      return Precondition.NONE;
    }
    return new Precondition(match, noneMatch, modified, unmodified);
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
  static boolean notModified(Precondition p, Version v) {
    if (p.isNone()) {
      return false;
    }
    // If-Match and If-Unmodified-Since fail a read as they fail a write.
    BatchException failed = new Precondition(p.ifMatch(), null, null, p.ifUnmodifiedSinceS())
        .violation(v.creationTimeMs(), v.version(), v.lastModifiedMs());
    if (failed != null) {
      throw ApiError.of(failed);
    }
    if (p.ifNoneMatch() != null) {
      return Precondition.matches(p.ifNoneMatch(), v.etag());
    }
    return p.ifModifiedSinceS() != null && v.lastModifiedMs() / 1000 <= p.ifModifiedSinceS();
  }
}
