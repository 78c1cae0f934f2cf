package io.batchgrid.coordinator.autoscale;

/** The static types of formula expressions. */
public enum Type {
    DOUBLE("double"),
    DOUBLE_VEC("doubleVec"),
    STRING("string"),
    TIMESTAMP("timestamp"),
    TIMEINTERVAL("timeinterval"),
    /** A metric service variable such as {@code $CPUPercent}: usable only as the receiver of a sample method. */
    SAMPLES("sample set"),
    /** The type of {@code stop()}: evaluation never continues past it, so it fits anywhere. */
    NONE("nothing");

    private final String displayName;

    Type(String displayName) {
        this.displayName = displayName;
    }

    /** The name Azure's documentation uses for the type. */
    public String displayName() {
        return displayName;
    }

    @Override
    public String toString() {
        return displayName;
    }
}
