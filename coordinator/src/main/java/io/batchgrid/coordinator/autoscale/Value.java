package io.batchgrid.coordinator.autoscale;

import java.time.Instant;
import java.util.Arrays;

/**
 * A runtime value of the formula language. Times are counted in ticks of 100 ns, as in .NET's
 * {@code DateTime} and {@code TimeSpan}, so interval arithmetic matches Azure's resolution.
 */
public sealed interface Value {

    /** Ticks (100 ns) per millisecond. */
    long TICKS_PER_MILLI = 10_000L;

    /** The static type this value belongs to. */
    Type type();

    /** How Azure prints the value in an autoscale run's results string. */
    String format();

    /** A double (also the language's boolean: non-zero is true). */
    record Num(double value) implements Value {
        public static final Num ZERO = new Num(0);
        public static final Num ONE = new Num(1);

        public static Num of(boolean b) {
            return b ? ONE : ZERO;
        }

        @Override
        public Type type() {
            return Type.DOUBLE;
        }

        @Override
        public String format() {
            return ResultFormat.number(value);
        }
    }

    /** A doubleVec. The array is owned by the value and never changed after construction. */
    record Vec(double[] values) implements Value {
        @Override
        public Type type() {
            return Type.DOUBLE_VEC;
        }

        public int size() {
            return values.length;
        }

        @Override
        public String format() {
            StringBuilder sb = new StringBuilder(2 + values.length * 4).append('[');
            for (int i = 0; i < values.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(ResultFormat.number(values[i]));
            }
            return sb.append(']').toString();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Vec v && Arrays.equals(values, v.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Vec" + Arrays.toString(values);
        }
    }

    /** A string. */
    record Str(String value) implements Value {
        @Override
        public Type type() {
            return Type.STRING;
        }

        @Override
        public String format() {
            return value;
        }
    }

    /** A timestamp: ticks since 1970-01-01T00:00:00Z (UTC). */
    record Timestamp(long ticks) implements Value {
        public static Timestamp of(Instant instant) {
            return new Timestamp(Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 10_000_000L),
                    instant.getNano() / 100));
        }

        public Instant toInstant() {
            return Instant.ofEpochSecond(Math.floorDiv(ticks, 10_000_000L), Math.floorMod(ticks, 10_000_000L) * 100);
        }

        @Override
        public Type type() {
            return Type.TIMESTAMP;
        }

        @Override
        public String format() {
            return ResultFormat.timestamp(this);
        }
    }

    /** A timeinterval: a signed number of ticks. */
    record Interval(long ticks) implements Value {
        @Override
        public Type type() {
            return Type.TIMEINTERVAL;
        }

        @Override
        public String format() {
            return ResultFormat.interval(ticks);
        }
    }
}
