package io.batchgrid.worker;

import static io.batchgrid.worker.Launches.launch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.typesafe.config.ConfigFactory;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.CoordinatorMessage.RegisterNode;
import io.batchgrid.protocol.node.CoordinatorMessage.TasksReport;
import io.batchgrid.protocol.node.NodeFile;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeMessage.FileContent;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.NodeStatus;
import io.batchgrid.protocol.node.TaskLaunch;

class NodeAgentTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path root;
  // A system per test: each test registers its own gateway, and the agent must see only that one.
  private ActorTestKit testKit;
  private TestProbe<CoordinatorMessage> gateway;
  private TestProbe<CoordinatorMessage> jobs;
  private ActorRef<NodeMessage> agent;

  @BeforeEach
  void start() {
    testKit = ActorTestKit.create(ConfigFactory.parseString("""
        batchgrid.worker.register-interval = 500ms
        batchgrid.worker.report-resend-after = 600ms
        pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
        pekko.loglevel = WARNING
        """));
    gateway = testKit.createTestProbe(CoordinatorMessage.class);
    jobs = testKit.createTestProbe(CoordinatorMessage.class);
    TestProbe<Receptionist.Registered> registered = testKit.createTestProbe(Receptionist.Registered.class);
    testKit.system().receptionist().tell(
        Receptionist.register(CoordinatorMessage.GATEWAY_KEY, gateway.ref(), registered.ref()));
    registered.expectMessageClass(Receptionist.Registered.class);
    agent = testKit.spawn(NodeAgent.create(new NodeConfig("pool1", "node1", 2, root, "acct", null)));
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  /** Registers the node as the gateway would. */
  private void registerNode() {
    gateway.expectMessageClass(RegisterNode.class, WAIT);
    agent.tell(new NodeMessage.Registered("pool1", "node1"));
  }

  private void run(String jobId, TaskLaunch... launches) {
    agent.tell(new NodeMessage.RunTasks("pool1", jobId, List.of(launches), jobs.ref()));
  }

  private TasksReport nextReport() {
    return jobs.expectMessageClass(TasksReport.class, WAIT);
  }

  private NodeStatus status() {
    TestProbe<NodeStatus> probe = testKit.createTestProbe(NodeStatus.class);
    agent.tell(new NodeMessage.GetStatus(probe.ref()));
    return probe.receiveMessage();
  }

  @Test
  void aJobPreparationTaskRunsBesideFullSlotsAndTheJobsTasksFindItsDirectory() throws Exception {
    registerNode();
    // Both slots busy: the preparation task still starts, as it takes no slot.
    run("job1", launch("job1", "busy1", 1, "sleep 60"), launch("job1", "busy2", 1, "sleep 60"));
    agent.tell(new NodeMessage.RunJobTask("pool1", "job1", new TaskLaunch("job1", "jobpreparation", 1,
        Launches.spec("jobpreparation", "sh -c \"echo prepared > ready.txt\"").build(), List.of(), "jobpreparation"),
        jobs.ref()));
    // Delivered twice (a resend): it runs once.
    agent.tell(new NodeMessage.RunJobTask("pool1", "job1", new TaskLaunch("job1", "jobpreparation", 1,
        Launches.spec("jobpreparation", "sh -c \"echo again >> ready.txt\"").build(), List.of(), "jobpreparation"),
        jobs.ref()));
    TasksReport report = nextReport();
    assertEquals(List.of("jobpreparation"), report.outcomes().stream().map(TaskOutcome::taskId).toList());
    assertEquals(0, report.outcomes().get(0).exitCode());
    agent.tell(new NodeMessage.ReportAccepted("job1", report.seq()));
    Path prepWd = root.resolve("workitems/job1/job-1/jobpreparation/wd");
    assertEquals("prepared\n", java.nio.file.Files.readString(prepWd.resolve("ready.txt")));
    NodeStatus status = status();
    assertEquals(0, status.totalTasksRun(), "a preparation task is not one of the node's tasks run");
    assertEquals(Set.of("busy1", "busy2"), new HashSet<>(status.running().stream().map(r -> r.taskId()).toList()));

    agent.tell(new NodeMessage.TerminateTask("job1", "busy1", 1));
    run("job1", new TaskLaunch("job1", "reader", 1, Launches.spec("reader",
        "sh -c \"cat $AZ_BATCH_JOB_PREP_WORKING_DIR/ready.txt > seen.txt; echo $AZ_BATCH_JOB_PREP_DIR >> seen.txt\"").build(),
        List.of(), "jobpreparation"));
    Path seen = root.resolve("workitems/job1/job-1/reader/wd/seen.txt");
    Set<String> ended = new HashSet<>();
    while (!ended.contains("reader")) {
      TasksReport r = nextReport();
      r.outcomes().forEach(o -> ended.add(o.taskId()));
      agent.tell(new NodeMessage.ReportAccepted("job1", r.seq()));
    }
    assertEquals(List.of("prepared", root.resolve("workitems/job1/job-1/jobpreparation").toString()),
        java.nio.file.Files.readAllLines(seen));
  }

  @Test
  void registersRepeatedlyUntilTheGatewayAnswers() {
    RegisterNode first = gateway.expectMessageClass(RegisterNode.class, WAIT);
    assertEquals("pool1", first.poolId());
    assertEquals("node1", first.nodeId());
    assertEquals(2, first.taskSlots());
    assertEquals(agent, first.agent());
    assertTrue(first.running().isEmpty());
    gateway.expectMessageClass(RegisterNode.class, Duration.ofSeconds(2));

    // Answered right after a RegisterNode, long before the next one is due: no more follow.
    agent.tell(new NodeMessage.Registered("pool1", "node1"));
    gateway.expectNoMessage(Duration.ofMillis(1200));
  }

  @Test
  void registersAgainWithANewGatewayTellingWhatRuns() {
    registerNode();
    run("job1", launch("job1", "long", 1, "sleep 60"));
    TestProbe<CoordinatorMessage> successor = testKit.createTestProbe(CoordinatorMessage.class);
    testKit.system().receptionist().tell(Receptionist.register(CoordinatorMessage.GATEWAY_KEY, successor.ref()));
    gateway.stop();

    RegisterNode again = successor.expectMessageClass(RegisterNode.class, WAIT);
    assertEquals(1, again.running().size());
    assertEquals("long", again.running().get(0).taskId());
  }

  @Test
  void registersAgainWhenThePoolEntityStopsOrAsksTellingWhatRuns() {
    gateway.expectMessageClass(RegisterNode.class, WAIT);
    TestProbe<Object> pool = testKit.createTestProbe();
    agent.tell(new NodeMessage.Registered("pool1", "node1", null, List.of(), pool.ref()));
    run("job1", launch("job1", "long", 1, "sleep 60"));
    gateway.expectNoMessage(Duration.ofMillis(700));

    // The pool's entity stops (its coordinator died, or it moved): the node registers again, through
    // the same gateway, with what it runs, until a pool answers.
    pool.stop();
    RegisterNode again = gateway.expectMessageClass(RegisterNode.class, WAIT);
    assertEquals(List.of("long"), again.running().stream().map(t -> t.taskId()).toList());
    gateway.expectMessageClass(RegisterNode.class, WAIT);
    TestProbe<Object> moved = testKit.createTestProbe();
    agent.tell(new NodeMessage.Registered("pool1", "node1", null, List.of(), moved.ref()));
    gateway.expectNoMessage(Duration.ofMillis(1200));

    // A pool that knows the node asks it to say again what it runs (a job restarted).
    agent.tell(new NodeMessage.RegisterAgain());
    assertEquals(List.of("long"), gateway.expectMessageClass(RegisterNode.class, WAIT).running().stream()
        .map(t -> t.taskId()).toList());
  }

  @Test
  void runsTwentyTasksInTwoSlotsAndReportsThemInBatches() throws Exception {
    registerNode();
    TaskLaunch[] launches = IntStream.rangeClosed(1, 20)
        .mapToObj(i -> launch("job1", "t" + i, 1, "echo task " + i))
        .toArray(TaskLaunch[]::new);
    run("job1", launches);

    TasksReport first = nextReport();
    assertEquals(1, first.seq());
    assertEquals("job1", first.jobId());
    assertEquals("node1", first.nodeId());
    assertEquals(agent, first.replyTo());

    // While the first report is not acknowledged, everything else piles up for the second.
    jobs.awaitAssert(WAIT, () -> {
      NodeStatus status = status();
      assertTrue(status.runningTaskSlots() <= 2, "never more than the node's slots");
      assertEquals(20, status.totalTasksRun());
      return null;
    });
    agent.tell(new NodeMessage.ReportAccepted("job1", 1));
    // The first report may have been resent while the tasks ran (a slow machine); those resends
    // are the same report, and the acknowledgement ends them.
    TasksReport second = nextReport();
    while (second.seq() == 1) {
      assertEquals(first.outcomes(), second.outcomes(), "a resend repeats the report unchanged");
      second = nextReport();
    }
    assertEquals(2, second.seq());
    assertEquals(20, first.outcomes().size() + second.outcomes().size());
    agent.tell(new NodeMessage.ReportAccepted("job1", 2));

    Set<String> reported = new HashSet<>();
    for (TasksReport report : List.of(first, second)) {
      for (TaskOutcome o : report.outcomes()) {
        assertTrue(o.succeeded(), o::toString);
        reported.add(o.taskId());
      }
    }
    assertEquals(20, reported.size());
    NodeStatus status = status();
    assertEquals(NodeState.IDLE, status.state());
    assertEquals(20, status.totalTasksSucceeded());
    assertEquals(0, status.runningTaskSlots());
    jobs.expectNoMessage(Duration.ofMillis(800)); // acknowledged: nothing is resent

    String stdout = readAll(readFile("workitems/job1/job-1/t7/stdout.txt", 0, -1));
    assertEquals("task 7\n", stdout);
  }

  @Test
  void resendsAnUnacknowledgedReportAndIgnoresAStaleAcknowledgement() {
    registerNode();
    run("job1", launch("job1", "a", 1, "true"));
    TasksReport report = nextReport();
    TasksReport resent = nextReport();
    assertEquals(report.seq(), resent.seq());
    assertEquals(report.outcomes(), resent.outcomes());

    agent.tell(new NodeMessage.ReportAccepted("job1", report.seq() + 5));
    assertEquals(report.seq(), nextReport().seq(), "a stale acknowledgement does not stop the resends");

    // Acknowledged right after a resend, long before the next one is due: no more follow.
    agent.tell(new NodeMessage.ReportAccepted("job1", report.seq()));
    jobs.expectNoMessage(Duration.ofMillis(1500));

    run("job1", launch("job1", "b", 1, "false"));
    TasksReport next = nextReport();
    assertEquals(report.seq() + 1, next.seq());
    assertEquals(1, next.outcomes().get(0).exitCode());
  }

  @Test
  void queuesWhatDoesNotFitAndStartsItWhenSlotsFree() {
    registerNode();
    run("job1", launch("job1", "w1", 1, "sleep 60"), launch("job1", "w2", 1, "sleep 60"),
        launch("job1", "w3", 1, "true"));
    jobs.awaitAssert(WAIT, () -> {
      NodeStatus status = status();
      assertEquals(2, status.running().size());
      assertEquals(2, status.runningTaskSlots());
      assertEquals(NodeState.RUNNING, status.state());
      return null;
    });
    jobs.expectNoMessage(Duration.ofMillis(300)); // w3 waits for a slot

    agent.tell(new NodeMessage.TerminateTask("job1", "w1", 1));
    agent.tell(new NodeMessage.TerminateTask("job1", "w2", 7)); // not a running attempt: ignored
    List<TaskOutcome> outcomes = new ArrayList<>();
    while (outcomes.size() < 2) {
      TasksReport report = nextReport();
      outcomes.addAll(report.outcomes());
      agent.tell(new NodeMessage.ReportAccepted("job1", report.seq()));
    }
    TaskOutcome w1 = outcomes.stream().filter(o -> o.taskId().equals("w1")).findFirst().orElseThrow();
    assertEquals("TaskEnded", w1.failureInfo().code());
    TaskOutcome w3 = outcomes.stream().filter(o -> o.taskId().equals("w3")).findFirst().orElseThrow();
    assertTrue(w3.succeeded());
    assertEquals(List.of("w2"), status().running().stream().map(r -> r.taskId()).toList());
  }

  @Test
  void listsAndReadsTheNodesFiles() throws Exception {
    registerNode();
    run("job1", launch("job1", "f", 1, "printf 0123456789"));
    agent.tell(new NodeMessage.ReportAccepted("job1", nextReport().seq()));

    TestProbe<StatusReply<List<NodeFile>>> listing = testKit.createTestProbe();
    agent.tell(new NodeMessage.ListFiles("workitems/job1/job-1/f", false, listing.ref()));
    List<NodeFile> files = listing.receiveMessage().getValue();
    assertEquals(List.of("stderr.txt", "stdout.txt", "wd"), files.stream().map(NodeFile::name).toList());
    assertEquals(10, files.get(1).size());

    agent.tell(new NodeMessage.ListFiles("", true, listing.ref()));
    assertTrue(listing.receiveMessage().getValue().stream()
        .anyMatch(f -> f.name().equals("workitems/job1/job-1/f/stdout.txt")));

    agent.tell(new NodeMessage.ListFiles("workitems/job1/job-1/f/stdout.txt", false, listing.ref()));
    assertEquals(List.of("stdout.txt"), listing.receiveMessage().getValue().stream().map(NodeFile::name).toList());

    agent.tell(new NodeMessage.ListFiles("../etc", false, listing.ref()));
    assertError(ErrorCode.INVALID_PROPERTY_VALUE, listing.receiveMessage());
    agent.tell(new NodeMessage.ListFiles("workitems/nope", false, listing.ref()));
    assertError(ErrorCode.FILE_NOT_FOUND, listing.receiveMessage());

    FileContent whole = readFile("workitems/job1/job-1/f/stdout.txt", 0, -1);
    assertEquals("stdout.txt", whole.file().name());
    assertEquals(10, whole.file().size());
    assertEquals("0123456789", readAll(whole));
    assertEquals("345", readAll(readFile("workitems/job1/job-1/f/stdout.txt", 3, 3)));
    assertEquals("89", readAll(readFile("workitems/job1/job-1/f/stdout.txt", 8, 100)));

    TestProbe<StatusReply<FileContent>> read = testKit.createTestProbe();
    agent.tell(new NodeMessage.ReadFile("workitems/job1/job-1/f/missing.txt", 0, -1, read.ref()));
    assertError(ErrorCode.FILE_NOT_FOUND, read.receiveMessage());
  }

  @Test
  void retireKillsWhatRunsAndStops() {
    registerNode();
    run("job1", launch("job1", "r", 1, "sh -c 'sleep 60' retire-test"));
    List<ProcessHandle> tree = new ArrayList<>();
    jobs.awaitAssert(WAIT, () -> {
      tree.clear();
      ProcessHandle.current().children()
          .filter(p -> p.info().arguments().map(a -> List.of(a).contains("retire-test")).orElse(false))
          .forEach(tree::add);
      assertFalse(tree.isEmpty());
      return null;
    });

    agent.tell(new NodeMessage.Retire());
    TestProbe<Object> watcher = testKit.createTestProbe();
    watcher.expectTerminated(agent, WAIT);
    jobs.awaitAssert(WAIT, () -> {
      tree.forEach(p -> assertFalse(p.isAlive()));
      return null;
    });
  }

  private FileContent readFile(String path, long offset, long length) {
    TestProbe<StatusReply<FileContent>> probe = testKit.createTestProbe();
    agent.tell(new NodeMessage.ReadFile(path, offset, length, probe.ref()));
    return probe.receiveMessage().getValue();
  }

  private String readAll(FileContent content) throws Exception {
    return content.data().getSource()
        .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), testKit.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS).utf8String();
  }

  private static void assertError(ErrorCode code, StatusReply<?> reply) {
    assertTrue(reply.isError(), "expected an error");
    BatchException e = assertInstanceOf(BatchException.class, reply.getError());
    assertEquals(code, e.code());
  }

  @Test
  void aTasksDirectoryGoesAfterItsRetentionTimeAndItsFilesAreThenUnavailable() throws Exception {
    registerNode();
    TaskLaunch shortLived = new TaskLaunch("job1", "short", 1, Launches.spec("short", "echo bye")
        .setConstraints(io.batchgrid.protocol.spec.TaskConstraints.newBuilder().setRetentionTimeMs(300)).build(), List.of());
    TaskLaunch kept = launch("job1", "kept", 1, "echo stay"); // Azure's default: 7 days
    run("job1", shortLived, kept);
    TasksReport report = nextReport();
    agent.tell(new NodeMessage.ReportAccepted("job1", report.seq()));
    Path shortDir = root.resolve("workitems/job1/job-1/short");
    jobs.awaitAssert(WAIT, () -> {
      assertFalse(java.nio.file.Files.exists(shortDir), "removed after its retention time");
      return null;
    });
    assertTrue(java.nio.file.Files.exists(root.resolve("workitems/job1/job-1/kept/stdout.txt")));

    TestProbe<org.apache.pekko.pattern.StatusReply<List<io.batchgrid.protocol.node.NodeFile>>> listed =
        testKit.createTestProbe();
    agent.tell(new NodeMessage.ListFiles("workitems/job1/job-1/short", true, listed.ref()));
    io.batchgrid.protocol.BatchException gone = assertInstanceOf(io.batchgrid.protocol.BatchException.class,
        listed.receiveMessage(WAIT).getError());
    assertEquals(io.batchgrid.protocol.ErrorCode.TASK_FILES_UNAVAILABLE, gone.code());
    TestProbe<org.apache.pekko.pattern.StatusReply<NodeMessage.FileContent>> read = testKit.createTestProbe();
    agent.tell(new NodeMessage.ReadFile("workitems/job1/job-1/short/stdout.txt", 0, -1, read.ref()));
    assertEquals(io.batchgrid.protocol.ErrorCode.TASK_FILES_UNAVAILABLE,
        ((io.batchgrid.protocol.BatchException) read.receiveMessage(WAIT).getError()).code());
    agent.tell(new NodeMessage.ListFiles("workitems/job1/job-1/never-ran", true, listed.ref()));
    assertEquals(io.batchgrid.protocol.ErrorCode.FILE_NOT_FOUND,
        ((io.batchgrid.protocol.BatchException) listed.receiveMessage(WAIT).getError()).code());
  }

  @Test
  void aDeadlineThatPassedWhileTheWorkerWasDownIsActedOnAtStart() throws Exception {
    // What an earlier incarnation left: a finished task whose deadline has passed, one still to come.
    Path old = java.nio.file.Files.createDirectories(root.resolve("workitems/job9/job-1/old/wd"));
    Path later = java.nio.file.Files.createDirectories(root.resolve("workitems/job9/job-1/later/wd"));
    Retention retention = new Retention(root);
    retention.retain("job9", "old", System.currentTimeMillis() - 1000);
    retention.retain("job9", "later", System.currentTimeMillis() + 3_600_000);
    testKit.spawn(NodeAgent.create(new NodeConfig("pool1", "node2", 1, root, "acct", null)));
    // The directory goes first, then the marker says so: wait for both.
    jobs.awaitAssert(WAIT, () -> {
      assertFalse(java.nio.file.Files.exists(old.getParent()), "swept at start");
      assertTrue(retention.removed("job9", "old"), "recorded as removed");
      return null;
    });
    assertTrue(java.nio.file.Files.exists(later));
    assertFalse(retention.removed("job9", "later"));
  }
}
