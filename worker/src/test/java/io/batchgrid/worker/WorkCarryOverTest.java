package io.batchgrid.worker;

import static io.batchgrid.worker.Launches.launch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.typesafe.config.ConfigFactory;

import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.CoordinatorMessage.RegisterNode;
import io.batchgrid.protocol.node.CoordinatorMessage.TasksReport;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.RunningTask;

/**
 * A worker process's node work outlives the agent's ActorSystem when its cluster membership ends
 * (DESIGN rule 4): the task keeps running, the unacknowledged outcome is kept, and the next agent,
 * in a new ActorSystem, registers both and reports them, numbered as before, to its new gateway.
 */
class WorkCarryOverTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path root;
  private final ExecutorService blocking = Executors.newFixedThreadPool(2);
  private ActorTestKit second;

  @AfterEach
  void stop() throws InterruptedException {
    if (second != null) {
      second.shutdownTestKit();
    }
    blocking.shutdownNow();
    blocking.awaitTermination(10, TimeUnit.SECONDS);
  }

  private static ActorTestKit system() {
    return ActorTestKit.create(ConfigFactory.parseString("""
        batchgrid.worker.register-interval = 500ms
        batchgrid.worker.report-resend-after = 600ms
        pekko.loglevel = WARNING
        """));
  }

  private static TestProbe<CoordinatorMessage> gateway(ActorTestKit kit) {
    TestProbe<CoordinatorMessage> gateway = kit.createTestProbe(CoordinatorMessage.class);
    TestProbe<Receptionist.Registered> registered = kit.createTestProbe(Receptionist.Registered.class);
    kit.system().receptionist().tell(Receptionist.register(CoordinatorMessage.GATEWAY_KEY, gateway.ref(), registered.ref()));
    registered.expectMessageClass(Receptionist.Registered.class);
    return gateway;
  }

  @Test
  void runningTasksAndUnacknowledgedOutcomesGoOnWithTheNextAgent() throws Exception {
    NodeConfig config = new NodeConfig("pool1", "node1", 2, root, "acct", null);
    NodeAgent.Work work = NodeAgent.Work.survivingMembership(blocking);
    Path gate = root.resolve("gate");

    ActorTestKit first = system();
    TestProbe<CoordinatorMessage> firstGateway = gateway(first);
    TestProbe<CoordinatorMessage> firstJobs = first.createTestProbe(CoordinatorMessage.class);
    ActorRef<NodeMessage> agent = first.spawn(NodeAgent.create(config, work));
    firstGateway.expectMessageClass(RegisterNode.class, WAIT);
    agent.tell(new NodeMessage.Registered("pool1", "node1"));
    agent.tell(new NodeMessage.RunTasks("pool1", "job1", List.of(
        launch("job1", "quick", 1, "true"),
        launch("job1", "long", 1, "/bin/sh -c 'while [ ! -e " + gate + " ]; do sleep 0.05; done'")), firstJobs.ref()));
    TasksReport unacknowledged = firstJobs.expectMessageClass(TasksReport.class, WAIT);
    assertEquals(1, unacknowledged.seq());
    assertEquals("quick", unacknowledged.outcomes().get(0).taskId());

    // The member is downed: the ActorSystem stops, the work does not.
    CoordinatedShutdown.get(first.system()).runAll(CoordinatedShutdown.clusterDowningReason())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    first.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(1, work.attempts(), "the long task still runs");
    assertEquals(1, work.unacknowledged(), "the quick task's outcome is kept");

    second = system();
    TestProbe<CoordinatorMessage> gateway = gateway(second);
    ActorRef<NodeMessage> next = second.spawn(NodeAgent.create(config, work));
    RegisterNode again = gateway.expectMessageClass(RegisterNode.class, WAIT);
    assertEquals(List.of("long"), again.running().stream().map(RunningTask::taskId).toList());
    assertEquals(List.of(new RunningTask("job1", "quick", 1, unacknowledged.outcomes().get(0).startTimeMs())),
        again.ended());

    // Registered: the kept report goes to the new gateway, same number, answered to the new agent.
    next.tell(new NodeMessage.Registered("pool1", "node1"));
    TasksReport resent = gateway.expectMessageClass(TasksReport.class, WAIT);
    assertEquals(1, resent.seq());
    assertEquals(unacknowledged.outcomes(), resent.outcomes());
    assertEquals(next, resent.replyTo());
    next.tell(new NodeMessage.ReportAccepted("job1", 1));

    // The task that ran across the handover ends and is reported by the new agent.
    Files.writeString(gate, "");
    TasksReport last = gateway.expectMessageClass(TasksReport.class, WAIT);
    assertEquals(2, last.seq());
    assertEquals("long", last.outcomes().get(0).taskId());
    assertEquals(Integer.valueOf(0), last.outcomes().get(0).exitCode());
    assertTrue(last.outcomes().get(0).failureInfo() == null, "it ended on its own, not killed");
  }
}
