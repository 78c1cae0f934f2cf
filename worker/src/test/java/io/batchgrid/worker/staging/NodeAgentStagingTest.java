package io.batchgrid.worker.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.typesafe.config.ConfigFactory;

import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.CoordinatorMessage.TasksReport;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.ResourceFile;
import io.batchgrid.protocol.spec.TaskSpec;
import io.batchgrid.worker.NodeAgent;
import io.batchgrid.worker.NodeConfig;

/** The node agent takes the account's linked storage from the actor system's config. */
class NodeAgentStagingTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static Azurite azurite;

  @TempDir Path root;

  @BeforeAll
  static void start() throws Exception {
    azurite = Azurite.start();
    azurite.createContainer("linked");
    azurite.putBlob("linked", "input.txt", "from the linked storage\n");
  }

  @AfterAll
  static void stop() {
    if (azurite != null) {
      azurite.close();
    }
  }

  private TaskOutcome runOnAgent(String config) {
    ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(config)
        .withFallback(ConfigFactory.parseString("pekko.loglevel = WARNING")));
    try {
      TestProbe<CoordinatorMessage> jobs = testKit.createTestProbe(CoordinatorMessage.class);
      ActorRef<NodeMessage> agent = testKit.spawn(NodeAgent.create(new NodeConfig("pool1", "node1", 1, root, "acct", null)));
      TaskSpec spec = TaskSpec.newBuilder().setId("t1").setCommandLine("cat input.txt")
          .addResourceFiles(ResourceFile.newBuilder().setAutoStorageContainerName("linked")).build();
      agent.tell(new NodeMessage.RunTasks("pool1", "job1", List.of(new TaskLaunch("job1", "t1", 1, spec, List.of())), jobs.ref()));
      TasksReport report = jobs.expectMessageClass(TasksReport.class, WAIT);
      return report.outcomes().get(0);
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void autoStorageFromTheSystemConfig() throws Exception {
    TaskOutcome outcome = runOnAgent("batchgrid.auto-storage { url = \"" + azurite.serviceUrl()
        + "\", sas = \"" + Azurite.sas("rl") + "\" }");
    assertNull(outcome.failureInfo());
    assertEquals(0, outcome.exitCode());
    assertEquals("from the linked storage\n",
        Files.readString(root.resolve("workitems/job1/job-1/t1/stdout.txt")));
  }

  @Test
  void withoutLinkedStorageTheTaskFailsBeforeRunning() {
    TaskOutcome outcome = runOnAgent("batchgrid.auto-storage.url = \"\"");
    assertNull(outcome.exitCode());
    assertEquals("AutoStorageNotConfigured", outcome.failureInfo().code());
  }
}
