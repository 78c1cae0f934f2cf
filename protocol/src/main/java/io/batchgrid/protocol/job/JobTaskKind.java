package io.batchgrid.protocol.job;

/** The job-level tasks that run once per node rather than once per job: preparation before, release after. */
public enum JobTaskKind {
  PREPARATION,
  RELEASE
}
