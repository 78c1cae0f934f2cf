package io.batchgrid.coordinator.autoscale;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How values are printed in a results string: the .NET formats Azure's service prints with. */
final class ResultFormat {

    private static final MathContext FIFTEEN_DIGITS = new MathContext(15, RoundingMode.HALF_EVEN);
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private ResultFormat() {
    }

    /**
     * A double as .NET's general format prints it: at most 15 significant digits, no trailing zeros,
     * scientific notation ({@code 1E+20}, {@code 1.5E-07}) for exponents of 15 and more or below -5,
     * {@code NaN}, {@code Infinity}, {@code -Infinity}.
     */
    static String number(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return "0";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        BigDecimal bd = new BigDecimal(d).round(FIFTEEN_DIGITS).stripTrailingZeros();
        int exponent = bd.precision() - bd.scale() - 1;
        if (exponent >= 15 || exponent < -5) {
            String digits = bd.unscaledValue().abs().toString();
            StringBuilder sb = new StringBuilder();
            if (bd.signum() < 0) {
                sb.append('-');
            }
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            sb.append('E').append(exponent < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exponent));
            if (e.length() < 2) {
                sb.append('0');
            }
            return sb.append(e).toString();
        }
        return bd.toPlainString();
    }

    /** A timestamp as {@code 2016-10-13T19:18:47.805Z} (UTC, milliseconds). */
    static String timestamp(Value.Timestamp t) {
        return TIMESTAMP.format(t.toInstant());
    }

    /** A timeinterval as .NET's TimeSpan prints it: {@code [-][d.]hh:mm:ss[.fffffff]}. */
    static String interval(long ticks) {
        StringBuilder sb = new StringBuilder();
        // Long.MIN_VALUE has no positive counterpart; treat it via unsigned arithmetic below.
        boolean negative = ticks < 0;
        if (negative) {
            sb.append('-');
        }
        long abs = negative ? -ticks : ticks;
        if (abs < 0) { // Long.MIN_VALUE
            abs = Long.MAX_VALUE;
        }
        long days = abs / 864_000_000_000L;
        long rest = abs % 864_000_000_000L;
        long hours = rest / 36_000_000_000L;
        rest %= 36_000_000_000L;
        long minutes = rest / 600_000_000L;
        rest %= 600_000_000L;
        long seconds = rest / 10_000_000L;
        long fraction = rest % 10_000_000L;
        if (days > 0) {
            sb.append(days).append('.');
        }
        sb.append(String.format("%02d:%02d:%02d", hours, minutes, seconds));
        if (fraction > 0) {
            sb.append('.').append(String.format("%07d", fraction));
        }
        return sb.toString();
    }
}
