package io.batchgrid.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.CoordinatorMessage.TasksReport;

/** The batching and numbering of reports, with the sending replaced by a list. */
class ReportBookTest {
  private static final long SECOND = 1_000_000_000L;
  // Only for an ActorRef to route to; nothing is delivered through it.
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final ActorRef<CoordinatorMessage> JOB = testKit.<CoordinatorMessage>createTestProbe().ref();

  @AfterAll
  static void tearDown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void routes() {
    for (String job : List.of("job", "a", "b")) {
      book.route(job, JOB);
    }
  }

  private final List<TasksReport> sent = new ArrayList<>();
  private final ReportBook book = new ReportBook("pool", "node", null, (to, report) -> sent.add(report), 3 * SECOND);

  private static TaskOutcome ok(String taskId) {
    return new TaskOutcome(taskId, 1, 0, 1, 2, null);
  }

  @Test
  void oneReportPerJobInFlightAndTheRestBatched() {
    book.add("job", ok("t1"), 0);
    book.add("job", ok("t2"), 0);
    book.add("job", ok("t3"), 0);
    assertEquals(1, sent.size(), "t2 and t3 wait for the first report's acknowledgement");
    assertEquals(1, sent.get(0).seq());
    assertEquals(List.of("t1"), taskIds(sent.get(0)));

    assertTrue(book.accepted("job", 1, 0));
    assertEquals(2, sent.size());
    assertEquals(2, sent.get(1).seq());
    assertEquals(List.of("t2", "t3"), taskIds(sent.get(1)));

    assertTrue(book.accepted("job", 2, 0));
    assertEquals(2, sent.size(), "nothing waits");
    assertEquals(0, book.unacknowledged());

    book.add("job", ok("t4"), 0);
    assertEquals(3, sent.get(2).seq(), "numbers keep increasing after an idle spell");
  }

  @Test
  void jobsAreNumberedIndependently() {
    book.add("a", ok("t1"), 0);
    book.add("b", ok("t1"), 0);
    assertEquals(List.of(1L, 1L), sent.stream().map(TasksReport::seq).toList());
    assertEquals(List.of("a", "b"), sent.stream().map(TasksReport::jobId).toList());
  }

  @Test
  void resendsTheSameReportUntilAcknowledged() {
    book.add("job", ok("t1"), 0);
    book.add("job", ok("t2"), 0);
    book.resendDue(2 * SECOND);
    assertEquals(1, sent.size(), "not due yet");
    book.resendDue(3 * SECOND);
    assertEquals(2, sent.size());
    assertSame(sent.get(0), sent.get(1), "same seq, same outcomes");
    book.resendDue(5 * SECOND);
    assertEquals(2, sent.size(), "the resend restarted the clock");
    book.resendDue(6 * SECOND);
    assertEquals(3, sent.size());
  }

  @Test
  void staleAndUnknownAcknowledgementsAreIgnored() {
    book.add("job", ok("t1"), 0);
    book.add("job", ok("t2"), 0);
    assertFalse(book.accepted("job", 7, 0));
    assertFalse(book.accepted("other", 1, 0));
    assertEquals(1, sent.size());
    assertEquals(2, book.unacknowledged());
    assertTrue(book.accepted("job", 1, 0));
    assertFalse(book.accepted("job", 1, 0), "a duplicate acknowledgement");
    assertEquals(2, sent.size());
  }

  @Test
  void aReportWithoutRouteWaitsForOne() {
    book.add("unrouted", ok("t1"), 0);
    book.resendDue(10 * SECOND);
    assertEquals(0, sent.size());
    book.route("unrouted", JOB);
    book.resendDue(20 * SECOND);
    assertEquals(1, sent.size());
    assertEquals(1, sent.get(0).seq());
  }

  private static List<String> taskIds(TasksReport report) {
    return report.outcomes().stream().map(TaskOutcome::taskId).toList();
  }
}
