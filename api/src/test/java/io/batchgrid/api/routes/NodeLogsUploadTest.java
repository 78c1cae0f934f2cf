package io.batchgrid.api.routes;

import static io.batchgrid.api.routes.ApiServerTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

import org.joda.time.DateTime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.UploadBatchServiceLogsResult;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;

import io.batchgrid.coordinator.node.InProcessNodeProvider;

/**
 * uploadbatchservicelogs through the route to a real in-process node's agent, with the SDK and raw
 * requests: the answer's shape, and the errors (no such node, a container that cannot be reached,
 * an end before the start). The upload of files to real Blob storage is NodeAgentLogUploadTest's.
 */
class NodeLogsUploadTest {
  static final String V = "api-version=2024-07-01.20.0";
  static final String POOL = "logs-pool";
  static TestServer server;
  static BatchClient client;
  static Path nodesDir;
  static String nodeId;

  @BeforeAll
  static void start() throws Exception {
    nodesDir = Files.createTempDirectory("batchgrid-logs-nodes");
    server = new TestServer(system -> InProcessNodeProvider.start(system, nodesDir, TestServer.ACCOUNT, null));
    client = BatchClient.open(new BatchSharedKeyCredentials(server.baseUrl, TestServer.ACCOUNT,
        Base64.getEncoder().encodeToString(TestServer.KEY)));
    client.poolOperations().createPool(POOL, "local", new VirtualMachineConfiguration()
        .withImageReference(new ImageReference().withPublisher("p").withOffer("o").withSku("s"))
        .withNodeAgentSKUId("batch.node.ubuntu 22.04"), 1);
    nodeId = server.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      ComputeNode n = client.computeNodeOperations().listComputeNodes(POOL).get(0);
      assertEquals(ComputeNodeState.IDLE, n.state());
      return n.id();
    });
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** The Azure error shape with this status and code (ApiServerTest.assertError checks the rest of it). */
  private static JsonNode assertError(SignedClient.Reply r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertEquals(code, r.json().get("code").textValue(), r.text());
    assertTrue(r.json().at("/message/value").isTextual(), r.text());
    return r.json();
  }

  private static String body(String containerUrl, String start, String end) {
    return "{\"containerUrl\": \"" + containerUrl + "\", \"startTime\": \"" + start + "\""
        + (end == null ? "" : ", \"endTime\": \"" + end + "\"") + "}";
  }

  private static String path(String node) {
    return "/pools/" + POOL + "/nodes/" + node + "/uploadbatchservicelogs?" + V;
  }

  @Test
  @Timeout(120)
  void theNodeAnswersWhereItsLogsWentAndHowMany() throws Exception {
    // An in-process node logs to the server's log: it has no agent.* files, so it uploads none (and
    // so never contacts the container).
    UploadBatchServiceLogsResult result = client.computeNodeOperations().uploadBatchServiceLogs(POOL, nodeId,
        "https://nowhere.invalid/logs?sv=2021-08-06&sig=secret", DateTime.now().minusHours(1));
    assertTrue(result.virtualDirectoryName().matches(POOL + "/" + nodeId + "/[0-9a-f-]{36}/"),
        result.virtualDirectoryName());
    assertEquals(0, result.numberOfFilesUploaded());

    SignedClient.Reply raw = server.client().send("POST", path(nodeId),
        body("https://nowhere.invalid/logs", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"));
    assertEquals(200, raw.status(), raw.text());
    assertEquals(0, raw.json().get("numberOfFilesUploaded").intValue());
    assertTrue(raw.json().get("virtualDirectoryName").textValue().startsWith(POOL + "/" + nodeId + "/"));
  }

  @Test
  @Timeout(120)
  void aContainerThatCannotBeReachedIsAnInvalidContainerUrlWithItsSasHidden() throws Exception {
    // Files to upload make the node go to the container: nothing listens on port 1.
    Path log = Files.createDirectories(nodesDir.resolve(nodeId)).resolve("agent.log");
    Files.writeString(log, "a line\n");
    try {
      SignedClient.Reply r = server.client().send("POST", path(nodeId),
          body("http://127.0.0.1:1/devstoreaccount1/logs?sv=2021-08-06&sig=topsecret", "2024-01-01T00:00:00Z", null));
      JsonNode e = assertError(r, 400, "InvalidPropertyValue");
      assertEquals("containerUrl", value(e, "PropertyName"));
      assertTrue(value(e, "Reason").contains("agent.log"), value(e, "Reason"));
      assertFalse(r.text().contains("topsecret"), r.text());

      JsonNode notHttp = assertError(server.client().send("POST", path(nodeId),
          body("ftp://example.com/logs", "2024-01-01T00:00:00Z", null)), 400, "InvalidPropertyValue");
      assertEquals("containerUrl", value(notHttp, "PropertyName"));
    } finally {
      Files.delete(log);
    }
  }

  @Test
  void badRangesAndMissingNodesAreRefused() throws Exception {
    JsonNode e = assertError(server.client().send("POST", path(nodeId),
        body("https://a.blob.core.windows.net/logs", "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z")),
        400, "InvalidPropertyValue");
    assertEquals("endTime", value(e, "PropertyName"));
    e = assertError(server.client().send("POST", path(nodeId),
        body("https://a.blob.core.windows.net/logs", "yesterday", null)), 400, "InvalidPropertyValue");
    assertEquals("startTime", value(e, "PropertyName"));
    assertError(server.client().send("POST", path(nodeId), "{\"containerUrl\": \"https://a/b\"}"),
        400, "MissingRequiredProperty");

    BatchErrorException missing = assertThrows(BatchErrorException.class, () -> client.computeNodeOperations()
        .uploadBatchServiceLogs(POOL, "no-node", "https://a.blob.core.windows.net/logs", DateTime.now()));
    assertEquals("NodeNotFound", missing.body().code());
    assertError(server.client().send("POST", path("no-node"),
        body("https://a.blob.core.windows.net/logs", "2024-01-01T00:00:00Z", null)), 404, "NodeNotFound");
  }
}
