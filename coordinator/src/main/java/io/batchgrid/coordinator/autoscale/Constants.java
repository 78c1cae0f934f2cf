package io.batchgrid.coordinator.autoscale;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The predefined names without a dollar sign: the TimeInterval_* constants and the deallocation options. */
final class Constants {

    static final long TICKS_PER_SECOND = 10_000_000L;
    static final long TICKS_PER_DAY = 86_400L * TICKS_PER_SECOND;

    private static final Map<String, Value> BY_NAME = new HashMap<>();

    static {
        interval("TimeInterval_Zero", 0);
        interval("TimeInterval_100ns", 1);
        interval("TimeInterval_Microsecond", 10);
        interval("TimeInterval_Millisecond", 10_000);
        interval("TimeInterval_Second", TICKS_PER_SECOND);
        interval("TimeInterval_Minute", 60 * TICKS_PER_SECOND);
        interval("TimeInterval_Hour", 3_600 * TICKS_PER_SECOND);
        interval("TimeInterval_Day", TICKS_PER_DAY);
        interval("TimeInterval_Week", 7 * TICKS_PER_DAY);
        interval("TimeInterval_Year", 365 * TICKS_PER_DAY);
        for (NodeDeallocationOption o : NodeDeallocationOption.values()) {
            BY_NAME.put(o.wireName(), new Value.Str(o.wireName()));
        }
    }

    private Constants() {
    }

    private static void interval(String name, long ticks) {
        BY_NAME.put(name.toLowerCase(Locale.ROOT), new Value.Interval(ticks));
    }

    /** The constant with that name, ignoring case. */
    static Optional<Value> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name.toLowerCase(Locale.ROOT)));
    }
}
