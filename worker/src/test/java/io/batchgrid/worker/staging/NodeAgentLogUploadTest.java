package io.batchgrid.worker.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.typesafe.config.ConfigFactory;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeMessage.UploadedLogs;
import io.batchgrid.worker.NodeAgent;
import io.batchgrid.worker.NodeConfig;

/**
 * ComputeNode_UploadBatchServiceLogs on a real node agent against a real Azurite: the agent's own
 * files in the time range arrive as blobs under {@code <pool>/<node>/<uuid>/}, the others do not,
 * and a container the SAS cannot write to is an InvalidPropertyValue naming what Storage answered.
 */
class NodeAgentLogUploadTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final long HOUR = 3_600_000L;
  private static Azurite azurite;
  private static ActorTestKit testKit;

  @TempDir Path root;
  private ActorRef<NodeMessage> agent;

  @BeforeAll
  static void start() throws Exception {
    azurite = Azurite.start();
    azurite.createContainer("logs");
    testKit = ActorTestKit.create(ConfigFactory.parseString("pekko.loglevel = WARNING"));
  }

  @AfterAll
  static void stop() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
    if (azurite != null) {
      azurite.close();
    }
  }

  @BeforeEach
  void agentWithLogs() throws Exception {
    Files.writeString(root.resolve("agent.log"), "worker started\nregistered\n");
    Files.writeString(root.resolve("agent.pid"), "4242\n");
    Path old = Files.writeString(root.resolve("agent.log.1"), "last week\n");
    Files.setLastModifiedTime(old, FileTime.fromMillis(System.currentTimeMillis() - 7 * 24 * HOUR));
    Files.createDirectories(root.resolve("workitems/job1/job-1/t1"));
    Files.writeString(root.resolve("workitems/job1/job-1/t1/stdout.txt"), "a task's output is not a service log\n");
    agent = testKit.spawn(NodeAgent.create(new NodeConfig("pool1", "node1", 1, root, "acct", null)));
  }

  private StatusReply<UploadedLogs> upload(String containerUrl, long startMs, Long endMs) {
    TestProbe<StatusReply<UploadedLogs>> reply = testKit.createTestProbe();
    agent.tell(new NodeMessage.UploadLogs(containerUrl, startMs, endMs, reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  @Test
  void theAgentFilesOfTheRangeArriveUnderTheirOwnDirectory() throws Exception {
    long now = System.currentTimeMillis();
    StatusReply<UploadedLogs> reply = upload(azurite.containerUrl("logs", Azurite.fullSas()), now - HOUR, null);
    assertTrue(reply.isSuccess(), () -> "failed: " + reply.getError());
    UploadedLogs uploaded = reply.getValue();
    assertTrue(uploaded.virtualDirectoryName().matches("pool1/node1/[0-9a-f-]{36}/"), uploaded.virtualDirectoryName());
    assertEquals(2, uploaded.numberOfFilesUploaded());

    String dir = uploaded.virtualDirectoryName();
    List<String> blobs = BlobTransfer.create(Duration.ofMillis(10), 0)
        .listBlobs(ContainerUrl.parse(azurite.containerUrl("logs", Azurite.fullSas())), dir);
    assertEquals(List.of(dir + "agent.log", dir + "agent.pid"), blobs.stream().sorted().toList());
    assertEquals("worker started\nregistered\n", azurite.getBlob("logs", dir + "agent.log").body());
    assertEquals("4242\n", azurite.getBlob("logs", dir + "agent.pid").body());

    // A second upload goes to a directory of its own, and a range that ended before the files were
    // written uploads none of them.
    StatusReply<UploadedLogs> before = upload(azurite.containerUrl("logs", Azurite.fullSas()), now - 30 * 24 * HOUR,
        now - 24 * HOUR);
    assertTrue(before.isSuccess(), () -> "failed: " + before.getError());
    assertEquals(0, before.getValue().numberOfFilesUploaded());
    assertTrue(!before.getValue().virtualDirectoryName().equals(dir));
  }

  @Test
  void aContainerTheSasCannotWriteIsAnInvalidContainerUrl() {
    StatusReply<UploadedLogs> reply = upload(azurite.containerUrl("logs", Azurite.sas("rl")),
        System.currentTimeMillis() - HOUR, null);
    BatchException e = (BatchException) reply.getError();
    assertEquals(ErrorCode.INVALID_PROPERTY_VALUE, e.code());
    assertEquals("containerUrl", e.values().get("PropertyName"));
    assertTrue(e.values().get("Reason").contains("HTTP 403"), e.values().toString());
    assertTrue(!e.values().get("PropertyValue").contains(Azurite.sas("rl").replaceAll(".*sig=", "")),
        "the SAS signature is hidden: " + e.values());

    StatusReply<UploadedLogs> missing = upload(azurite.containerUrl("nosuchcontainer", Azurite.fullSas()),
        System.currentTimeMillis() - HOUR, null);
    assertTrue(((BatchException) missing.getError()).values().get("Reason").contains("HTTP 404"),
        ((BatchException) missing.getError()).values().toString());

    StatusReply<UploadedLogs> notHttp = upload("ftp://example.com/logs", System.currentTimeMillis() - HOUR, null);
    assertEquals(ErrorCode.INVALID_PROPERTY_VALUE, ((BatchException) notHttp.getError()).code());
  }
}
