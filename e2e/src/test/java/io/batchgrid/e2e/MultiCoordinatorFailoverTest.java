package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.TaskState;


/**
 * Two {@code batchgrid coordinator} JVMs on one PostgreSQL journal, one {@code batchgrid api} JVM,
 * driven by the official Java SDK. While the job runs, the coordinator that hosts the job's entity
 * (found through Pekko Management's {@code /cluster/shards/Job}) is killed with SIGKILL. The
 * survivor downs it, takes over its entities from the shared journal, and the job completes through
 * the same API node: every task added is there, each completes once in the job's counts, and each
 * ran (the ledger holds every id; an attempt cut off by the kill may have run twice).
 */
class MultiCoordinatorFailoverTest {
  private static final int TASKS = 60;

  @TempDir Path tmp;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void theJobCompletesOnTheSurvivingCoordinatorCountingEveryTaskOnce() throws Exception {
    CoordinatorPair cluster = CoordinatorPair.start(tmp, "failover", Map.of(), closing);
    Map<String, Integer> management = cluster.management();
    Map<String, MemberProcess> coordinators = cluster.coordinators();
    int apiPort = cluster.apiPort();
    int apiManagement = cluster.apiManagement();

    assertEquals(200, get(apiManagement, "/ready").statusCode());
    assertEquals(200, get(apiManagement, "/alive").statusCode());
    // The api is Up in its own view when it says ready; a coordinator sees it Up once gossip has
    // converged there, a moment later.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      String members = get(management.get("a"), "/cluster/members").body();
      assertEquals(3, count(members, "\"node\""), members);
      assertEquals(3, count(members, "\"Up\""), members);
      assertTrue(members.contains("\"api\"") && members.contains("\"coordinator\""), members);
    });

    BatchClient client = BatchClient.open(new BatchSharedKeyCredentials("http://127.0.0.1:" + apiPort,
        ServerProcess.ACCOUNT, ServerProcess.KEY));
    Path ledger = tmp.resolve("ledger.txt");
    Files.createFile(ledger);
    Pools.create(client, "fo-pool", 2, 2);
    client.jobOperations().createJob("fo-job", new PoolInformation().withPoolId("fo-pool"));
    List<TaskAddParameter> tasks = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      tasks.add(new TaskAddParameter().withId("t" + i)
          .withCommandLine("/bin/sh -c 'sleep 0.3; echo $AZ_BATCH_TASK_ID >> " + ledger + "'"));
    }
    client.taskOperations().createTasks("fo-job", tasks); // acknowledged: all 60 are in PostgreSQL
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
        client.jobOperations().getTaskCounts("fo-job").completed() >= 8);

    String host = await("the job's entity hosted").atMost(Duration.ofSeconds(30)).until(() -> jobHost(management),
        h -> h != null);
    MemberProcess victim = coordinators.get(host);
    String survivor = host.equals("a") ? "b" : "a";
    TaskCounts before = client.jobOperations().getTaskCounts("fo-job");
    assertTrue(before.completed() < TASKS, "the job must still be running when its coordinator dies: " + before.completed());
    victim.kill9();

    // The survivor downs the dead coordinator and starts the job (and whatever else it hosted) again.
    await("the job completes on the survivor").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
        .ignoreExceptions().until(() -> client.jobOperations().getTaskCounts("fo-job").completed() == TASKS);
    assertTrue(coordinators.get(survivor).isAlive(), coordinators.get(survivor).output());
    assertEquals(survivor, jobHost(Map.of(survivor, management.get(survivor))), "the survivor hosts the job now");
    // The dead coordinator was downed and removed: the survivor and the API node are left.
    await().atMost(Duration.ofSeconds(30)).until(() -> count(get(management.get(survivor), "/cluster/members").body(), "\"node\""),
        n -> n == 2);
    assertEquals(200, get(management.get(survivor), "/ready").statusCode());

    TaskCounts counts = client.jobOperations().getTaskCounts("fo-job");
    assertEquals(TASKS, counts.completed());
    assertEquals(TASKS, counts.succeeded());
    assertEquals(0, counts.failed());
    assertEquals(0, counts.active());
    assertEquals(0, counts.running());
    List<CloudTask> listed = client.taskOperations().listTasks("fo-job");
    assertEquals(TASKS, listed.size(), "every acknowledged task is there");
    for (CloudTask t : listed) {
      assertEquals(TaskState.COMPLETED, t.state(), t.id());
      assertEquals(0, t.executionInfo().exitCode(), t.id());
      assertEquals(0, t.executionInfo().retryCount(), t.id() + " spent no retry");
    }
    Set<String> ran = new TreeSet<>(Files.readAllLines(ledger));
    Set<String> expected = new TreeSet<>();
    for (int i = 0; i < TASKS; i++) {
      expected.add("t" + i);
    }
    assertEquals(expected, ran, "every task ran");
    int lines = Files.readAllLines(ledger).size();
    System.out.println("multi-coordinator failover: killed coordinator-" + host + " with " + before.completed()
        + " of " + TASKS + " completed; " + (lines - TASKS) + " task(s) ran twice");
  }

  /**
   * The coordinator hosting the pool (and so its in-process nodes) dies while a job hosted by the
   * other one runs tasks on those nodes. The pool starts again on the survivor with new nodes of
   * the same ids, which know nothing of the job; the job, which stayed, sees the agents it ran
   * tasks on stop, requeues those tasks without spending a retry, and completes, every task counted
   * once.
   */
  @Test
  void aJobOnTheSurvivorGetsBackTheTasksThatRanOnTheDeadCoordinatorsNodes() throws Exception {
    CoordinatorPair cluster = CoordinatorPair.start(tmp, "poolhost", Map.of(), closing);
    Map<String, Integer> management = cluster.management();
    Map<String, MemberProcess> coordinators = cluster.coordinators();
    int apiPort = cluster.apiPort();
    BatchClient client = BatchClient.open(new BatchSharedKeyCredentials("http://127.0.0.1:" + apiPort,
        ServerProcess.ACCOUNT, ServerProcess.KEY));

    Pools.create(client, "ph-pool", 2, 2);
    String poolHost = await().atMost(Duration.ofSeconds(30)).until(() -> MultiCoordinatorWorkersTest.entities(management, "Pool")
        .entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey).findFirst().orElse(null), h -> h != null);
    String survivor = poolHost.equals("a") ? "b" : "a";
    // A job hosted by the survivor: create jobs until one lands there.
    String job = null;
    for (int i = 0; job == null; i++) {
      assertTrue(i < 24, "24 jobs and none on coordinator-" + survivor);
      Map<String, Integer> before = MultiCoordinatorWorkersTest.entities(management, "Job");
      String id = "ph-job-" + i;
      client.jobOperations().createJob(id, new PoolInformation().withPoolId("ph-pool"));
      String on = await().atMost(Duration.ofSeconds(30)).until(() ->
          MultiCoordinatorWorkersTest.grewOn(before, MultiCoordinatorWorkersTest.entities(management, "Job")), h -> h != null);
      job = on.equals(survivor) ? id : null;
    }
    String jobId = job;
    Path ledger = tmp.resolve("ph-ledger.txt");
    List<TaskAddParameter> tasks = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      tasks.add(new TaskAddParameter().withId("t" + i)
          .withCommandLine("/bin/sh -c 'sleep 3; echo $AZ_BATCH_TASK_ID >> " + ledger + "'"));
    }
    client.taskOperations().createTasks(jobId, tasks);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
        client.jobOperations().getTaskCounts(jobId).running() > 0);

    coordinators.get(poolHost).kill9();
    await("the job completes").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
        .until(() -> client.jobOperations().getTaskCounts(jobId).completed() == 8);
    TaskCounts counts = client.jobOperations().getTaskCounts(jobId);
    assertEquals(8, counts.succeeded());
    assertEquals(0, counts.failed());
    for (CloudTask t : client.taskOperations().listTasks(jobId)) {
      assertEquals(TaskState.COMPLETED, t.state(), t.id());
      assertEquals(0, t.executionInfo().retryCount(), t.id() + " spent no retry");
    }
    assertEquals(8, new TreeSet<>(Files.readAllLines(ledger)).size(), "every task ran");
    assertTrue(coordinators.get(survivor).isAlive(), coordinators.get(survivor).output());
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private static final Pattern ENTITIES = Pattern.compile("\"numEntities\"\\s*:\\s*(\\d+)");

  /** The coordinator whose Job shard region holds an entity (the test has one job), or null. */
  private static String jobHost(Map<String, Integer> management) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    for (Map.Entry<String, Integer> e : management.entrySet()) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + e.getValue() + "/cluster/shards/Job")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        Matcher m = ENTITIES.matcher(r.body());
        while (m.find()) {
          if (Integer.parseInt(m.group(1)) > 0) {
            return e.getKey();
          }
        }
      } catch (Exception ex) {
        // not answering: not the host
      }
    }
    return null;
  }
}
