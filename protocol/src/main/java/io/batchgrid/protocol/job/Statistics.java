package io.batchgrid.protocol.job;

import java.util.Collection;

/**
 * Resource statistics of a task, a job or a job schedule ({@code $expand=stats}), computed from
 * what the service knows of its tasks at {@code lastUpdateTimeMs}. CPU and I/O figures are not
 * measured by the nodes, so they are not carried here: the wire shows them as zero.
 *
 * <p>Wall clock and wait time follow Azure's definitions but cover each task's latest attempt
 * only (earlier attempts' times are not kept): wall clock is from the start of the attempt to its
 * end (or to now while it runs); wait time is from the task's creation to the start of its latest
 * attempt (or to now while it waits). Deleted tasks no longer count.
 *
 * @param startTimeMs the start of the time range covered (the job's or task's creation)
 * @param succeededTasks tasks completed with success (0 for a task's own statistics)
 * @param failedTasks tasks completed with a failure
 * @param taskRetries retries spent over all tasks
 */
public record Statistics(long startTimeMs, long lastUpdateTimeMs, long wallClockMs, long waitMs,
    long succeededTasks, long failedTasks, long taskRetries) {

  /** Nothing counted yet over a range starting at {@code startTimeMs}. */
  public static Statistics empty(long startTimeMs, long nowMs) {
    return new Statistics(startTimeMs, nowMs, 0, 0, 0, 0, 0);
  }

  public static Statistics ofTask(TaskRecord t, long nowMs) {
    long wallClock = 0;
    if (t.startTimeMs() > 0 && t.state() == TaskState.RUNNING) {
      wallClock = nowMs - t.startTimeMs();
    } else if (t.startTimeMs() > 0 && t.state() == TaskState.COMPLETED && t.endTimeMs() >= t.startTimeMs()) {
      wallClock = t.endTimeMs() - t.startTimeMs();
    }
    long waitedUntil = t.startTimeMs() > 0 ? t.startTimeMs()
        : t.state() == TaskState.COMPLETED && t.endTimeMs() > 0 ? t.endTimeMs() : nowMs;
    long wait = Math.max(0, waitedUntil - t.creationTimeMs());
    boolean completed = t.state() == TaskState.COMPLETED;
    return new Statistics(t.creationTimeMs(), nowMs, Math.max(0, wallClock), wait,
        completed && t.succeeded() ? 1 : 0, completed && !t.succeeded() ? 1 : 0, t.retryCount());
  }

  /** The sum over a job's tasks. */
  public static Statistics ofJob(long jobCreationTimeMs, Collection<TaskRecord> tasks, long nowMs) {
    Statistics sum = empty(jobCreationTimeMs, nowMs);
    for (TaskRecord t : tasks) {
      sum = sum.plus(ofTask(t, nowMs));
    }
    return sum;
  }

  /** Both ranges' figures added up, over the range from the earlier start. */
  public Statistics plus(Statistics o) {
    return new Statistics(Math.min(startTimeMs, o.startTimeMs), Math.max(lastUpdateTimeMs, o.lastUpdateTimeMs),
        wallClockMs + o.wallClockMs, waitMs + o.waitMs, succeededTasks + o.succeededTasks,
        failedTasks + o.failedTasks, taskRetries + o.taskRetries);
  }
}
