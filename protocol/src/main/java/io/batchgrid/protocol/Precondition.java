package io.batchgrid.protocol;

import java.util.Locale;

/**
 * The conditions of a conditional write ({@code If-Match}, {@code If-None-Match},
 * {@code If-Modified-Since}, {@code If-Unmodified-Since}), carried inside the command to the entity.
 * The entity checks them against its current ETag and last modification in the same command
 * handling that persists the change, so no other write can land between the check and the write:
 * of two writes conditioned on the same ETag, exactly one succeeds.
 *
 * @param ifMatch {@code *} or a comma-separated list of ETags (quoted or not); null: no condition
 * @param ifNoneMatch as {@code ifMatch}; the write goes ahead only if none matches
 * @param ifModifiedSinceS epoch seconds; the write goes ahead only if the entity changed after
 * @param ifUnmodifiedSinceS epoch seconds; the write goes ahead only if the entity has not changed after
 */
public record Precondition(String ifMatch, String ifNoneMatch, Long ifModifiedSinceS, Long ifUnmodifiedSinceS) {

  /** No condition: the write always goes ahead. */
  public static final Precondition NONE = new Precondition(null, null, null, null);

  /** A write that goes ahead only while the entity still has {@code etag}. */
  public static Precondition ifMatch(String etag) {
    return new Precondition(etag, null, null, null);
  }

  public boolean isNone() {
    return ifMatch == null && ifNoneMatch == null && ifModifiedSinceS == null && ifUnmodifiedSinceS == null;
  }

  /**
   * The ETag of an entity version: changes with every change (the version is bumped by every
   * event that changes what a client sees) and differs between incarnations of an id (the
   * creation time), so an ETag of a deleted entity never matches the one recreated under its id.
   */
  public static String etag(long creationTimeMs, long version) {
    return "0x" + String.format(Locale.ROOT, "%X%08X", creationTimeMs, version);
  }

  /** Null when a write may go ahead on the entity version given; else the 412 ConditionNotMet to answer. */
  public BatchException violation(long creationTimeMs, long version, long lastModifiedMs) {
    if (isNone()) {
      return null;
    }
    String etag = etag(creationTimeMs, version);
    if (ifMatch != null && !matches(ifMatch, etag)) {
      return notMet("If-Match", ifMatch);
    }
    if (ifUnmodifiedSinceS != null && lastModifiedMs / 1000 > ifUnmodifiedSinceS) {
      return notMet("If-Unmodified-Since", "the resource has been modified since");
    }
    if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
      return notMet("If-None-Match", ifNoneMatch);
    }
    if (ifModifiedSinceS != null && lastModifiedMs / 1000 <= ifModifiedSinceS) {
      return notMet("If-Modified-Since", "the resource has not been modified since");
    }
    return null;
  }

  /** {@code *} or a comma-separated list of ETags, quoted or not (weak ones compared as strong). */
  public static boolean matches(String header, String etag) {
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

  private static BatchException notMet(String header, String detail) {
    return BatchException.of(ErrorCode.CONDITION_NOT_MET,
        "The condition specified using HTTP conditional header(s) is not met.", "HeaderName", header, "Reason", detail);
  }
}
