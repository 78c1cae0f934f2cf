package io.batchgrid.api.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;

import org.joda.time.DateTime;
import org.joda.time.Period;
import org.joda.time.format.ISODateTimeFormat;
import org.joda.time.format.ISOPeriodFormat;
import org.junit.jupiter.api.Test;

class WireTimeTest {
  @Test
  void datesAsAzureWritesThem() {
    long t = Instant.parse("2024-01-02T03:04:05.123Z").toEpochMilli();
    assertEquals("2024-01-02T03:04:05.1230000Z", WireTime.iso(t));
    assertEquals("Tue, 02 Jan 2024 03:04:05 GMT", WireTime.rfc1123(t));
    // The Java SDK reads dates with Joda.
    DateTime parsed = ISODateTimeFormat.dateTimeParser().withOffsetParsed().parseDateTime(WireTime.iso(t));
    assertEquals(t, parsed.getMillis());
  }

  @Test
  void durationsBothWays() {
    assertEquals(90 * 60_000L, WireTime.parseDurationMs("PT1H30M"));
    assertEquals(2 * 86_400_000L, WireTime.parseDurationMs("P2D"));
    assertEquals(500L, WireTime.parseDurationMs("PT0.5S"));
    assertEquals(7 * 86_400_000L, WireTime.parseDurationMs("P1W"));
    assertEquals(WireTime.UNBOUNDED_MS, WireTime.parseDurationMs(WireTime.UNBOUNDED));
    assertEquals("PT1H30M", WireTime.duration(90 * 60_000L));
    assertEquals("P2D", WireTime.duration(2 * 86_400_000L));
    assertEquals("P1DT2H0.25S", WireTime.duration(86_400_000L + 7_200_000L + 250));
    assertEquals("PT0S", WireTime.duration(0));
    assertEquals("PT5S", WireTime.duration(5000));
    assertEquals(WireTime.UNBOUNDED, WireTime.duration(WireTime.UNBOUNDED_MS));
    for (String bad : new String[] {"", "P", "PT", "1H", "-PT1H", "PT1X", "P1DT"}) {
      assertThrows(IllegalArgumentException.class, () -> WireTime.parseDurationMs(bad), bad);
    }
  }

  @Test
  void theJavaSdkParsesOurDurations() {
    for (long ms : new long[] {0, 500, 5000, 90 * 60_000L, 86_400_000L + 7_200_000L + 250, WireTime.UNBOUNDED_MS}) {
      Period p = ISOPeriodFormat.standard().parsePeriod(WireTime.duration(ms));
      assertEquals(Math.min(ms, WireTime.UNBOUNDED_MS), WireTime.parseDurationMs(p.toString()), WireTime.duration(ms));
    }
  }

  @org.junit.jupiter.api.Test
  void isoWrittenByHandEqualsTheFormatter() {
    java.time.format.DateTimeFormatter f = java.time.format.DateTimeFormatter
        .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'0000Z'", java.util.Locale.ROOT).withZone(java.time.ZoneOffset.UTC);
    java.util.Random r = new java.util.Random(1);
    for (int i = 0; i < 10_000; i++) {
      long ms = r.nextLong() % 253_402_300_799_999L; // years 1 BC .. 9999, both signs
      org.junit.jupiter.api.Assertions.assertEquals(f.format(java.time.Instant.ofEpochMilli(ms)), WireTime.iso(ms), "ms " + ms);
    }
    org.junit.jupiter.api.Assertions.assertEquals("1970-01-01T00:00:00.0000000Z", WireTime.iso(0));
    org.junit.jupiter.api.Assertions.assertEquals("1969-12-31T23:59:59.9990000Z", WireTime.iso(-1));
  }
}
