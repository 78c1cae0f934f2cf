package io.batchgrid.coordinator.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.batchgrid.coordinator.CoordinatorRole;
import io.batchgrid.coordinator.TestCluster;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.node.NodeProvider;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.schedule.JobScheduleEvent;
import io.batchgrid.protocol.schedule.JobScheduleRecord;
import io.batchgrid.protocol.schedule.JobScheduleState;
import io.batchgrid.protocol.spec.JobScheduleSpec;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.Schedule;

/** Job schedules creating jobs on their timers, one active job at a time. */
class JobScheduleTest {
  private static final Duration ASK = Duration.ofSeconds(10);
  private static final ActorTestKit testKit;

  static {
    try {
      testKit = ActorTestKit.create("JobScheduleTest", TestCluster.config(Files.createTempDirectory("snap")));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    TestCluster.join(testKit.system());
    CoordinatorRole.start(testKit.system(), new NodeProvider() {
      @Override
      public void start(String poolId, java.util.List<String> nodeIds, int taskSlots) {}

      @Override
      public void stop(String poolId, java.util.List<String> nodeIds) {}
    });
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static <T> T get(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(ASK.toSeconds(), TimeUnit.SECONDS);
  }

  private static JobSummary job(String id) throws Exception {
    return get(JobEntity.ref(testKit.system(), id).askWithStatus(JobEntity.Get::new, ASK));
  }

  private static boolean exists(String jobId) throws Exception {
    try {
      job(jobId);
      return true;
    } catch (ExecutionException e) {
      assertEquals(ErrorCode.JOB_NOT_FOUND, ((BatchException) e.getCause()).code());
      return false;
    }
  }

  @Test
  void nextRunTimesFollowTheRecurrenceAndStopAfterDoNotRunAfter() {
    JobScheduleSpec spec = JobScheduleSpec.newBuilder().setId("s")
        .setSchedule(Schedule.newBuilder().setDoNotRunUntilMs(10_000).setRecurrenceIntervalMs(1_000).setDoNotRunAfterMs(12_500))
        .build();
    JobScheduleRecord r = JobScheduleRecord.EMPTY.apply(new JobScheduleEvent.ScheduleCreated(spec, 5_000));
    assertEquals(10_000, r.nextRunMs());
    r = r.apply(new JobScheduleEvent.JobStarted(1, 10_400));
    assertEquals(11_000, r.nextRunMs());
    r = r.apply(new JobScheduleEvent.RunSkipped(11_000, 11_600));
    assertEquals(12_000, r.nextRunMs());
    r = r.apply(new JobScheduleEvent.JobStarted(2, 12_000));
    assertEquals(-1, r.nextRunMs(), "13 000 is after doNotRunAfter");
    assertEquals("s:job-2", r.jobId(2));
    r = r.apply(new JobScheduleEvent.ScheduleDisabled(12_100));
    assertEquals(JobScheduleState.DISABLED, r.state());
  }

  @Test
  void recurringRunsCreateJobsOneAfterAnother() throws Exception {
    var schedule = JobScheduleEntity.ref(testKit.system(), "every-second");
    get(schedule.<JobScheduleEntity.ScheduleView>askWithStatus(r -> new JobScheduleEntity.Create(
        JobScheduleSpec.newBuilder().setId("every-second")
            .setSchedule(Schedule.newBuilder().setRecurrenceIntervalMs(1_000))
            // A job without tasks that terminates when all its tasks are done completes at once.
            .setJobSpecification(JobSpec.newBuilder().setPoolId("nowhere").setOnAllTasksComplete("terminatejob"))
            .build(), r), ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(15), () -> {
      assertTrue(exists("every-second:job-3"));
      assertEquals(JobState.COMPLETED, job("every-second:job-1").state());
    });
    get(schedule.<Done>askWithStatus(JobScheduleEntity.Terminate::new, ASK));
    JobScheduleEntity.ScheduleView v = get(schedule.askWithStatus(JobScheduleEntity.Get::new, ASK));
    assertEquals(JobScheduleState.COMPLETED, v.record().state());
    assertEquals(-1, v.nextRunMs());
    long last = v.record().lastJob();
    assertEquals(false, exists("every-second:job-" + (last + 1)));
  }

  @Test
  void aRunWaitsForTheActiveJobAndIsSkippedAfterItsStartWindow() throws Exception {
    var schedule = JobScheduleEntity.ref(testKit.system(), "busy");
    get(schedule.<JobScheduleEntity.ScheduleView>askWithStatus(r -> new JobScheduleEntity.Create(
        JobScheduleSpec.newBuilder().setId("busy")
            .setSchedule(Schedule.newBuilder().setRecurrenceIntervalMs(1_000).setStartWindowMs(300))
            .setJobSpecification(JobSpec.newBuilder().setPoolId("nowhere"))
            .build(), r), ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(10), () -> {
      JobScheduleEntity.ScheduleView v = get(schedule.askWithStatus(JobScheduleEntity.Get::new, ASK));
      // job-1 stays active: later runs are skipped, never a second job beside it
      assertTrue(v.record().lastRunMs() - v.record().creationTimeMs() >= 2_000, "runs skipped: " + v);
      assertEquals(1, v.record().lastJob());
      assertEquals("busy:job-1", v.recentJobId());
    });
    assertEquals(false, exists("busy:job-2"));
    get(JobEntity.ref(testKit.system(), "busy:job-1").<Done>askWithStatus(r -> new JobEntity.Terminate(null, r), ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(10), () -> {
      assertTrue(exists("busy:job-2"));
    });
    get(schedule.<Done>askWithStatus(JobScheduleEntity.Delete::new, ASK));
    TestCluster.eventually(testKit, Duration.ofSeconds(10), () -> {
      assertEquals(false, exists("busy:job-2"));
    });
  }
}
