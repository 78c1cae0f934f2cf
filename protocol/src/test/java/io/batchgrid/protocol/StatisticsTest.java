package io.batchgrid.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.job.Statistics;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.spec.TaskSpec;

/** Task and job statistics from the task records: wall clock, wait time, outcomes and retries. */
class StatisticsTest {
  private static TaskRecord task(TaskState state, long created, long started, long ended, Integer exitCode, int retries) {
    return new TaskRecord(TaskSpec.newBuilder().setId("t" + created).setCommandLine("x").build(), state, null, created,
        created, 0, created, 1, 1, retries, 0, null, null, started, ended, exitCode,
        exitCode == null || exitCode == 0 ? null : FailureInfo.user("FailureExitCode", "exit " + exitCode), 0, 0);
  }

  @Test
  void aTaskCountsItsLatestAttempt() {
    Statistics done = Statistics.ofTask(task(TaskState.COMPLETED, 1_000, 4_000, 9_000, 0, 0), 20_000);
    assertEquals(5_000, done.wallClockMs());
    assertEquals(3_000, done.waitMs());
    assertEquals(1_000, done.startTimeMs());
    assertEquals(20_000, done.lastUpdateTimeMs());

    Statistics running = Statistics.ofTask(task(TaskState.RUNNING, 1_000, 4_000, 0, null, 1), 10_000);
    assertEquals(6_000, running.wallClockMs(), "to now while it runs");
    assertEquals(3_000, running.waitMs());
    assertEquals(1, running.taskRetries());

    Statistics waiting = Statistics.ofTask(task(TaskState.ACTIVE, 1_000, 0, 0, null, 0), 10_000);
    assertEquals(0, waiting.wallClockMs());
    assertEquals(9_000, waiting.waitMs(), "to now while it waits");
  }

  @Test
  void aJobSumsItsTasks() {
    List<TaskRecord> tasks = List.of(
        task(TaskState.COMPLETED, 1_000, 2_000, 3_000, 0, 0),
        task(TaskState.COMPLETED, 1_000, 2_000, 5_000, 1, 2),
        task(TaskState.RUNNING, 1_000, 4_000, 0, null, 0),
        task(TaskState.ACTIVE, 1_000, 0, 0, null, 0));
    Statistics job = Statistics.ofJob(500, tasks, 6_000);
    assertEquals(1, job.succeededTasks());
    assertEquals(1, job.failedTasks());
    assertEquals(2, job.taskRetries());
    assertEquals(1_000 + 3_000 + 2_000, job.wallClockMs());
    assertEquals(1_000 + 1_000 + 3_000 + 5_000, job.waitMs());
    assertEquals(500, job.startTimeMs());
    assertEquals(Statistics.empty(500, 6_000), Statistics.ofJob(500, List.of(), 6_000));
  }
}
