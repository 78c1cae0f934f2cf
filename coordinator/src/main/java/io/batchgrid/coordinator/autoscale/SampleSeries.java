package io.batchgrid.coordinator.autoscale;

/**
 * The history of one metric, oldest sample first. A sample is what was recorded at one instant: one
 * value for a pool-wide metric such as {@code $PendingTasks}, or one value per node for a node metric
 * such as {@code $CPUPercent}. The evaluator reads only the samples a window needs (found by binary
 * search on the timestamps), so an implementation should answer each method in constant time, for
 * example over arrays or a ring buffer; it must not change while an evaluation reads it.
 */
public interface SampleSeries {

    /** The number of samples in the history. */
    int size();

    /** When sample {@code index} (0 = oldest) was recorded, in epoch milliseconds; never decreasing with index. */
    long timestampMillis(int index);

    /** How many values sample {@code index} holds (1 for a pool-wide metric, one per node otherwise). */
    int valueCount(int index);

    /** Value {@code position} of sample {@code index}. */
    double value(int index, int position);

    /**
     * Copies the values of samples {@code from} (inclusive) to {@code to} (exclusive), in order, into
     * {@code destination} starting at {@code offset}; returns the number of values copied. Implementations
     * over flat arrays may override this with a bulk copy.
     */
    default int copyValues(int from, int to, double[] destination, int offset) {
        int at = offset;
        for (int i = from; i < to; i++) {
            int n = valueCount(i);
            for (int k = 0; k < n; k++) {
                destination[at++] = value(i, k);
            }
        }
        return at - offset;
    }

    /** The number of values held by samples {@code from} (inclusive) to {@code to} (exclusive). */
    default int valueCount(int from, int to) {
        int total = 0;
        for (int i = from; i < to; i++) {
            total += valueCount(i);
        }
        return total;
    }

    /** A history without samples. */
    static SampleSeries empty() {
        return ArraySampleSeries.EMPTY;
    }
}
