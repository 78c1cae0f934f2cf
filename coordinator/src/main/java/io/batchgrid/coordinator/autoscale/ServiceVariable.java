package io.batchgrid.coordinator.autoscale;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The variables the Batch service defines. Names are matched without regard to case; the canonical
 * spelling is {@link #formulaName()}.
 */
public enum ServiceVariable {
    // Read-write: the formula's outputs.
    TARGET_DEDICATED_NODES("$TargetDedicatedNodes", Kind.WRITABLE),
    TARGET_LOW_PRIORITY_NODES("$TargetLowPriorityNodes", Kind.WRITABLE),
    NODE_DEALLOCATION_OPTION("$NodeDeallocationOption", Kind.WRITABLE),
    /** Old name of $TargetDedicatedNodes; the full name wins when a formula sets both. */
    TARGET_DEDICATED("$TargetDedicated", Kind.WRITABLE),
    /** Old name of $TargetLowPriorityNodes; the full name wins when a formula sets both. */
    TARGET_LOW_PRIORITY("$TargetLowPriority", Kind.WRITABLE),

    // Read-only metrics: sample sets, read through GetSample and the other sample methods.
    CPU_PERCENT("$CPUPercent", Kind.METRIC),
    WALL_CLOCK_SECONDS("$WallClockSeconds", Kind.METRIC),
    MEMORY_BYTES("$MemoryBytes", Kind.METRIC),
    DISK_BYTES("$DiskBytes", Kind.METRIC),
    DISK_READ_BYTES("$DiskReadBytes", Kind.METRIC),
    DISK_WRITE_BYTES("$DiskWriteBytes", Kind.METRIC),
    DISK_READ_OPS("$DiskReadOps", Kind.METRIC),
    DISK_WRITE_OPS("$DiskWriteOps", Kind.METRIC),
    NETWORK_IN_BYTES("$NetworkInBytes", Kind.METRIC),
    NETWORK_OUT_BYTES("$NetworkOutBytes", Kind.METRIC),
    SAMPLE_NODE_COUNT("$SampleNodeCount", Kind.METRIC),
    ACTIVE_TASKS("$ActiveTasks", Kind.METRIC),
    RUNNING_TASKS("$RunningTasks", Kind.METRIC),
    PENDING_TASKS("$PendingTasks", Kind.METRIC),
    SUCCEEDED_TASKS("$SucceededTasks", Kind.METRIC),
    FAILED_TASKS("$FailedTasks", Kind.METRIC),
    PREEMPTED_NODE_COUNT("$PreemptedNodeCount", Kind.METRIC),

    // Read-only scalars: plain doubles taken from the pool at evaluation time.
    TASK_SLOTS_PER_NODE("$TaskSlotsPerNode", Kind.SCALAR),
    CURRENT_DEDICATED_NODES("$CurrentDedicatedNodes", Kind.SCALAR),
    CURRENT_LOW_PRIORITY_NODES("$CurrentLowPriorityNodes", Kind.SCALAR),
    USABLE_NODE_COUNT("$UsableNodeCount", Kind.SCALAR);

    /** How a formula may use a service variable. */
    public enum Kind {
        /** Readable and assignable. */
        WRITABLE,
        /** A time series: only sample methods may be applied to it. */
        METRIC,
        /** A read-only double. */
        SCALAR
    }

    private static final Map<String, ServiceVariable> BY_NAME = new HashMap<>();

    static {
        for (ServiceVariable v : values()) {
            BY_NAME.put(v.formulaName.toLowerCase(Locale.ROOT), v);
        }
        // Old spellings of the current node counts.
        BY_NAME.put("$currentdedicated", CURRENT_DEDICATED_NODES);
        BY_NAME.put("$currentlowpriority", CURRENT_LOW_PRIORITY_NODES);
    }

    private final String formulaName;
    private final Kind kind;

    ServiceVariable(String formulaName, Kind kind) {
        this.formulaName = formulaName;
        this.kind = kind;
    }

    /** The canonical name as written in formulas and results, with its {@code $}. */
    public String formulaName() {
        return formulaName;
    }

    public Kind kind() {
        return kind;
    }

    /** The variable a {@code $name} (with its dollar sign) denotes, ignoring case; empty for a user variable. */
    public static Optional<ServiceVariable> byName(String dollarName) {
        return Optional.ofNullable(BY_NAME.get(dollarName.toLowerCase(Locale.ROOT)));
    }

    /** For the old target names, the variable they stand for; otherwise this variable. */
    ServiceVariable canonical() {
        return switch (this) {
            case TARGET_DEDICATED -> TARGET_DEDICATED_NODES;
            case TARGET_LOW_PRIORITY -> TARGET_LOW_PRIORITY_NODES;
            default -> this;
        };
    }
}
