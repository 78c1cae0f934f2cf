package io.batchgrid.api.wire;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Times and durations as Azure Batch writes them. */
public final class WireTime {
  private WireTime() {}

  /** {@code TimeSpan.MaxValue}: what Azure Batch shows for an unbounded duration. */
  public static final String UNBOUNDED = "P10675199DT2H48M5.4775807S";
  public static final long UNBOUNDED_MS = 922_337_203_685_477L;

  private static final DateTimeFormatter ISO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'0000Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter RFC_1123 =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  /** ISO 8601 in UTC with seven fractional digits, as Azure sends: {@code 2024-01-01T00:00:00.1230000Z}. */
  public static String iso(long epochMs) {
    // By hand: every listed task writes several times, and DateTimeFormatter costs about a
    // microsecond each, a large share of a 1,000-task page.
    java.time.LocalDateTime t = java.time.LocalDateTime.ofEpochSecond(Math.floorDiv(epochMs, 1000L), 0, ZoneOffset.UTC);
    int year = t.getYear();
    if (year < 0 || year > 9999) {
      return ISO.format(Instant.ofEpochMilli(epochMs));
    }
    char[] c = "0000-00-00T00:00:00.0000000Z".toCharArray();
    put(c, 0, year, 4);
    put(c, 5, t.getMonthValue(), 2);
    put(c, 8, t.getDayOfMonth(), 2);
    put(c, 11, t.getHour(), 2);
    put(c, 14, t.getMinute(), 2);
    put(c, 17, t.getSecond(), 2);
    put(c, 20, (int) Math.floorMod(epochMs, 1000L), 3);
    return new String(c);
  }

  private static void put(char[] c, int at, int value, int digits) {
    for (int i = at + digits - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /** RFC 1123, for headers: {@code Mon, 01 Jan 2024 00:00:00 GMT}. */
  public static String rfc1123(long epochMs) {
    return RFC_1123.format(Instant.ofEpochMilli(epochMs));
  }

  private static final Pattern DURATION = Pattern.compile(
      "(-)?P(?:(\\d+)Y)?(?:(\\d+)M)?(?:(\\d+)W)?(?:(\\d+)D)?"
          + "(?:T(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+)(?:[.,](\\d+))?S)?)?",
      Pattern.CASE_INSENSITIVE);

  /**
   * Parses an ISO 8601 duration as .NET's XmlConvert reads one (a year is 365 days, a month 30) into
   * milliseconds, dropping digits below a millisecond.
   *
   * @throws IllegalArgumentException when the text is not a duration or is negative
   */
  public static long parseDurationMs(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches() || text.trim().equalsIgnoreCase("P") || text.trim().toUpperCase(Locale.ROOT).endsWith("T")) {
      throw new IllegalArgumentException("not an ISO 8601 duration such as PT1H30M or P2D");
    }
    if (m.group(1) != null) {
      throw new IllegalArgumentException("a negative duration is not allowed");
    }
    try {
      long days = Math.addExact(Math.addExact(Math.multiplyExact(num(m.group(2)), 365),
          Math.multiplyExact(num(m.group(3)), 30)), Math.addExact(Math.multiplyExact(num(m.group(4)), 7), num(m.group(5))));
      long seconds = Math.addExact(Math.addExact(Math.multiplyExact(days, 86_400),
          Math.multiplyExact(num(m.group(6)), 3_600)), Math.addExact(Math.multiplyExact(num(m.group(7)), 60), num(m.group(8))));
      long ms = Math.multiplyExact(seconds, 1000);
      String fraction = m.group(9);
      if (fraction != null) {
        String f = (fraction + "000").substring(0, 3);
        ms = Math.addExact(ms, Long.parseLong(f));
      }
      return ms;
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("the duration is too long");
    }
  }

  private static long num(String g) {
    return g == null ? 0 : Long.parseLong(g);
  }

  /** ISO 8601 duration as Azure writes it ({@code PT1H30M}, {@code P2DT3H}, {@code PT0.5S}, {@code PT0S}). */
  public static String duration(long ms) {
    if (ms >= UNBOUNDED_MS) {
      return UNBOUNDED;
    }
    long days = ms / 86_400_000L;
    long rest = ms % 86_400_000L;
    long hours = rest / 3_600_000L;
    rest %= 3_600_000L;
    long minutes = rest / 60_000L;
    rest %= 60_000L;
    long seconds = rest / 1000;
    long millis = rest % 1000;
    StringBuilder b = new StringBuilder("P");
    if (days > 0) {
      b.append(days).append('D');
    }
    if (hours > 0 || minutes > 0 || seconds > 0 || millis > 0 || days == 0) {
      b.append('T');
      if (hours > 0) {
        b.append(hours).append('H');
      }
      if (minutes > 0) {
        b.append(minutes).append('M');
      }
      if (seconds > 0 || millis > 0 || (hours == 0 && minutes == 0)) {
        b.append(seconds);
        if (millis > 0) {
          b.append('.').append(String.format(Locale.ROOT, "%03d", millis).replaceAll("0+$", ""));
        }
        b.append('S');
      }
    }
    return b.toString();
  }
}
