package io.batchgrid.protocol.schedule;

import io.batchgrid.protocol.spec.JobScheduleSpec;

/**
 * A job schedule's persisted state. The next run time is derived, not stored: runs fall at
 * {@code firstRun + k * recurrenceInterval}, where the first run is {@code doNotRunUntil} or the
 * creation time.
 *
 * @param lastJob number of the last job created (0 before the first)
 * @param lastRunMs when the last run was due (its job created, or the run skipped)
 * @param lastJobCreated false between a run's start and its job's creation: recovery finishes it
 */
public record JobScheduleRecord(
    JobScheduleSpec spec,
    JobScheduleState state,
    JobScheduleState previousState,
    long creationTimeMs,
    long stateTransitionTimeMs,
    long lastModifiedMs,
    long version,
    long lastJob,
    long lastRunMs,
    long endTimeMs,
    boolean lastJobCreated) {

  public static final JobScheduleRecord EMPTY = new JobScheduleRecord(null, null, null, 0, 0, 0, 0, 0, 0, 0, true);

  public boolean exists() {
    return spec != null;
  }

  public String id() {
    return spec.getId();
  }

  /** The id of run {@code n}'s job, as Azure names them. */
  public String jobId(long n) {
    return spec.getId() + ":job-" + n;
  }

  /** When the first run is due. */
  public long firstRunMs() {
    return spec.getSchedule().hasDoNotRunUntilMs() ? Math.max(creationTimeMs, spec.getSchedule().getDoNotRunUntilMs())
        : creationTimeMs;
  }

  /**
   * When the next run is due, or -1 when there is none: a schedule without a recurrence runs once;
   * a recurring one runs at each interval after the first run (a run is never due twice for one
   * interval); nothing runs after doNotRunAfter.
   */
  public long nextRunMs() {
    if (state != JobScheduleState.ACTIVE) {
      return -1;
    }
    long next;
    if (lastJob == 0 && lastRunMs == 0) {
      next = firstRunMs();
    } else if (spec.getSchedule().hasRecurrenceIntervalMs() && spec.getSchedule().getRecurrenceIntervalMs() > 0) {
      long interval = spec.getSchedule().getRecurrenceIntervalMs();
      long first = firstRunMs();
      long k = (lastRunMs - first) / interval + 1;
      next = first + k * interval;
    } else {
      return -1;
    }
    if (spec.getSchedule().hasDoNotRunAfterMs() && next > spec.getSchedule().getDoNotRunAfterMs()) {
      return -1;
    }
    return next;
  }

  public JobScheduleRecord apply(JobScheduleEvent e) {
    long t = e.timeMs();
    if (e instanceof JobScheduleEvent.ScheduleCreated c) {
      return new JobScheduleRecord(c.spec(), JobScheduleState.ACTIVE, null, t, t, t, 1, 0, 0, 0, true);
    } else if (e instanceof JobScheduleEvent.ScheduleUpdated c) {
      return new JobScheduleRecord(c.spec(), state, previousState, creationTimeMs, stateTransitionTimeMs, t,
          version + 1, lastJob, lastRunMs, endTimeMs, lastJobCreated);
    } else if (e instanceof JobScheduleEvent.JobStarted c) {
      return new JobScheduleRecord(spec, state, previousState, creationTimeMs, stateTransitionTimeMs,
          lastModifiedMs, version, c.n(), t, endTimeMs, false);
    } else if (e instanceof JobScheduleEvent.JobCreated) {
      return new JobScheduleRecord(spec, state, previousState, creationTimeMs, stateTransitionTimeMs,
          lastModifiedMs, version, lastJob, lastRunMs, endTimeMs, true);
    } else if (e instanceof JobScheduleEvent.RunSkipped c) {
      return new JobScheduleRecord(spec, state, previousState, creationTimeMs, stateTransitionTimeMs,
          lastModifiedMs, version, lastJob, c.dueMs(), endTimeMs, lastJobCreated);
    } else if (e instanceof JobScheduleEvent.ScheduleDisabled) {
      return moveTo(JobScheduleState.DISABLED, t, endTimeMs);
    } else if (e instanceof JobScheduleEvent.ScheduleEnabled) {
      return moveTo(JobScheduleState.ACTIVE, t, endTimeMs);
    } else if (e instanceof JobScheduleEvent.ScheduleCompleted) {
      return moveTo(JobScheduleState.COMPLETED, t, t);
    } else if (e instanceof JobScheduleEvent.ScheduleDeleted) {
      return EMPTY;
    }
    throw new IllegalArgumentException("unknown job schedule event " + e);
  }

  private JobScheduleRecord moveTo(JobScheduleState next, long t, long end) {
    return new JobScheduleRecord(spec, next, state, creationTimeMs, t, t, version + 1, lastJob, lastRunMs, end,
        lastJobCreated);
  }
}
