package io.batchgrid.coordinator.autoscale;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The argument of {@code time(string)}: W3C-DTF (the ISO 8601 profile: {@code YYYY}, {@code YYYY-MM},
 * {@code YYYY-MM-DD}, {@code YYYY-MM-DDThh:mm[:ss[.s]]TZD}) or RFC 1123
 * ({@code Thu, 13 Oct 2016 19:18:47 GMT}). Fractions of a second may have at most 7 digits, the
 * resolution of .NET's DateTime: Azure rejects the 9-digit fractions Java's {@code Instant} prints.
 * A time without a zone designator is taken as UTC.
 */
final class TimeParser {

    private static final Pattern W3C = Pattern.compile(
            "(\\d{4})(?:-(\\d{2})(?:-(\\d{2})(?:[Tt ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,7}))?)?"
                    + "(Z|z|[+-]\\d{2}:\\d{2})?)?)?)?");

    private TimeParser() {
    }

    static Optional<Instant> parse(String text) {
        String s = text.trim();
        Matcher m = W3C.matcher(s);
        try {
            if (m.matches()) {
                int year = Integer.parseInt(m.group(1));
                int month = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
                int day = m.group(3) == null ? 1 : Integer.parseInt(m.group(3));
                if (m.group(4) == null) {
                    return Optional.of(LocalDate.of(year, month, day).atStartOfDay(ZoneOffset.UTC).toInstant());
                }
                int second = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
                int nanos = 0;
                if (m.group(7) != null) {
                    String fraction = (m.group(7) + "000000000").substring(0, 9);
                    nanos = Integer.parseInt(fraction);
                }
                LocalDateTime local = LocalDateTime.of(year, month, day, Integer.parseInt(m.group(4)),
                        Integer.parseInt(m.group(5)), second, nanos);
                String zone = m.group(8);
                ZoneOffset offset = zone == null || zone.equalsIgnoreCase("Z") ? ZoneOffset.UTC : ZoneOffset.of(zone);
                return Optional.of(local.toInstant(offset));
            }
            return Optional.of(Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(s)));
        } catch (DateTimeException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
