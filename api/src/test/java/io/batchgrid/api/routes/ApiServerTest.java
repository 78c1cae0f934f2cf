package io.batchgrid.api.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/** The API over real HTTP against a one-member cluster whose nodes never come up. */
class ApiServerTest {
  static final String V = "api-version=2024-07-01.20.0";
  static TestServer server;
  static SignedClient client;

  @BeforeAll
  static void start() throws Exception {
    server = new TestServer(TestServer.NO_NODES);
    client = server.client();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** The Azure error shape, the status and code, and the request id in header and message. */
  static JsonNode assertError(SignedClient.Reply r, int status, String code) {
    assertEquals(status, r.status(), r.text());
    assertTrue(r.header("content-type").startsWith("application/json"), r.header("content-type"));
    String requestId = r.header("request-id");
    assertNotNull(requestId);
    JsonNode body = r.json();
    assertEquals(server.baseUrl + "/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element",
        body.get("odata.metadata").textValue());
    assertEquals(code, body.get("code").textValue());
    assertEquals("en-US", body.at("/message/lang").textValue());
    assertTrue(body.at("/message/value").textValue().contains("\nRequestId:" + requestId + "\nTime:"), body.toString());
    assertFalse(r.text().contains("at io.batchgrid"), "no stack trace");
    return body;
  }

  static String value(JsonNode error, String key) {
    for (JsonNode v : error.path("values")) {
      if (v.get("key").textValue().equals(key)) {
        return v.get("value").textValue();
      }
    }
    return null;
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String pool(String id) {
    return "{\"id\":\"" + id + "\",\"vmSize\":\"standard_d2s_v3\",\"targetDedicatedNodes\":2,\"taskSlotsPerNode\":2,"
        + "\"virtualMachineConfiguration\":{\"imageReference\":{\"publisher\":\"canonical\",\"offer\":\"ubuntu\"},"
        + "\"nodeAgentSKUId\":\"batch.node.ubuntu 22.04\"}}";
  }

  static void assertNoPool(String id) {
    assertError(client.send("GET", "/pools/" + id + "?" + V, null), 404, "PoolNotFound");
  }

  // ------------------------------------------------------------------------------ bad input

  @Test
  void missingAndUnsupportedApiVersion() {
    JsonNode e = assertError(client.send("POST", "/pools", pool("nover")), 400, "MissingRequiredQueryParameter");
    assertEquals("api-version", value(e, "QueryParameterName"));
    e = assertError(client.send("POST", "/pools?api-version=2019-08-01.10.0", pool("nover")), 400, "InvalidQueryParameterValue");
    assertEquals("api-version", value(e, "QueryParameterName"));
    assertNoPool("nover");
    assertEquals(200, client.send("GET", "/pools?api-version=2022-10-01.16.0", null).status());
  }

  @Test
  void unsignedAndWronglySignedRequestsAreRefused() {
    JsonNode e = assertError(client.unsigned("POST", "/pools?" + V, pool("unsigned")), 403, "AuthenticationFailed");
    assertNotNull(value(e, "AuthenticationErrorDetail"));
    e = assertError(client.withKey("another key".getBytes(StandardCharsets.UTF_8)).send("POST", "/pools?" + V,
        pool("unsigned")), 403, "AuthenticationFailed");
    assertTrue(value(e, "AuthenticationErrorDetail").contains("signature"));
    // A stale date is refused even when the signature is right.
    SignedClient.Reply stale = client.send("GET", "/pools?" + V, null, Map.of("ocp-date", "Mon, 01 Jan 2024 00:00:00 GMT"), true);
    assertError(stale, 403, "AuthenticationFailed");
    assertNoPool("unsigned");
  }

  @Test
  void malformedJsonWrongTypesInvalidIdsAndMissingProperties() {
    assertError(client.send("POST", "/pools?" + V, "{\"id\":\"bad\",\"vmSize\":"), 400, "InvalidRequestBody");
    JsonNode e = assertError(client.send("POST", "/pools?" + V,
        "{\"id\":\"typed\",\"vmSize\":\"x\",\"targetDedicatedNodes\":\"two\"}"), 400, "InvalidPropertyValue");
    assertEquals("targetDedicatedNodes", value(e, "PropertyName"));
    e = assertError(client.send("POST", "/pools?" + V, "{\"id\":\"no good\",\"vmSize\":\"x\"}"), 400, "InvalidPropertyValue");
    assertEquals("id", value(e, "PropertyName"));
    e = assertError(client.send("POST", "/pools?" + V, "{\"id\":\"novm\"}"), 400, "MissingRequiredProperty");
    assertEquals("vmSize", value(e, "PropertyName"));
    e = assertError(client.send("POST", "/jobs?" + V, "{\"id\":\"j-auto\",\"poolInfo\":{\"autoPoolSpecification\":{}}}"),
        400, "FeatureNotSupported");
    assertEquals("autoPoolSpecification", value(e, "PropertyName"));
    assertError(client.send("POST", "/pools?" + V, "[1,2]"), 400, "InvalidRequestBody");
    assertNoPool("bad");
    assertNoPool("typed");
    assertNoPool("novm");
    assertError(client.send("GET", "/jobs/j-auto?" + V, null), 404, "JobNotFound");
  }

  @Test
  void oversizeBodyIsRefused() {
    String big = "{\"id\":\"big\",\"vmSize\":\"x\",\"displayName\":\"" + "x".repeat(1_100_000) + "\"}";
    JsonNode e = assertError(client.send("POST", "/pools?" + V, big), 413, "RequestBodyTooLarge");
    assertNotNull(value(e, "MaxLimit"));
    assertNoPool("big");
  }

  @Test
  void unknownRoutesVerbsAndOperationsNotServedYet() {
    assertError(client.send("GET", "/nothing/here?" + V, null), 404, "ResourceNotFound");
    JsonNode extensions = assertError(client.send("GET", "/pools/p1/nodes/n1/extensions?" + V, null), 400, "FeatureNotSupported");
    assertTrue(value(extensions, "Reason").contains("VM extensions"), value(extensions, "Reason"));
    assertError(client.send("POST", "/pools/nopool/nodes/n1/reboot?" + V, "{}"), 404, "PoolNotFound");
    JsonNode option = assertError(client.send("POST", "/pools/nopool/nodes/n1/reimage?" + V,
        "{\"nodeReimageOption\": \"later\"}"), 400, "InvalidPropertyValue");
    assertEquals("nodeReimageOption", value(option, "PropertyName"));
    JsonNode noUrl = assertError(client.send("POST", "/pools/p1/nodes/n1/uploadbatchservicelogs?" + V,
        "{\"startTime\": \"2024-01-01T00:00:00Z\"}"), 400, "MissingRequiredProperty");
    assertEquals("containerUrl", value(noUrl, "PropertyName"));
    JsonNode identity = assertError(client.send("POST", "/pools/p1/nodes/n1/uploadbatchservicelogs?" + V,
        "{\"containerUrl\": \"https://a.blob.core.windows.net/logs\", \"startTime\": \"2024-01-01T00:00:00Z\","
            + " \"identityReference\": {\"resourceId\": \"/subscriptions/x/id\"}}"), 400, "FeatureNotSupported");
    assertEquals("identityReference", value(identity, "PropertyName"));
    assertTrue(value(identity, "Reason").contains("SAS"), value(identity, "Reason"));
    assertError(client.send("POST", "/pools/nopool/nodes/n1/uploadbatchservicelogs?" + V,
        "{\"containerUrl\": \"https://a.blob.core.windows.net/logs\", \"startTime\": \"2024-01-01T00:00:00Z\"}"),
        404, "PoolNotFound");
    JsonNode missing = assertError(client.send("POST", "/pools/p1/removenodes?" + V, "{}"), 400, "MissingRequiredProperty");
    assertEquals("nodeList", value(missing, "PropertyName"));
    assertError(client.send("PUT", "/pools?" + V, "{}"), 405, "UnsupportedHttpVerb");
    JsonNode e = assertError(client.send("GET", "/pools?" + V + "&maxresults=5000", null), 400, "InvalidQueryParameterValue");
    assertEquals("maxresults", value(e, "QueryParameterName"));
    e = assertError(client.send("GET", "/jobs?" + V + "&$filter=startswith(id,'a'", null), 400, "InvalidQueryParameterValue");
    assertEquals("$filter", value(e, "QueryParameterName"));
    assertTrue(value(e, "Reason").contains("position 18"), value(e, "Reason"));
    e = assertError(client.send("GET", "/jobs?" + V + "&$filter=colour%20eq%20'red'", null), 400, "InvalidQueryParameterValue");
    assertTrue(value(e, "Reason").contains("'colour' is not a property"), value(e, "Reason"));
    e = assertError(client.send("GET", "/pools?" + V + "&$filter=targetDedicatedNodes%20eq%20'two'", null), 400,
        "InvalidQueryParameterValue");
    assertTrue(value(e, "Reason").contains("number"), value(e, "Reason"));
    assertError(client.send("GET", "/jobs?" + V + "&timeout=soon", null), 400, "InvalidQueryParameterValue");
  }

  @Test
  void conditionalHeaders() {
    assertEquals(201, client.send("POST", "/pools?" + V, pool("pool-cond")).status());
    assertEquals(201, client.send("POST", "/jobs?" + V, "{\"id\":\"job-cond\",\"poolInfo\":{\"poolId\":\"pool-cond\"}}").status());
    assertEquals(201, client.send("POST", "/jobs/job-cond/tasks?" + V, "{\"id\":\"t1\",\"commandLine\":\"x\"}").status());
    for (String path : new String[] {"/pools/pool-cond", "/jobs/job-cond", "/jobs/job-cond/tasks/t1"}) {
      SignedClient.Reply got = client.send("GET", path + "?" + V, null);
      String etag = got.header("ETag");
      String lastModified = got.header("Last-Modified");
      assertTrue(etag.startsWith("\"0x"), etag);
      SignedClient.Reply r = client.send("GET", path + "?" + V, null, Map.of("If-None-Match", etag), true);
      assertEquals(304, r.status(), path);
      assertEquals(etag, r.header("ETag"));
      assertEquals(0, r.bytes().length);
      assertEquals(200, client.send("GET", path + "?" + V, null, Map.of("If-None-Match", "\"0x1\""), true).status());
      assertEquals(200, client.send("GET", path + "?" + V, null, Map.of("If-Match", etag), true).status());
      assertEquals(200, client.send("GET", path + "?" + V, null, Map.of("If-Match", "*"), true).status());
      assertError(client.send("GET", path + "?" + V, null, Map.of("If-Match", "\"0x1\""), true), 412, "ConditionNotMet");
      assertEquals(304, client.send("GET", path + "?" + V, null, Map.of("If-Modified-Since", lastModified), true).status());
      assertEquals(200, client.send("GET", path + "?" + V, null,
          Map.of("If-Modified-Since", "Mon, 01 Jan 2024 00:00:00 GMT"), true).status());
      assertError(client.send("GET", path + "?" + V, null, Map.of("If-Unmodified-Since", "Mon, 01 Jan 2024 00:00:00 GMT"), true),
          412, "ConditionNotMet");
      assertError(client.send("GET", path + "?" + V, null, Map.of("If-Modified-Since", "yesterday"), true), 400,
          "InvalidHeaderValue");
    }
    // Writes: a stale ETag is refused and changes nothing; the current one goes through.
    String etag = client.send("GET", "/jobs/job-cond?" + V, null).header("ETag");
    assertError(client.send("PATCH", "/jobs/job-cond?" + V, "{\"priority\":9}".getBytes(StandardCharsets.UTF_8),
        Map.of("If-Match", "\"0x1\""), true), 412, "ConditionNotMet");
    assertEquals(0, client.send("GET", "/jobs/job-cond?" + V, null).json().get("priority").intValue());
    SignedClient.Reply patched = client.send("PATCH", "/jobs/job-cond?" + V, "{\"priority\":9}".getBytes(StandardCharsets.UTF_8),
        Map.of("If-Match", etag), true);
    assertEquals(200, patched.status(), patched.text());
    assertError(client.send("PATCH", "/jobs/job-cond?" + V, "{\"priority\":8}".getBytes(StandardCharsets.UTF_8),
        Map.of("If-Match", etag), true), 412, "ConditionNotMet");
    assertError(client.send("PATCH", "/jobs/job-cond?" + V, "{\"priority\":8}".getBytes(StandardCharsets.UTF_8),
        Map.of("If-None-Match", "*"), true), 412, "ConditionNotMet");
    assertError(client.send("DELETE", "/jobs/job-cond/tasks/t1?" + V, null,
        Map.of("If-Unmodified-Since", "Mon, 01 Jan 2024 00:00:00 GMT"), true), 412, "ConditionNotMet");
    String taskEtag = client.send("GET", "/jobs/job-cond/tasks/t1?" + V, null).header("ETag");
    assertEquals(200, client.send("DELETE", "/jobs/job-cond/tasks/t1?" + V, null, Map.of("If-Match", taskEtag), true).status());
    assertError(client.send("DELETE", "/pools/pool-cond?" + V, null, Map.of("If-Match", "\"0x1\""), true), 412, "ConditionNotMet");
    String poolEtag = client.send("GET", "/pools/pool-cond?" + V, null).header("ETag");
    assertEquals(202, client.send("DELETE", "/pools/pool-cond?" + V, null, Map.of("If-Match", poolEtag), true).status());
  }

  /**
   * Writes conditioned on the same ETag, sent at once: the entity checks the condition where it
   * persists, so exactly one of them succeeds and every other one is a 412, for jobs, tasks, pools
   * and job schedules alike (the schedule's PATCH is also merged by the API, and must not lose a write).
   * With the check made by the API before the write, as it was, a job PATCH round had two winners
   * by the third round; ten rounds per write make a missed race unlikely.
   */
  @Test
  void concurrentWritesOnTheSameETagExactlyOneSucceeds() throws Exception {
    assertEquals(201, client.send("POST", "/pools?" + V, pool("pool-race")).status());
    assertEquals(201, client.send("POST", "/jobs?" + V, "{\"id\":\"job-race\",\"poolInfo\":{\"poolId\":\"pool-race\"}}").status());
    assertEquals(201, client.send("POST", "/jobs/job-race/tasks?" + V, "{\"id\":\"t\",\"commandLine\":\"x\"}").status());
    assertEquals(201, client.send("POST", "/jobschedules?" + V, "{\"id\":\"sched-race\",\"schedule\":{\"doNotRunUntil\":"
        + "\"2099-01-01T00:00:00Z\"},\"jobSpecification\":{\"poolInfo\":{\"poolId\":\"pool-race\"}}}").status());
    record Write(String method, String path, java.util.function.IntFunction<String> body) {}
    List<Write> writes = List.of(
        new Write("PATCH", "/jobs/job-race", i -> "{\"priority\":" + i + "}"),
        new Write("PUT", "/jobs/job-race/tasks/t", i -> "{\"constraints\":{\"maxTaskRetryCount\":" + i + "}}"),
        new Write("PATCH", "/pools/pool-race", i -> "{\"metadata\":[{\"name\":\"writer\",\"value\":\"" + i + "\"}]}"),
        new Write("PATCH", "/jobschedules/sched-race", i -> "{\"metadata\":[{\"name\":\"writer\",\"value\":\"" + i + "\"}]}"));
    int writers = 4;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
    try {
      for (Write w : writes) {
        for (int round = 0; round < 10; round++) {
          String etag = client.send("GET", w.path() + "?" + V, null).header("ETag");
          java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(writers);
          List<java.util.concurrent.Future<SignedClient.Reply>> replies = new java.util.ArrayList<>();
          for (int i = 0; i < writers; i++) {
            byte[] body = w.body().apply(round * writers + i).getBytes(StandardCharsets.UTF_8);
            replies.add(pool.submit(() -> {
              together.await();
              return client.send(w.method(), w.path() + "?" + V, body, Map.of("If-Match", etag), true);
            }));
          }
          int succeeded = 0;
          for (var f : replies) {
            SignedClient.Reply r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
            if (r.status() == 200) {
              succeeded++;
              assertNotEquals(etag, r.header("ETag"), "a write changes the ETag");
            } else {
              assertError(r, 412, "ConditionNotMet");
            }
          }
          assertEquals(1, succeeded, w.method() + " " + w.path() + " round " + round);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    // Without a condition, concurrent schedule PATCHes of different properties are each merged into
    // the version they write over: none of them is lost.
    List<String> bodies = List.of("{\"metadata\":[{\"name\":\"m\",\"value\":\"kept\"}]}",
        "{\"schedule\":{\"doNotRunUntil\":\"2098-01-01T00:00:00Z\"}}",
        "{\"jobSpecification\":{\"priority\":5,\"poolInfo\":{\"poolId\":\"pool-race\"}}}");
    List<java.util.concurrent.CompletableFuture<SignedClient.Reply>> patches = new ArrayList<>();
    for (String body : bodies) {
      patches.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> client.send("PATCH", "/jobschedules/sched-race?" + V, body)));
    }
    for (var p : patches) {
      SignedClient.Reply r = p.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(200, r.status(), r.text());
    }
    JsonNode schedule = client.send("GET", "/jobschedules/sched-race?" + V, null).json();
    assertEquals("kept", schedule.at("/metadata/0/value").textValue(), schedule.toString());
    assertTrue(schedule.at("/schedule/doNotRunUntil").textValue().startsWith("2098-01-01T00:00:00"), schedule.toString());
    assertEquals(5, schedule.at("/jobSpecification/priority").intValue(), schedule.toString());
  }

  /** {@code $expand=stats} on every get and list that documents it; lifetime statistics with the api-version that has them. */
  @Test
  void statisticsWhenExpanded() {
    assertEquals(201, client.send("POST", "/pools?" + V, pool("pool-stats")).status());
    assertEquals(201, client.send("POST", "/jobs?" + V, "{\"id\":\"job-stats\",\"poolInfo\":{\"poolId\":\"pool-stats\"}}").status());
    assertEquals(201, client.send("POST", "/jobs/job-stats/tasks?" + V, "{\"id\":\"t\",\"commandLine\":\"x\"}").status());
    assertEquals(201, client.send("POST", "/jobschedules?" + V, "{\"id\":\"sched-stats\",\"schedule\":{\"doNotRunUntil\":"
        + "\"2099-01-01T00:00:00Z\"},\"jobSpecification\":{\"poolInfo\":{\"poolId\":\"pool-stats\"}}}").status());
    String expand = "&$expand=stats";

    JsonNode job = client.send("GET", "/jobs/job-stats?" + V + expand, null).json();
    JsonNode stats = job.get("stats");
    assertEquals(server.baseUrl + "/jobs/job-stats", stats.get("url").textValue());
    assertEquals(0, stats.get("numSucceededTasks").intValue());
    assertEquals(0, stats.get("numFailedTasks").intValue());
    assertEquals(0, stats.get("numTaskRetries").intValue());
    assertEquals("PT0S", stats.get("wallClockTime").textValue(), "the task has not run: nodes never come up here");
    assertTrue(stats.get("waitTime").textValue().startsWith("PT"), stats.toString());
    for (String required : List.of("startTime", "lastUpdateTime", "userCPUTime", "kernelCPUTime", "readIOps", "writeIOps",
        "readIOGiB", "writeIOGiB")) {
      assertTrue(stats.has(required), required + " in " + stats);
    }
    assertNull(client.send("GET", "/jobs/job-stats?" + V, null).json().get("stats"), "only when expanded");
    JsonNode jobs = client.send("GET", "/jobs?" + V + expand + "&$filter=" + enc("id eq 'job-stats'"), null).json();
    assertEquals(server.baseUrl + "/jobs/job-stats", jobs.at("/value/0/stats/url").textValue());

    JsonNode task = client.send("GET", "/jobs/job-stats/tasks/t?" + V + expand, null).json();
    assertEquals(server.baseUrl + "/jobs/job-stats/tasks/t", task.at("/stats/url").textValue());
    assertFalse(task.get("stats").has("numSucceededTasks"), "TaskStatistics has no task counts");
    assertEquals("PT0S", client.send("GET", "/jobs/job-stats/tasks?" + V + expand, null).json()
        .at("/value/0/stats/wallClockTime").textValue());

    JsonNode poolStats = client.send("GET", "/pools/pool-stats?" + V + expand, null).json().get("stats");
    assertEquals(server.baseUrl + "/pools/pool-stats", poolStats.get("url").textValue());
    assertTrue(poolStats.has("startTime") && poolStats.has("lastUpdateTime"), poolStats.toString());
    assertNotNull(client.send("GET", "/pools?" + V + expand, null).json().at("/value/0/stats/url").textValue());

    JsonNode scheduleStats = client.send("GET", "/jobschedules/sched-stats?" + V + expand, null).json().get("stats");
    assertEquals(server.baseUrl + "/jobschedules/sched-stats", scheduleStats.get("url").textValue());
    assertEquals(0, scheduleStats.get("numSucceededTasks").intValue());
    assertEquals(server.baseUrl + "/jobschedules/sched-stats",
        client.send("GET", "/jobschedules?" + V + expand + "&$filter=" + enc("id eq 'sched-stats'"), null).json()
            .at("/value/0/stats/url").textValue());

    assertError(client.send("GET", "/jobs/job-stats?" + V + "&$expand=tasks", null), 400, "InvalidQueryParameterValue");

    // Lifetime statistics: documented by 2022-10-01.16.0 only.
    String old = "api-version=2022-10-01.16.0";
    JsonNode lifetime = client.send("GET", "/lifetimejobstats?" + old, null).json();
    assertEquals(server.baseUrl + "/lifetimejobstats", lifetime.get("url").textValue());
    assertTrue(lifetime.get("numSucceededTasks").isNumber(), lifetime.toString());
    JsonNode lifetimePools = client.send("GET", "/lifetimepoolstats?" + old, null).json();
    assertEquals(server.baseUrl + "/lifetimepoolstats", lifetimePools.get("url").textValue());
    assertError(client.send("GET", "/lifetimejobstats?" + V, null), 404, "ResourceNotFound");
    assertError(client.send("GET", "/lifetimepoolstats?" + V, null), 404, "ResourceNotFound");
  }

  @Test
  void accountLevelOperations() {
    assertEquals(201, client.send("POST", "/pools?" + V, pool("pool-counts")).status());
    JsonNode images = client.send("GET", "/supportedimages?" + V, null).json();
    assertEquals(1, images.get("value").size(), images.toString());
    JsonNode image = images.get("value").get(0);
    assertTrue(image.get("nodeAgentSKUId").textValue().startsWith("batch.node."), image.toString());
    assertEquals("linux", image.get("osType").textValue());
    assertEquals("verified", image.get("verificationType").textValue());
    assertEquals(0, client.send("GET", "/supportedimages?" + V + "&$filter=" + enc("osType eq 'windows'"), null)
        .json().get("value").size());

    JsonNode counts = client.send("GET", "/nodecounts?" + V + "&$filter=" + enc("poolId eq 'pool-counts'"), null).json();
    assertEquals(1, counts.get("value").size(), counts.toString());
    JsonNode c = counts.get("value").get(0);
    assertEquals("pool-counts", c.get("poolId").textValue());
    assertEquals(2, c.at("/dedicated/creating").intValue(), c.toString());
    assertEquals(2, c.at("/dedicated/total").intValue());
    assertEquals(0, c.at("/lowPriority/total").intValue());
    assertEquals(0, c.at("/dedicated/startTaskFailed").intValue());

    assertEquals(0, client.send("GET", "/poolusagemetrics?" + V, null).json().get("value").size());
    assertEquals(0, client.send("GET", "/applications?" + V, null).json().get("value").size());
    assertError(client.send("GET", "/applications/app1?" + V, null), 404, "ApplicationNotFound");
    JsonNode e = assertError(client.send("GET", "/certificates?" + V, null), 400, "FeatureNotSupported");
    assertTrue(value(e, "Reason").contains("not provided by batchgrid"), e.toString());
    assertError(client.send("GET", "/certificates(thumbprintAlgorithm=sha1,thumbprint=abc)?" + V, null), 400,
        "FeatureNotSupported");
    assertError(client.send("POST", "/pools/pool-counts/nodes/n1/users?" + V, "{\"name\":\"u\"}"), 400, "FeatureNotSupported");
    assertError(client.send("GET", "/pools/pool-counts/nodes/n1/extensions?" + V, null), 400, "FeatureNotSupported");
    assertEquals(202, client.send("DELETE", "/pools/pool-counts?" + V, null).status());
  }

  /** Paging with a filter stays exact while tasks leave the filter behind and ahead of the page. */
  @Test
  void continuationWhileTasksChangeState() {
    assertEquals(201, client.send("POST", "/pools?" + V, pool("pool-paging")).status());
    assertEquals(201, client.send("POST", "/jobs?" + V, "{\"id\":\"job-paging\",\"poolInfo\":{\"poolId\":\"pool-paging\"}}").status());
    StringBuilder coll = new StringBuilder("{\"value\":[");
    for (int i = 0; i < 30; i++) {
      coll.append(i == 0 ? "" : ",").append(String.format("{\"id\":\"p-%02d\",\"commandLine\":\"x\"}", i));
    }
    assertEquals(200, client.send("POST", "/jobs/job-paging/addtaskcollection?" + V, coll + "]}").status());
    String first = "/jobs/job-paging/tasks?" + V + "&maxresults=5&$select=id&$filter=" + enc("state eq 'active'");
    SignedClient.Reply page = client.send("GET", first, null);
    List<String> seen = new ArrayList<>();
    int round = 0;
    while (true) {
      assertEquals(200, page.status(), page.text());
      page.json().get("value").forEach(t -> seen.add(t.get("id").textValue()));
      JsonNode next = page.json().get("odata.nextLink");
      if (next == null) {
        break;
      }
      // Between pages: one task already listed and one still ahead stop matching the filter.
      String behind = seen.get(seen.size() - 1);
      String ahead = String.format("p-%02d", Math.min(29, 7 + 5 * round));
      assertEquals(204, client.send("POST", "/jobs/job-paging/tasks/" + behind + "/terminate?" + V, null).status());
      client.send("POST", "/jobs/job-paging/tasks/" + ahead + "/terminate?" + V, null);
      round++;
      page = client.follow(next.textValue());
    }
    assertEquals(new HashSet<>(seen).size(), seen.size(), "no task twice: " + seen);
    for (int i = 0; i < 30; i++) {
      String id = String.format("p-%02d", i);
      JsonNode t = client.send("GET", "/jobs/job-paging/tasks/" + id + "?" + V, null).json();
      boolean terminatedAhead = t.get("state").textValue().equals("completed") && !seen.contains(id);
      assertTrue(seen.contains(id) || terminatedAhead, id + " was active throughout but not listed: " + seen);
    }
    // Reactivate: an active task cannot be; a terminated one (completed, failed) goes back to active.
    assertEquals(201, client.send("POST", "/jobs/job-paging/tasks?" + V, "{\"id\":\"fresh\",\"commandLine\":\"x\"}").status());
    assertError(client.send("POST", "/jobs/job-paging/tasks/fresh/reactivate?" + V, null), 409, "TaskNotFailed");
    assertEquals(204, client.send("POST", "/jobs/job-paging/tasks/fresh/terminate?" + V, null).status());
    SignedClient.Reply again = client.send("POST", "/jobs/job-paging/tasks/fresh/reactivate?" + V, null);
    assertEquals(204, again.status(), again.text() + " " + client.send("GET", "/jobs/job-paging/tasks/fresh?" + V, null).text());
    assertNotNull(again.header("ETag"));
    assertEquals("active", client.send("GET", "/jobs/job-paging/tasks/fresh?" + V, null).json().get("state").textValue());
    JsonNode subtasks = client.send("GET", "/jobs/job-paging/tasks/fresh/subtasksinfo?" + V, null).json();
    assertEquals(0, subtasks.get("value").size(), subtasks.toString());
    assertError(client.send("GET", "/jobs/job-paging/tasks/nope/subtasksinfo?" + V, null), 404, "TaskNotFound");
    assertError(client.send("GET", "/jobs/job-paging/jobpreparationandreleasetaskstatus?" + V, null), 409,
        "JobPreparationTaskNotSpecified");
    assertEquals(202, client.send("DELETE", "/jobs/job-paging?" + V, null).status());
  }

  /** Garbled $filter and $select values, raw or percent-encoded: always an answer, never a 5xx. */
  @Test
  void fuzzedQueriesNeverAnswer5xx() {
    String[] atoms = {"state", "eq", "'active'", "(", ")", "and", "or", "not", "startswith(", "id", ",", "'", "''",
        "DateTime'", "2024-01-01T00:00:00Z'", "%", "%zz", "%27", "/", "executionInfo/exitCode", "gt", "-1", "null",
        "\u00e9", "%E2%82", "+", "$", "%26", "%3D", "#"};
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 150; i++) {
      StringBuilder b = new StringBuilder();
      for (int k = 0, n = 1 + random.nextInt(8); k < n; k++) {
        b.append(atoms[random.nextInt(atoms.length)]).append(random.nextBoolean() ? "%20" : "");
      }
      String param = random.nextInt(4) == 0 ? "$select" : "$filter";
      String list = random.nextBoolean() ? "/jobs" : "/pools";
      SignedClient.Reply r;
      try {
        r = client.send("GET", list + "?" + V + "&" + param + "=" + b.toString().replace("#", "%23"), null);
      } catch (IllegalArgumentException notAUri) {
        continue; // the client cannot even send it
      }
      assertTrue(r.status() < 500, b + " -> " + r.status() + " " + r.text());
    }
  }

  // ----------------------------------------------------------------------------- happy paths

  @Test
  void poolLifecycle() {
    SignedClient.Reply created = client.send("POST", "/pools?" + V, pool("Pool-A"));
    assertEquals(201, created.status(), created.text());
    assertNotNull(created.header("ETag"));
    assertNotNull(created.header("Last-Modified"));
    assertEquals(server.baseUrl + "/pools/Pool-A", created.header("DataServiceId"));
    assertNotNull(created.header("request-id"));
    assertError(client.send("POST", "/pools?" + V, pool("pool-a")), 409, "PoolExists");

    SignedClient.Reply got = client.send("GET", "/pools/pool-a?" + V, null);
    assertEquals(200, got.status());
    JsonNode p = got.json();
    assertEquals("Pool-A", p.get("id").textValue());
    assertEquals(server.baseUrl + "/$metadata#pools/@Element", p.get("odata.metadata").textValue());
    assertEquals("batch.node.ubuntu 22.04", p.at("/virtualMachineConfiguration/nodeAgentSKUId").textValue());
    assertEquals(2, p.get("targetDedicatedNodes").intValue());
    assertEquals("\"" + p.get("eTag").textValue() + "\"", got.header("ETag"));
    assertTrue(p.get("creationTime").textValue().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{7}Z"));

    assertEquals(200, client.send("HEAD", "/pools/Pool-A?" + V, null).status());
    SignedClient.Reply missing = client.send("HEAD", "/pools/nope?" + V, null);
    assertEquals(404, missing.status());
    assertEquals(0, missing.bytes().length);

    JsonNode nodes = client.send("GET", "/pools/Pool-A/nodes?" + V, null).json();
    assertEquals(2, nodes.get("value").size());
    for (JsonNode n : nodes.get("value")) {
      assertTrue(Set.of("starting", "creating").contains(n.get("state").textValue()), n.toString());
    }
    String nodeId = nodes.at("/value/0/id").textValue();
    assertEquals(nodeId, client.send("GET", "/pools/Pool-A/nodes/" + nodeId + "?" + V, null).json().get("id").textValue());
    assertError(client.send("GET", "/pools/Pool-A/nodes/tvmps_nope_d?" + V, null), 404, "NodeNotFound");

    SignedClient.Reply resized = client.send("POST", "/pools/Pool-A/resize?" + V, "{\"targetDedicatedNodes\":3}");
    assertEquals(202, resized.status(), resized.text());
    assertNotEquals(created.header("ETag"), resized.header("ETag"));
    assertEquals(3, client.send("GET", "/pools/Pool-A?" + V, null).json().get("targetDedicatedNodes").intValue());

    JsonNode list = client.send("GET", "/pools?" + V + "&$select=id,state", null).json();
    JsonNode mine = null;
    for (JsonNode x : list.get("value")) {
      if (x.get("id").textValue().equals("Pool-A")) {
        mine = x;
      }
    }
    assertNotNull(mine);
    assertEquals(Set.of("id", "state"), fields(mine));

    assertEquals(202, client.send("DELETE", "/pools/Pool-A?" + V, null).status());
  }

  static Set<String> fields(JsonNode o) {
    Set<String> s = new HashSet<>();
    o.fieldNames().forEachRemaining(s::add);
    return s;
  }

  @Test
  void jobsAndTasks() {
    assertEquals(201, client.send("POST", "/pools?" + V, pool("pool-jobs")).status());
    SignedClient.Reply job = client.send("POST", "/jobs?" + V,
        "{\"id\":\"job-1\",\"poolInfo\":{\"poolId\":\"pool-jobs\"},\"priority\":5,\"onAllTasksComplete\":\"noaction\"}");
    assertEquals(201, job.status(), job.text());
    assertEquals(server.baseUrl + "/jobs/job-1", job.header("DataServiceId"));
    assertError(client.send("POST", "/jobs?" + V, "{\"id\":\"JOB-1\",\"poolInfo\":{\"poolId\":\"pool-jobs\"}}"), 409, "JobExists");

    JsonNode j = client.send("GET", "/jobs/job-1?" + V, null).json();
    assertEquals("active", j.get("state").textValue());
    assertEquals(5, j.get("priority").intValue());
    assertEquals("pool-jobs", j.at("/poolInfo/poolId").textValue());
    SignedClient.Reply patched = client.send("PATCH", "/jobs/job-1?" + V, "{\"priority\":7}");
    assertEquals(200, patched.status(), patched.text());
    assertNotEquals(job.header("ETag"), patched.header("ETag"));
    assertEquals(7, client.send("GET", "/jobs/job-1?" + V, null).json().get("priority").intValue());

    SignedClient.Reply one = client.send("POST", "/jobs/job-1/tasks?" + V,
        "{\"id\":\"t-000\",\"commandLine\":\"echo hi\",\"resourceFiles\":[{\"httpUrl\":\"http://x/y\",\"filePath\":\"y\"}]}");
    assertEquals(201, one.status(), one.text());
    assertEquals(server.baseUrl + "/jobs/job-1/tasks/t-000", one.header("DataServiceId"));
    assertError(client.send("POST", "/jobs/job-1/tasks?" + V, "{\"id\":\"T-000\",\"commandLine\":\"x\"}"), 409, "TaskExists");
    assertError(client.send("POST", "/jobs/nojob/tasks?" + V, "{\"id\":\"t\",\"commandLine\":\"x\"}"), 404, "JobNotFound");

    StringBuilder tooMany = new StringBuilder("{\"value\":[");
    for (int i = 0; i < 101; i++) {
      tooMany.append(i == 0 ? "" : ",").append("{\"id\":\"x").append(i).append("\",\"commandLine\":\"true\"}");
    }
    assertError(client.send("POST", "/jobs/job-1/addtaskcollection?" + V, tooMany + "]}"), 413, "RequestBodyTooLarge");

    StringBuilder coll = new StringBuilder("{\"value\":[");
    for (int i = 1; i <= 5; i++) {
      coll.append(i == 1 ? "" : ",").append("{\"id\":\"t-00").append(i).append("\",\"commandLine\":\"true\"}");
    }
    coll.append(",{\"id\":\"t-000\",\"commandLine\":\"true\"},{\"id\":\"bad id\",\"commandLine\":\"true\"},{\"id\":\"t-nocmd\"}]}");
    SignedClient.Reply added = client.send("POST", "/jobs/job-1/addtaskcollection?" + V, coll.toString());
    assertEquals(200, added.status(), added.text());
    JsonNode results = added.json().get("value");
    assertEquals(8, results.size());
    assertEquals("success", results.at("/0/status").textValue());
    assertEquals(server.baseUrl + "/jobs/job-1/tasks/t-001", results.at("/0/location").textValue());
    assertEquals("clienterror", results.at("/5/status").textValue());
    assertEquals("TaskExists", results.at("/5/error/code").textValue());
    assertEquals("InvalidPropertyValue", results.at("/6/error/code").textValue());
    assertEquals("MissingRequiredProperty", results.at("/7/error/code").textValue());

    // Paging: 6 tasks, 4 pages of at most 2 via odata.nextLink (which keeps api-version).
    Set<String> seen = new HashSet<>();
    SignedClient.Reply page = client.send("GET", "/jobs/job-1/tasks?" + V + "&maxresults=2", null);
    int pages = 0;
    while (true) {
      assertEquals(200, page.status(), page.text());
      pages++;
      for (JsonNode t : page.json().get("value")) {
        assertTrue(seen.add(t.get("id").textValue()), "no task twice");
      }
      JsonNode next = page.json().get("odata.nextLink");
      if (next == null) {
        break;
      }
      assertTrue(next.textValue().contains("api-version=2024-07-01.20.0"), next.textValue());
      page = client.follow(next.textValue());
    }
    assertEquals(6, seen.size());
    assertEquals(3, pages);
    JsonNode filtered = client.send("GET", "/jobs/job-1/tasks?" + V + "&$filter=state%20eq%20'active'&$select=id", null).json();
    assertEquals(6, filtered.get("value").size());

    JsonNode t = client.send("GET", "/jobs/job-1/tasks/t-000?" + V, null).json();
    assertEquals("active", t.get("state").textValue());
    assertEquals("echo hi", t.get("commandLine").textValue());
    assertEquals("http://x/y", t.at("/resourceFiles/0/httpUrl").textValue());
    assertEquals(0, t.at("/executionInfo/retryCount").intValue());

    JsonNode counts = client.send("GET", "/jobs/job-1/taskcounts?" + V, null).json();
    assertEquals(6, counts.at("/taskCounts/active").intValue());
    assertEquals(6, counts.at("/taskSlotCounts/active").intValue());

    JsonNode files = client.send("GET", "/jobs/job-1/tasks/t-000/files?" + V + "&recursive=true", null).json();
    assertEquals(0, files.get("value").size());
    assertError(client.send("GET", "/jobs/job-1/tasks/t-000/files/stdout.txt?" + V, null), 404, "FileNotFound");

    SignedClient.Reply terminated = client.send("POST", "/jobs/job-1/tasks/t-001/terminate?" + V, null);
    assertEquals(204, terminated.status(), terminated.text());
    assertEquals("completed", client.send("GET", "/jobs/job-1/tasks/t-001?" + V, null).json().get("state").textValue());
    assertEquals(200, client.send("DELETE", "/jobs/job-1/tasks/t-002?" + V, null).status());
    assertError(client.send("GET", "/jobs/job-1/tasks/t-002?" + V, null), 404, "TaskNotFound");

    // $filter with the OData grammar, $select with nested paths, on a job whose tasks changed state.
    JsonNode q = client.send("GET", "/jobs/job-1/tasks?" + V + "&$filter="
        + enc("state eq 'completed' or (startswith(id,'t-00') and not (id eq 't-000' or id eq 't-003'))")
        + "&$select=" + enc("id,executionInfo/retryCount"), null).json();
    Set<String> ids = new HashSet<>();
    q.get("value").forEach(x -> ids.add(x.get("id").textValue()));
    assertEquals(Set.of("t-001", "t-004", "t-005"), ids, q.toString());
    JsonNode first = q.get("value").get(0);
    assertEquals(2, first.size(), first.toString());
    assertEquals(1, first.get("executionInfo").size(), first.toString());
    assertTrue(first.at("/executionInfo/retryCount").isNumber());
    q = client.send("GET", "/jobs/job-1/tasks?" + V + "&$filter="
        + enc("creationTime gt DateTime'2020-01-01T00:00:00Z' and executionInfo/retryCount le 0 and state ne 'completed'"), null).json();
    assertEquals(4, q.get("value").size(), q.toString());
    q = client.send("GET", "/jobs/job-1/tasks?" + V + "&$filter=" + enc("creationTime lt DateTime'2020-01-01T00:00:00Z'"), null).json();
    assertEquals(0, q.get("value").size(), q.toString());
    q = client.send("GET", "/jobs?" + V + "&$filter=" + enc("poolInfo/poolId eq 'pool-jobs' and id eq 'job-1'") + "&$select=id", null).json();
    assertEquals(1, q.get("value").size(), q.toString());

    SignedClient.Reply echoed = client.send("GET", "/jobs/job-1?" + V, null,
        Map.of("client-request-id", "9C4D50EE-2D56-4CD3-8152-34347DC9F2B0", "return-client-request-id", "true"), true);
    assertEquals("9C4D50EE-2D56-4CD3-8152-34347DC9F2B0", echoed.header("client-request-id"));
    assertNull(client.send("GET", "/jobs/job-1?" + V, null,
        Map.of("client-request-id", "x"), true).header("client-request-id"));

    SignedClient.Reply ended = client.send("POST", "/jobs/job-1/terminate?" + V, "{\"terminateReason\":\"enough\"}");
    assertEquals(202, ended.status(), ended.text());
    JsonNode done = client.send("GET", "/jobs/job-1?" + V, null).json();
    assertEquals("completed", done.get("state").textValue());
    assertEquals("enough", done.at("/executionInfo/terminateReason").textValue());
    assertEquals(202, client.send("DELETE", "/jobs/job-1?" + V, null).status());
  }
}
