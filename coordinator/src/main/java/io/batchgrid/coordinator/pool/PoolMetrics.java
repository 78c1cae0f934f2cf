package io.batchgrid.coordinator.pool;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import io.batchgrid.coordinator.autoscale.SampleSeries;
import io.batchgrid.coordinator.autoscale.SampleSource;
import io.batchgrid.coordinator.autoscale.ServiceVariable;

/**
 * The sample history an autoscale formula reads: task counts of the pool's jobs (pool-wide values)
 * and node metrics (one value per node), sampled every {@link #PERIOD} and kept for
 * {@link #RETENTION}. Live state of one pool entity incarnation; after a restart the history starts
 * again, as a formula's GetSamplePercent checks expect of a new pool.
 *
 * <p>In-process nodes share this machine, so every node reports the host's CPU and memory use;
 * disk and network counters are not measured yet and read 0.
 */
final class PoolMetrics {
  static final Duration PERIOD = Duration.ofSeconds(5);
  static final Duration RETENTION = Duration.ofHours(1);
  private static final int CAPACITY = (int) (RETENTION.toMillis() / PERIOD.toMillis()) + 1;

  /** Latest task counts per job: active, running, succeeded, failed. */
  private final Map<String, long[]> jobCounts = new HashMap<>();
  private final Map<ServiceVariable, Ring> series = new EnumMap<>(ServiceVariable.class);

  PoolMetrics() {
    for (ServiceVariable v : ServiceVariable.values()) {
      if (v.kind() == ServiceVariable.Kind.METRIC) {
        series.put(v, new Ring());
      }
    }
  }

  void jobCounts(String jobId, long active, long running, long succeeded, long failed) {
    jobCounts.put(jobId, new long[] {active, running, succeeded, failed});
  }

  void forgetJob(String jobId) {
    jobCounts.remove(jobId);
  }

  /** Records one sample of every metric at {@code now} for {@code nodes} nodes. */
  void sample(long now, int nodes) {
    long[] sum = new long[4];
    jobCounts.values().forEach(c -> {
      for (int i = 0; i < 4; i++) {
        sum[i] += c[i];
      }
    });
    put(ServiceVariable.ACTIVE_TASKS, now, sum[0]);
    put(ServiceVariable.RUNNING_TASKS, now, sum[1]);
    put(ServiceVariable.PENDING_TASKS, now, sum[0] + sum[1]);
    put(ServiceVariable.SUCCEEDED_TASKS, now, sum[2]);
    put(ServiceVariable.FAILED_TASKS, now, sum[3]);
    put(ServiceVariable.SAMPLE_NODE_COUNT, now, nodes);
    put(ServiceVariable.PREEMPTED_NODE_COUNT, now, 0);
    double cpu = hostCpuPercent();
    double memory = hostMemoryUsedBytes();
    for (ServiceVariable v : series.keySet()) {
      switch (v) {
        case CPU_PERCENT -> series.get(v).add(now, perNode(nodes, cpu));
        case MEMORY_BYTES -> series.get(v).add(now, perNode(nodes, memory));
        case WALL_CLOCK_SECONDS, DISK_BYTES, DISK_READ_BYTES, DISK_WRITE_BYTES, DISK_READ_OPS,
            DISK_WRITE_OPS, NETWORK_IN_BYTES, NETWORK_OUT_BYTES -> series.get(v).add(now, perNode(nodes, 0));
        default -> { }
      }
    }
  }

  /**
   * CPU and memory over the samples kept (the last hour at most), for the pool's
   * {@code resourceStats}; null before the first sample. Nodes in this JVM share the host, so the
   * figures are the host's.
   */
  PoolEntity.ResourceUse resourceUse() {
    Ring cpu = series.get(ServiceVariable.CPU_PERCENT);
    Ring memory = series.get(ServiceVariable.MEMORY_BYTES);
    double cpuSum = 0;
    double memorySum = 0;
    double memoryPeak = 0;
    int samples = 0;
    for (int i = 0; i < Math.min(cpu.size(), memory.size()); i++) {
      if (cpu.valueCount(i) == 0 || memory.valueCount(i) == 0) {
        continue; // a sample of a pool without nodes
      }
      cpuSum += cpu.value(i, 0);
      memorySum += memory.value(i, 0);
      memoryPeak = Math.max(memoryPeak, memory.value(i, 0));
      samples++;
    }
    if (samples == 0) {
      return null;
    }
    return new PoolEntity.ResourceUse(cpu.timestampMillis(0), cpu.timestampMillis(cpu.size() - 1), cpuSum / samples,
        memorySum / samples, memoryPeak);
  }

  private void put(ServiceVariable v, long now, double value) {
    series.get(v).add(now, new double[] {value});
  }

  private static double[] perNode(int nodes, double value) {
    double[] values = new double[nodes];
    java.util.Arrays.fill(values, value);
    return values;
  }

  /** The samples as an autoscale formula sees them at {@code now}, with the pool's scalars. */
  SampleSource source(Instant now, Map<ServiceVariable, Double> scalars) {
    return new SampleSource() {
      @Override
      public Instant now() {
        return now;
      }

      @Override
      public Duration samplePeriod() {
        return PERIOD;
      }

      @Override
      public SampleSeries series(ServiceVariable metric) {
        return series.get(metric);
      }

      @Override
      public double scalar(ServiceVariable variable) {
        return scalars.getOrDefault(variable, 0.0);
      }
    };
  }

  // The two host readings below come from the OS bean (a read of /proc on Linux, microseconds), once
  // per pool every 5 seconds: cheap enough for the pool's own thread.
  private static double hostCpuPercent() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      double load = os.getCpuLoad();
      return load < 0 ? 0 : load * 100;
    }
    return 0;
  }

  private static double hostMemoryUsedBytes() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getTotalMemorySize() - os.getFreeMemorySize();
    }
    return 0;
  }

  /** A fixed-size ring of samples, oldest first; the oldest is overwritten when full. */
  private static final class Ring implements SampleSeries {
    private final long[] times = new long[CAPACITY];
    private final double[][] values = new double[CAPACITY][];
    private int start;
    private int size;

    void add(long time, double[] sample) {
      int at = (start + size) % CAPACITY;
      if (size == CAPACITY) {
        start = (start + 1) % CAPACITY;
      } else {
        size++;
      }
      times[at] = time;
      values[at] = sample;
    }

    @Override
    public int size() {
      return size;
    }

    @Override
    public long timestampMillis(int index) {
      return times[(start + index) % CAPACITY];
    }

    @Override
    public int valueCount(int index) {
      return values[(start + index) % CAPACITY].length;
    }

    @Override
    public double value(int index, int position) {
      return values[(start + index) % CAPACITY][position];
    }
  }
}
