package io.batchgrid.api.wire;

import java.nio.charset.StandardCharsets;

/** Percent-encoding of URL path segments (RFC 3986 unreserved characters stay as they are). */
public final class Paths {
  private Paths() {}

  public static String encodeSegment(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return b.toString();
  }

  /** Encodes each '/'-separated segment, keeping the slashes. */
  public static String encodePath(String path) {
    String[] parts = path.split("/", -1);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        b.append('/');
      }
      b.append(encodeSegment(parts[i]));
    }
    return b.toString();
  }
}
