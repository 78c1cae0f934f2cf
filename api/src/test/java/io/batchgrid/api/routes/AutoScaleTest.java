package io.batchgrid.api.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.joda.time.Period;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.AutoScaleRun;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.CloudPool;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;

import io.batchgrid.coordinator.node.InProcessNodeProvider;

/** Autoscale through the official SDK and over plain HTTP, on real in-process nodes. */
class AutoScaleTest {
  static final String V = "api-version=2024-07-01.20.0";
  static final String FORMULA =
      "$TargetDedicatedNodes = min(3, $PendingTasks.GetSample(1)); $NodeDeallocationOption = taskcompletion;";
  static TestServer server;
  static SignedClient http;
  static BatchClient sdk;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer(system -> InProcessNodeProvider.start(system,
        Files.createTempDirectory("batchgrid-api-autoscale"), TestServer.ACCOUNT, null));
    http = server.client();
    sdk = BatchClient.open(new BatchSharedKeyCredentials(server.baseUrl, TestServer.ACCOUNT,
        Base64.getEncoder().encodeToString(TestServer.KEY)));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonNode error(SignedClient.Reply r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertEquals(code, r.json().get("code").textValue(), r.text());
    return r.json();
  }

  static PoolAddParameter pool(String id) {
    return new PoolAddParameter().withId(id).withVmSize("local");
  }

  @Test
  void enableEvaluateAndDisableThroughTheSdk() throws Exception {
    sdk.poolOperations().createPool(pool("as-sdk").withTargetDedicatedNodes(0));
    CloudPool p = sdk.poolOperations().getPool("as-sdk");
    assertFalse(p.enableAutoScale());
    assertNull(p.autoScaleFormula());

    BatchErrorException notEnabled = assertThrows(BatchErrorException.class,
        () -> sdk.poolOperations().evaluateAutoScale("as-sdk", "$TargetDedicatedNodes = 1;"));
    assertEquals("AutoScaleNotEnabled", notEnabled.body().code());

    sdk.poolOperations().enableAutoScale("as-sdk", "$TargetDedicatedNodes = 0;", Period.minutes(10));
    p = sdk.poolOperations().getPool("as-sdk");
    assertTrue(p.enableAutoScale());
    assertEquals("$TargetDedicatedNodes = 0;", p.autoScaleFormula());
    assertEquals(Period.minutes(10).toStandardDuration(), p.autoScaleEvaluationInterval().toStandardDuration());
    TestProbe<Object> probe = server.testKit.createTestProbe();
    AutoScaleRun last = probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      AutoScaleRun r = sdk.poolOperations().getPool("as-sdk").autoScaleRun();
      assertNotNull(r);
      return r;
    });
    assertNotNull(last.timestamp());
    assertTrue(last.results().contains("$TargetDedicatedNodes=0"), last.results());

    AutoScaleRun run = sdk.poolOperations().evaluateAutoScale("as-sdk", "$TargetDedicatedNodes = 2; $x = $TargetDedicatedNodes * 3;");
    assertNull(run.error());
    assertTrue(run.results().contains("$TargetDedicatedNodes=2"), run.results());
    assertTrue(run.results().contains("$x=6"), run.results());
    // Evaluating applies nothing.
    assertEquals(0, sdk.poolOperations().getPool("as-sdk").targetDedicatedNodes());

    // A formula that does not parse is an evaluation that failed: the run carries the error.
    AutoScaleRun failed = sdk.poolOperations().evaluateAutoScale("as-sdk", "$TargetDedicatedNodes = = 2;");
    assertEquals("AutoScalingFormulaSyntaxError", failed.error().code());
    assertEquals("Message", failed.error().values().get(0).name());
    assertTrue(failed.error().values().get(0).value().startsWith("Line 1, Col "), failed.error().values().get(0).value());
    BatchErrorException badEnable = assertThrows(BatchErrorException.class,
        () -> sdk.poolOperations().enableAutoScale("as-sdk", "$TargetDedicatedNodes = (;"));
    assertEquals("AutoScalingFormulaSyntaxError", badEnable.body().code());
    BatchErrorException resize = assertThrows(BatchErrorException.class,
        () -> sdk.poolOperations().resizePool("as-sdk", 2, 0));
    assertEquals("AutoScaleEnabled", resize.body().code());

    // Only the interval: the formula stays.
    sdk.poolOperations().enableAutoScale("as-sdk", null, Period.seconds(30));
    p = sdk.poolOperations().getPool("as-sdk");
    assertEquals("$TargetDedicatedNodes = 0;", p.autoScaleFormula());
    assertEquals(30, p.autoScaleEvaluationInterval().toStandardSeconds().getSeconds());

    sdk.poolOperations().disableAutoScale("as-sdk");
    p = sdk.poolOperations().getPool("as-sdk");
    assertFalse(p.enableAutoScale());
    assertNull(p.autoScaleRun());
    sdk.poolOperations().resizePool("as-sdk", 0, 0);
    sdk.poolOperations().deletePool("as-sdk");
  }

  @Test
  void creationWithAFormulaAndItsErrors() throws Exception {
    sdk.poolOperations().createPool(pool("as-create").withEnableAutoScale(true)
        .withAutoScaleFormula("$TargetDedicatedNodes = 0;").withAutoScaleEvaluationInterval(Period.seconds(5)));
    CloudPool p = sdk.poolOperations().getPool("as-create");
    assertTrue(p.enableAutoScale());
    assertEquals(5, p.autoScaleEvaluationInterval().toStandardSeconds().getSeconds());

    JsonNode e = error(http.send("POST", "/pools?" + V,
        "{\"id\":\"as-bad1\",\"vmSize\":\"local\",\"enableAutoScale\":true}"), 400, "MissingRequiredProperty");
    assertEquals("autoScaleFormula", ApiServerTest.value(e, "PropertyName"));
    e = error(http.send("POST", "/pools?" + V,
        "{\"id\":\"as-bad2\",\"vmSize\":\"local\",\"enableAutoScale\":true,\"autoScaleFormula\":\"$TargetDedicatedNodes=1;\","
            + "\"targetDedicatedNodes\":1}"), 400, "InvalidPropertyValue");
    assertEquals("targetDedicatedNodes", ApiServerTest.value(e, "PropertyName"));
    e = error(http.send("POST", "/pools?" + V,
        "{\"id\":\"as-bad3\",\"vmSize\":\"local\",\"enableAutoScale\":true,\"autoScaleFormula\":\"$TargetDedicatedNodes=1;\","
            + "\"autoScaleEvaluationInterval\":\"PT4S\"}"), 400, "InvalidPropertyValue");
    assertEquals("autoScaleEvaluationInterval", ApiServerTest.value(e, "PropertyName"));
    error(http.send("POST", "/pools/as-create/enableautoscale?" + V,
        "{\"autoScaleEvaluationInterval\":\"PT169H\"}"), 400, "InvalidPropertyValue");
    error(http.send("POST", "/pools?" + V,
        "{\"id\":\"as-bad4\",\"vmSize\":\"local\",\"enableAutoScale\":true,\"autoScaleFormula\":\"$TargetDedicatedNodes=;\"}"),
        400, "AutoScalingFormulaSyntaxError");
    error(http.send("POST", "/pools/as-create/evaluateautoscale?" + V, "{}"), 400,
        "MissingRequiredProperty");
    error(http.send("POST", "/pools/no-pool/evaluateautoscale?" + V,
        "{\"autoScaleFormula\":\"$TargetDedicatedNodes=1;\"}"), 404, "PoolNotFound");

    // Plain HTTP: the status and headers of the spec, and AutoScaleRun in the body.
    SignedClient.Reply r = http.send("POST", "/pools/as-create/evaluateautoscale?" + V,
        "{\"autoScaleFormula\":\"$TargetDedicatedNodes = 1 +;\"}");
    assertEquals(200, r.status(), r.text());
    assertEquals("AutoScalingFormulaSyntaxError", r.json().at("/error/code").textValue(), r.text());
    r = http.send("POST", "/pools/as-create/evaluateautoscale?" + V, "{\"autoScaleFormula\":\"$TargetDedicatedNodes = 4;\"}");
    assertEquals(200, r.status(), r.text());
    assertNotNull(r.header("ETag"));
    assertNotNull(r.header("Last-Modified"));
    assertNotNull(r.header("DataServiceId"));
    assertTrue(r.json().get("results").textValue().contains("$TargetDedicatedNodes=4"), r.text());
    assertNotNull(r.json().get("timestamp"));
    r = http.send("POST", "/pools/as-create/disableautoscale?" + V, null);
    assertEquals(200, r.status(), r.text());
    assertNotNull(r.header("ETag"));
    sdk.poolOperations().deletePool("as-create");
  }

  @Test
  @Timeout(120)
  void aPoolGrowsWithPendingTasksAndShrinksToZero() throws Exception {
    sdk.poolOperations().createPool(pool("as-e2e").withTaskSlotsPerNode(2).withEnableAutoScale(true)
        .withAutoScaleFormula(FORMULA).withAutoScaleEvaluationInterval(Period.seconds(5)));
    assertEquals(0, sdk.poolOperations().getPool("as-e2e").currentDedicatedNodes());
    sdk.jobOperations().createJob("as-job", new PoolInformation().withPoolId("as-e2e"));
    List<TaskAddParameter> tasks = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      tasks.add(new TaskAddParameter().withId("t" + i).withCommandLine("/bin/sh -c 'sleep 0.2'"));
    }
    long first = System.nanoTime();
    sdk.taskOperations().createTasks("as-job", tasks.subList(0, 30));
    sdk.taskOperations().createTasks("as-job", tasks.subList(30, 60));

    TestProbe<Object> probe = server.testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(50), () -> {
      JsonNode nodes = http.send("GET", "/pools/as-e2e/nodes?" + V, null).json();
      boolean up = false;
      for (JsonNode n : nodes.get("value")) {
        String state = n.get("state").textValue();
        up |= state.equals("idle") || state.equals("running");
      }
      assertTrue(up, nodes.toString());
      return null;
    });
    long firstNodeMs = (System.nanoTime() - first) / 1_000_000;
    System.out.println("autoscale: first task added to first node up: " + firstNodeMs + " ms");
    assertTrue(firstNodeMs < 60_000);

    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      TaskCounts counts = sdk.jobOperations().getTaskCounts("as-job");
      assertEquals(60, counts.completed(), "completed " + counts.completed() + ", running " + counts.running());
      return null;
    });
    int max = sdk.poolOperations().getPool("as-e2e").targetDedicatedNodes();
    System.out.println("autoscale: all 60 tasks completed " + (System.nanoTime() - first) / 1_000_000 + " ms after the first was added");
    assertTrue(max <= 3, "target " + max);
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      CloudPool p = sdk.poolOperations().getPool("as-e2e");
      assertEquals(0, p.targetDedicatedNodes());
      assertEquals(0, p.currentDedicatedNodes());
      assertEquals(0, sdk.computeNodeOperations().listComputeNodes("as-e2e").size());
      return null;
    });
    System.out.println("autoscale: back to 0 nodes " + (System.nanoTime() - first) / 1_000_000 + " ms after the first task was added");
    sdk.jobOperations().deleteJob("as-job");
    sdk.poolOperations().deletePool("as-e2e");
  }
}
