package io.batchgrid.coordinator.autoscale;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/** An immutable {@link SampleSeries} over flat arrays; build one with {@link #builder()}. */
public final class ArraySampleSeries implements SampleSeries {

    static final ArraySampleSeries EMPTY = new ArraySampleSeries(new long[0], new int[] {0}, new double[0]);

    private final long[] timestamps;
    /** Sample i's values are values[offsets[i] .. offsets[i + 1]). */
    private final int[] offsets;
    private final double[] values;

    private ArraySampleSeries(long[] timestamps, int[] offsets, double[] values) {
        this.timestamps = timestamps;
        this.offsets = offsets;
        this.values = values;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A pool-wide series of {@code count} samples, {@code period} apart, the newest at {@code newest},
     * taking {@code values} in turn (oldest first, starting over when they run out).
     */
    public static ArraySampleSeries regular(Instant newest, Duration period, int count, double... values) {
        if (values.length == 0 && count > 0) {
            throw new IllegalArgumentException("no values");
        }
        Builder b = builder();
        for (int i = 0; i < count; i++) {
            b.add(newest.minus(period.multipliedBy(count - 1 - i)), values[i % values.length]);
        }
        return b.build();
    }

    @Override
    public int size() {
        return timestamps.length;
    }

    @Override
    public long timestampMillis(int index) {
        return timestamps[index];
    }

    @Override
    public int valueCount(int index) {
        return offsets[index + 1] - offsets[index];
    }

    @Override
    public double value(int index, int position) {
        return values[offsets[index] + position];
    }

    @Override
    public int copyValues(int from, int to, double[] destination, int offset) {
        int n = offsets[to] - offsets[from];
        System.arraycopy(values, offsets[from], destination, offset, n);
        return n;
    }

    @Override
    public int valueCount(int from, int to) {
        return offsets[to] - offsets[from];
    }

    /** Collects samples in time order. Not thread-safe. */
    public static final class Builder {
        private long[] timestamps = new long[16];
        private int[] offsets = new int[17];
        private double[] values = new double[16];
        private int samples;

        private Builder() {
        }

        /** Adds a sample recorded at {@code at}, no earlier than the previous one, with one value per node. */
        public Builder add(Instant at, double... sampleValues) {
            return add(at.toEpochMilli(), sampleValues);
        }

        /** Adds a sample recorded at {@code epochMillis}, no earlier than the previous one. */
        public Builder add(long epochMillis, double... sampleValues) {
            if (samples > 0 && epochMillis < timestamps[samples - 1]) {
                throw new IllegalArgumentException("samples must be added oldest first");
            }
            if (samples == timestamps.length) {
                timestamps = Arrays.copyOf(timestamps, samples * 2);
                offsets = Arrays.copyOf(offsets, samples * 2 + 1);
            }
            int start = offsets[samples];
            int end = start + sampleValues.length;
            if (end > values.length) {
                values = Arrays.copyOf(values, Math.max(end, values.length * 2));
            }
            System.arraycopy(sampleValues, 0, values, start, sampleValues.length);
            timestamps[samples] = epochMillis;
            offsets[samples + 1] = end;
            samples++;
            return this;
        }

        public ArraySampleSeries build() {
            return new ArraySampleSeries(Arrays.copyOf(timestamps, samples), Arrays.copyOf(offsets, samples + 1),
                    Arrays.copyOf(values, offsets[samples]));
        }
    }
}
