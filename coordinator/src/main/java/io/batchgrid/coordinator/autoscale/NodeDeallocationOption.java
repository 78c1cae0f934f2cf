package io.batchgrid.coordinator.autoscale;

import java.util.Locale;
import java.util.Optional;

/** What happens to running tasks on nodes that a shrinking pool removes ({@code $NodeDeallocationOption}). */
public enum NodeDeallocationOption {
    /** Stop running tasks now and put them back in the job queue (the default). */
    REQUEUE,
    /** Stop running tasks now and complete them as failed. */
    TERMINATE,
    /** Let running tasks finish, then remove the node. */
    TASKCOMPLETION,
    /** Wait until task-retained data on the node has been cleaned up, then remove the node. */
    RETAINEDDATA;

    /** The spelling used in formulas, in results and on the wire: {@code requeue}, {@code taskcompletion}, … */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The option a formula string denotes, ignoring case; empty when there is none. */
    public static Optional<NodeDeallocationOption> parse(String text) {
        for (NodeDeallocationOption o : values()) {
            if (o.wireName().equalsIgnoreCase(text)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }
}
