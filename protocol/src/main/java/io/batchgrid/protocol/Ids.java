package io.batchgrid.protocol;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Azure Batch identifiers: letters, digits, hyphens and underscores, 1 to 64 characters.
 * They are case-preserving but unique case-insensitively, so entities are keyed by {@link #key}.
 */
public final class Ids {
  public static final int MAX_LENGTH = 64;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_LENGTH + "}");

  private Ids() {}

  public static boolean isValid(String id) {
    return id != null && VALID.matcher(id).matches();
  }

  /** The case-insensitive key an id is stored and looked up under. */
  public static String key(String id) {
    return id.toLowerCase(Locale.ROOT);
  }
}
