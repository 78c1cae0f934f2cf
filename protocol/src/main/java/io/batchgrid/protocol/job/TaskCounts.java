package io.batchgrid.protocol.job;

/** Task (or task-slot) counts of a job by state, as {@code GET /jobs/{id}/taskcounts} reports them. */
public record TaskCounts(long active, long running, long completed, long succeeded, long failed) {
  public static final TaskCounts ZERO = new TaskCounts(0, 0, 0, 0, 0);
}
