package io.batchgrid.api.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.batchgrid.coordinator.node.InProcessNodeProvider;

/** Real in-process nodes run a task; its files are listed and read through the API. */
class TaskFilesTest {
  static final String V = "api-version=2024-07-01.20.0";
  static TestServer server;
  static SignedClient client;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer(system -> InProcessNodeProvider.start(system,
        java.nio.file.Files.createTempDirectory("batchgrid-api-nodes"), TestServer.ACCOUNT, null));
    client = server.client();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aTaskRunsAndItsFilesCanBeListedAndRead() {
    assertEquals(201, client.send("POST", "/pools?" + V,
        "{\"id\":\"files-pool\",\"vmSize\":\"local\",\"targetDedicatedNodes\":1,\"taskSlotsPerNode\":1}").status());
    assertEquals(201, client.send("POST", "/jobs?" + V, "{\"id\":\"files-job\",\"poolInfo\":{\"poolId\":\"files-pool\"}}").status());
    assertEquals(201, client.send("POST", "/jobs/files-job/tasks?" + V,
        "{\"id\":\"hello\",\"commandLine\":\"/bin/sh -c 'mkdir -p out && echo hello world && echo nested > out/n.txt'\"}").status());

    TestProbe<Object> probe = server.testKit.createTestProbe();
    JsonNode task = probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      JsonNode t = client.send("GET", "/jobs/files-job/tasks/hello?" + V, null).json();
      assertEquals("completed", t.get("state").textValue(), t.toString());
      return t;
    });
    assertEquals(0, task.at("/executionInfo/exitCode").intValue());
    assertEquals("success", task.at("/executionInfo/result").textValue());
    assertEquals("files-pool", task.at("/nodeInfo/poolId").textValue());

    JsonNode top = client.send("GET", "/jobs/files-job/tasks/hello/files?" + V, null).json();
    Set<String> names = new HashSet<>();
    top.get("value").forEach(f -> names.add(f.get("name").textValue()));
    assertTrue(names.containsAll(Set.of("stdout.txt", "stderr.txt")), names.toString());
    JsonNode all = client.send("GET", "/jobs/files-job/tasks/hello/files?" + V + "&recursive=true", null).json();
    Set<String> deep = new HashSet<>();
    all.get("value").forEach(f -> deep.add(f.get("name").textValue()));
    assertTrue(deep.contains("wd/out/n.txt"), deep.toString());

    SignedClient.Reply head = client.send("HEAD", "/jobs/files-job/tasks/hello/files/stdout.txt?" + V, null);
    assertEquals(200, head.status());
    assertEquals("12", head.header("content-length"));
    assertEquals("false", head.header("ocp-batch-file-isdirectory"));
    assertNotNull(head.header("ocp-creation-time"));
    assertNotNull(head.header("last-modified"));
    assertEquals(server.baseUrl + "/jobs/files-job/tasks/hello/files/stdout.txt", head.header("ocp-batch-file-url"));
    assertEquals(0, head.bytes().length);

    assertEquals("hello world\n", client.send("GET", "/jobs/files-job/tasks/hello/files/stdout.txt?" + V, null).text());
    assertEquals("world", client.send("GET", "/jobs/files-job/tasks/hello/files/stdout.txt?" + V, null,
        Map.of("ocp-range", "bytes=6-10"), true).text());
    assertEquals("nested\n", client.send("GET", "/jobs/files-job/tasks/hello/files/wd%2Fout%2Fn.txt?" + V, null).text());
    assertEquals("nested\n", client.send("GET", "/jobs/files-job/tasks/hello/files/wd/out/n.txt?" + V, null).text());
    SignedClient.Reply missing = client.send("GET", "/jobs/files-job/tasks/hello/files/nope.txt?" + V, null);
    assertEquals(404, missing.status());
    assertEquals("FileNotFound", missing.json().get("code").textValue());

    JsonNode node = client.send("GET", "/pools/files-pool/nodes?" + V, null).json().at("/value/0");
    assertTrue(Set.of("idle", "running").contains(node.get("state").textValue()), node.toString());

    // The same files from the node's side: paths relative to the node's root.
    String nodeId = task.at("/nodeInfo/nodeId").textValue();
    String root = task.at("/nodeInfo/taskRootDirectory").textValue();
    String nodeFiles = "/pools/files-pool/nodes/" + nodeId + "/files";
    JsonNode listed = client.send("GET", nodeFiles + "?" + V + "&recursive=true&$filter="
        + ApiServerTest.enc("startswith(name,'" + root + "')"), null).json();
    Set<String> onNode = new HashSet<>();
    listed.get("value").forEach(f -> onNode.add(f.get("name").textValue()));
    assertTrue(onNode.contains(root + "/stdout.txt"), onNode.toString());
    assertTrue(onNode.contains(root + "/wd/out/n.txt"), onNode.toString());
    JsonNode nodeTop = client.send("GET", nodeFiles + "?" + V, null).json();
    assertTrue(nodeTop.get("value").size() >= 1, nodeTop.toString());
    assertEquals("hello world\n", client.send("GET", nodeFiles + "/" + root + "/stdout.txt?" + V, null).text());
    SignedClient.Reply nodeHead = client.send("HEAD", nodeFiles + "/" + root + "/stdout.txt?" + V, null);
    assertEquals(200, nodeHead.status());
    assertEquals(server.baseUrl + nodeFiles + "/" + root + "/stdout.txt", nodeHead.header("ocp-batch-file-url"));
    assertEquals(404, client.send("GET", nodeFiles + "/nope.txt?" + V, null).status());
    assertEquals(404, client.send("GET", "/pools/files-pool/nodes/no-node/files?" + V, null).status());
  }

  @Test
  void taskAndNodeFilesCanBeDeletedThroughTheSdk() throws Exception {
    assertEquals(201, client.send("POST", "/pools?" + V,
        "{\"id\":\"del-pool\",\"vmSize\":\"local\",\"targetDedicatedNodes\":1,\"taskSlotsPerNode\":1}").status());
    assertEquals(201, client.send("POST", "/jobs?" + V, "{\"id\":\"del-job\",\"poolInfo\":{\"poolId\":\"del-pool\"}}").status());
    assertEquals(201, client.send("POST", "/jobs/del-job/tasks?" + V,
        "{\"id\":\"t\",\"commandLine\":\"/bin/sh -c 'mkdir -p out/deep && echo a > out/deep/a.txt && echo b > b.txt'\"}").status());
    TestProbe<Object> probe = server.testKit.createTestProbe();
    JsonNode task = probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      JsonNode t = client.send("GET", "/jobs/del-job/tasks/t?" + V, null).json();
      assertEquals("completed", t.get("state").textValue(), t.toString());
      return t;
    });
    com.microsoft.azure.batch.BatchClient sdk = com.microsoft.azure.batch.BatchClient.open(
        new com.microsoft.azure.batch.auth.BatchSharedKeyCredentials(server.baseUrl, TestServer.ACCOUNT,
            java.util.Base64.getEncoder().encodeToString(TestServer.KEY)));

    sdk.fileOperations().deleteFileFromTask("del-job", "t", "wd/b.txt");
    assertEquals(404, client.send("GET", "/jobs/del-job/tasks/t/files/wd/b.txt?" + V, null).status());
    com.microsoft.azure.batch.protocol.models.BatchErrorException notEmpty = org.junit.jupiter.api.Assertions.assertThrows(
        com.microsoft.azure.batch.protocol.models.BatchErrorException.class,
        () -> sdk.fileOperations().deleteFileFromTask("del-job", "t", "wd/out", false));
    assertEquals("DirectoryNotEmpty", notEmpty.body().code());
    sdk.fileOperations().deleteFileFromTask("del-job", "t", "wd/out", true);
    assertEquals(404, client.send("GET", "/jobs/del-job/tasks/t/files/wd/out/deep/a.txt?" + V, null).status());
    com.microsoft.azure.batch.protocol.models.BatchErrorException gone = org.junit.jupiter.api.Assertions.assertThrows(
        com.microsoft.azure.batch.protocol.models.BatchErrorException.class,
        () -> sdk.fileOperations().deleteFileFromTask("del-job", "t", "wd/out", true));
    assertEquals("FileNotFound", gone.body().code());

    // From the node's side: the task's stdout, by its path under the node's root.
    String nodeId = task.at("/nodeInfo/nodeId").textValue();
    String root = task.at("/nodeInfo/taskRootDirectory").textValue();
    sdk.fileOperations().deleteFileFromComputeNode("del-pool", nodeId, root + "/stdout.txt");
    assertEquals(404, client.send("GET", "/jobs/del-job/tasks/t/files/stdout.txt?" + V, null).status());
    SignedClient.Reply stderr = client.send("GET", "/jobs/del-job/tasks/t/files/stderr.txt?" + V, null);
    assertEquals(200, stderr.status(), stderr.text());
    assertEquals("", stderr.text(), "an empty file reads as empty");
    assertEquals("0", client.send("HEAD", "/jobs/del-job/tasks/t/files/stderr.txt?" + V, null).header("content-length"));
    SignedClient.Reply climbs = client.send("DELETE", "/pools/del-pool/nodes/" + nodeId + "/files/workitems/..%2F..%2Fx?" + V, null);
    assertTrue(climbs.status() == 400 || climbs.status() == 404, climbs.text());
  }

  /** After its retention time a task's directory is gone, and its files API says so as Azure does. */
  @Test
  void afterItsRetentionTimeATasksFilesAreUnavailable() {
    assertEquals(201, client.send("POST", "/pools?" + V,
        "{\"id\":\"retain-pool\",\"vmSize\":\"local\",\"targetDedicatedNodes\":1,\"taskSlotsPerNode\":1}").status());
    assertEquals(201, client.send("POST", "/jobs?" + V, "{\"id\":\"retain-job\",\"poolInfo\":{\"poolId\":\"retain-pool\"}}").status());
    assertEquals(201, client.send("POST", "/jobs/retain-job/tasks?" + V,
        "{\"id\":\"brief\",\"commandLine\":\"/bin/echo hi\",\"constraints\":{\"retentionTime\":\"PT1S\"}}").status());
    assertEquals("PT1S", client.send("GET", "/jobs/retain-job/tasks/brief?" + V, null).json()
        .at("/constraints/retentionTime").textValue());
    TestProbe<Object> probe = server.testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
      SignedClient.Reply r = client.send("GET", "/jobs/retain-job/tasks/brief/files/stdout.txt?" + V, null);
      assertEquals(409, r.status(), r.text());
      assertEquals("TaskFilesUnavailable", r.json().get("code").textValue());
      return r;
    });
    SignedClient.Reply list = client.send("GET", "/jobs/retain-job/tasks/brief/files?" + V, null);
    assertEquals(409, list.status(), list.text());
    assertEquals("TaskFilesUnavailable", list.json().get("code").textValue());
  }
}
