package io.batchgrid.coordinator.autoscale;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;

/** The members of a timestamp (all in UTC). */
public enum TimestampMember {
    YEAR, MONTH, DAY,
    /** 0 for Sunday, 1 for Monday … 6 for Saturday (.NET's DayOfWeek). */
    WEEKDAY,
    HOUR, MINUTE, SECOND;

    public String formulaName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<TimestampMember> byName(String name) {
        for (TimestampMember m : values()) {
            if (m.formulaName().equalsIgnoreCase(name)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    double of(Value.Timestamp timestamp) {
        ZonedDateTime t = timestamp.toInstant().atZone(ZoneOffset.UTC);
        return switch (this) {
            case YEAR -> t.getYear();
            case MONTH -> t.getMonthValue();
            case DAY -> t.getDayOfMonth();
            case WEEKDAY -> t.getDayOfWeek().getValue() % 7;
            case HOUR -> t.getHour();
            case MINUTE -> t.getMinute();
            case SECOND -> t.getSecond();
        };
    }
}
