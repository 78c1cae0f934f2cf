package io.batchgrid.protocol.schedule;

import io.batchgrid.protocol.spec.JobScheduleSpec;

/** What happened to a job schedule; persisted as {@code JobScheduleEventP}. */
public sealed interface JobScheduleEvent {
  long timeMs();

  record ScheduleCreated(JobScheduleSpec spec, long timeMs) implements JobScheduleEvent {}

  record ScheduleUpdated(JobScheduleSpec spec, long timeMs) implements JobScheduleEvent {}

  /**
   * Run {@code n} is due and its job {@code <id>:job-<n>} is being created. Persisted before the job
   * is created, so a crash in between creates it on recovery instead of skipping or doubling the run.
   */
  record JobStarted(long n, long timeMs) implements JobScheduleEvent {}

  /** Run {@code n}'s job was created: after a restart it is not created again. */
  record JobCreated(long n, long timeMs) implements JobScheduleEvent {}

  /** The run due at {@code dueMs} could not start within its startWindow (the previous job still ran): skipped. */
  record RunSkipped(long dueMs, long timeMs) implements JobScheduleEvent {}

  record ScheduleDisabled(long timeMs) implements JobScheduleEvent {}

  record ScheduleEnabled(long timeMs) implements JobScheduleEvent {}

  /** No more runs: terminated by a user (reason empty) or past doNotRunAfter. */
  record ScheduleCompleted(String reason, long timeMs) implements JobScheduleEvent {}

  record ScheduleDeleted(long timeMs) implements JobScheduleEvent {}
}
