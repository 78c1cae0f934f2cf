package io.batchgrid.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.batch.protocol.models.CloudTask;
import com.microsoft.azure.batch.protocol.models.ComputeNode;
import com.microsoft.azure.batch.protocol.models.ComputeNodeState;
import com.microsoft.azure.batch.protocol.models.ImageReference;
import com.microsoft.azure.batch.protocol.models.PoolAddParameter;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskCounts;
import com.microsoft.azure.batch.protocol.models.TaskState;
import com.microsoft.azure.batch.protocol.models.VirtualMachineConfiguration;


/**
 * Two {@code batchgrid coordinator} JVMs (static node provider) on one PostgreSQL journal, one
 * {@code batchgrid api} JVM, and two operator-started {@code batchgrid worker} JVMs claimed by one
 * pool; one of them binds 127.0.0.2, as a worker on another machine would have its own address. Two
 * jobs share the pool, one hosted by each coordinator (found through Pekko Management's
 * {@code /cluster/shards/...}). While every slot runs a task, one coordinator is killed with
 * SIGKILL:
 *
 * <ul>
 *   <li>{@link #theCoordinatorHostingThePoolDies}: the pool moves to the survivor, with one job (the
 *       one hosted beside it) while the other job stays where it was;
 *   <li>{@link #aCoordinatorHostingOnlyAJobDies}: that job moves while the pool and the other job
 *       stay.
 * </ul>
 *
 * Either way the workers stay in the cluster with the same processes and keep their tasks running;
 * they register with the pool wherever it runs now, the outcomes of the tasks that ended while the
 * entities moved are counted once, the tasks that run across the kill finish on the node they
 * started on without being requeued or run again (the ledger has every id once), and the nodes take
 * new work. The workers' own Pekko Management endpoints answer throughout.
 */
class MultiCoordinatorWorkersTest {
  private static final Pattern ENTITIES = Pattern.compile("\"numEntities\"\\s*:\\s*(\\d+)");
  /** Per job: tasks that wait for the test's gate (they run across the kill and the move). */
  private static final List<String> LONG = List.of("long-0", "long-1");
  /** Per job: a task that ends a moment after the kill, while its job (or pool) moves. */
  private static final String ENDS_WHILE_MOVING = "end-0";
  private static final int AFTER = 6;

  @TempDir Path tmp;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<Process> workers = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    WorkerJvm.stopAll(workers);
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void theCoordinatorHostingThePoolDies() throws Exception {
    run(true);
  }

  @Test
  void aCoordinatorHostingOnlyAJobDies() throws Exception {
    run(false);
  }

  private void run(boolean killPoolHost) throws Exception {
    CoordinatorPair cluster = CoordinatorPair.start(tmp, "workers", Map.of("BATCHGRID_NODE_PROVIDER", "static"), closing);
    List<String> seeds = cluster.seeds();
    Map<String, Integer> management = cluster.management();
    Map<String, MemberProcess> coordinators = cluster.coordinators();
    int apiPort = cluster.apiPort();
    BatchClient client = BatchClient.open(new BatchSharedKeyCredentials("http://127.0.0.1:" + apiPort,
        ServerProcess.ACCOUNT, ServerProcess.KEY));

    client.poolOperations().createPool(new PoolAddParameter().withId("mc-pool").withVmSize("standard_d2s_v3")
        .withVirtualMachineConfiguration(new VirtualMachineConfiguration()
            .withImageReference(new ImageReference().withPublisher("canonical").withOffer("0001-com-ubuntu-server-jammy").withSku("22_04-lts"))
            .withNodeAgentSKUId("batch.node.ubuntu 22.04"))
        .withTargetDedicatedNodes(2).withTaskSlotsPerNode(3));

    // Two workers as an operator starts them, each with every coordinator as a seed and the journal
    // kind of the cluster (its split-brain settings follow it); box-2 on an address of its own.
    Map<String, Integer> workerManagement = new LinkedHashMap<>();
    Map<String, String> workerHost = Map.of("box-1", "127.0.0.1", "box-2", "127.0.0.2");
    for (String box : List.of("box-1", "box-2")) {
      int mgmt = MemberProcess.freePort();
      workerManagement.put(box, mgmt);
      List<String> args = new ArrayList<>(seeds);
      args.addAll(List.of("--pool", "mc-pool", "--node", box, "--slots", "3", "--bind", workerHost.get(box),
          "--management-port", Integer.toString(mgmt)));
      workers.add(WorkerJvm.start(tmp.resolve("machines").resolve(box), Map.of("BATCHGRID_JOURNAL", "postgres"),
          args.toArray(String[]::new)));
    }
    await("both workers claimed").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().until(() -> states(client).equals(Map.of("box-1", ComputeNodeState.IDLE, "box-2", ComputeNodeState.IDLE)));
    for (ComputeNode n : client.computeNodeOperations().listComputeNodes("mc-pool")) {
      assertEquals(workerHost.get(n.id()), n.ipAddress(), "the node's address is its worker's cluster host: " + n.id());
    }
    // Each worker serves Pekko Management: alive, ready (Up), and the whole cluster's membership.
    for (int port : workerManagement.values()) {
      assertEquals(200, get(port, "/alive").statusCode());
      // A health check that times out on a loaded machine answers 500: asked again.
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertEquals(200, get(port, "/ready").statusCode()));
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        String members = get(port, "/cluster/members").body();
        assertEquals(5, count(members, "\"Up\""), members);
        assertEquals(2, count(members, "\"roles\":[\"worker\""), members);
      });
    }
    List<Long> pids = workers.stream().map(Process::pid).toList();

    String poolHost = await("the pool's entity hosted").atMost(Duration.ofSeconds(30))
        .until(() -> host(management, "Pool"), h -> h != null);
    // One job on each coordinator: create jobs until both host one (the shard of an id is its hash).
    Map<String, String> jobOn = new TreeMap<>();
    int created = 0;
    for (int i = 0; jobOn.size() < 2; i++) {
      assertTrue(i < 24, "24 jobs and still not one on each coordinator: " + jobOn);
      Map<String, Integer> before = entities(management, "Job");
      String id = "mc-job-" + i;
      client.jobOperations().createJob(id, new PoolInformation().withPoolId("mc-pool"));
      String on = await().atMost(Duration.ofSeconds(30)).until(() -> grewOn(before, entities(management, "Job")), h -> h != null);
      jobOn.putIfAbsent(on, id);
      created++;
    }
    int jobEntities = created;
    String victimName = killPoolHost ? poolHost : other(poolHost);
    String survivor = other(victimName);
    List<String> jobs = List.copyOf(jobOn.values());

    Path ledger = tmp.resolve("ledger.txt");
    Path killed = tmp.resolve("killed");
    Path gate = tmp.resolve("gate");
    for (String job : jobs) {
      List<TaskAddParameter> tasks = new ArrayList<>();
      for (String id : LONG) {
        tasks.add(task(id, "while [ ! -e " + gate + " ]; do sleep 0.1; done", ledger));
      }
      tasks.add(task(ENDS_WHILE_MOVING, "while [ ! -e " + killed + " ]; do sleep 0.1; done; sleep 1", ledger));
      client.taskOperations().createTasks(job, tasks);
    }
    // Six tasks on six slots: every one runs at the kill.
    await("every task running").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
        jobs.stream().allMatch(j -> counts(client, j).running() == 1 + LONG.size()));
    Map<String, String> nodeOfTask = new HashMap<>();
    for (String job : jobs) {
      for (CloudTask t : client.taskOperations().listTasks(job)) {
        nodeOfTask.put(job + "/" + t.id(), t.nodeInfo().nodeId());
      }
    }

    coordinators.get(victimName).kill9();
    long killedAt = System.nanoTime();
    Files.writeString(killed, "");

    // The survivor downs the dead coordinator and hosts every pool and job entity; the ones that ended
    // while their entities moved are counted once.
    await("the survivor hosts the pool and both jobs").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
        .until(() -> entities(Map.of(survivor, management.get(survivor)), "Pool").getOrDefault(survivor, 0) == 1
            && entities(Map.of(survivor, management.get(survivor)), "Job").getOrDefault(survivor, 0) == jobEntities);
    await("the tasks that ended meanwhile counted").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().until(() -> jobs.stream().allMatch(j -> counts(client, j).completed() == 1));
    double countedAfter = (System.nanoTime() - killedAt) / 1e9;
    // The nodes are registered with the pool wherever it runs now and still run the long tasks.
    await("the nodes registered again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().until(() -> states(client).equals(Map.of("box-1", ComputeNodeState.RUNNING, "box-2", ComputeNodeState.RUNNING)));
    double registeredAfter = (System.nanoTime() - killedAt) / 1e9;
    for (String job : jobs) {
      TaskCounts c = counts(client, job);
      assertEquals(LONG.size(), c.running(), job + ": the long tasks stay running, not requeued");
      assertEquals(0, c.active(), job);
    }
    assertEquals(pids, workers.stream().filter(Process::isAlive).map(Process::pid).toList(), "the same worker processes live on");
    assertTrue(ledgerLines(ledger).stream().noneMatch(l -> LONG.stream().anyMatch(l::endsWith)), "the long tasks still run");

    Files.writeString(gate, "");
    await("the long tasks counted").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
        jobs.stream().allMatch(j -> counts(client, j).completed() == 1 + LONG.size()));

    // The nodes take new work.
    for (String job : jobs) {
      List<TaskAddParameter> more = new ArrayList<>();
      for (int i = 0; i < AFTER; i++) {
        more.add(task("after-" + i, "true", ledger));
      }
      client.taskOperations().createTasks(job, more);
    }
    int total = 1 + LONG.size() + AFTER;
    await("the new tasks completed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
        jobs.stream().allMatch(j -> counts(client, j).completed() == total));

    List<String> lines = ledgerLines(ledger);
    for (String job : jobs) {
      TaskCounts c = counts(client, job);
      assertEquals(total, c.completed(), job);
      assertEquals(total, c.succeeded(), job);
      assertEquals(0, c.failed(), job);
      assertEquals(0, c.running(), job);
      assertEquals(0, c.active(), job);
      List<CloudTask> all = client.taskOperations().listTasks(job);
      assertEquals(total, all.size(), job);
      for (CloudTask t : all) {
        String key = job + "/" + t.id();
        assertEquals(TaskState.COMPLETED, t.state(), key);
        assertEquals(Integer.valueOf(0), t.executionInfo().exitCode(), key);
        assertEquals(0, t.executionInfo().retryCount(), key);
        assertEquals(1, lines.stream().filter(key::equals).count(), "ran exactly once: " + key + " in " + lines);
        if (!t.id().startsWith("after-")) {
          assertEquals(0, t.executionInfo().requeueCount(), "not requeued: " + key);
          assertEquals(nodeOfTask.get(key), t.nodeInfo().nodeId(), "finished where it started: " + key);
        }
      }
    }
    assertEquals(jobs.size() * total, lines.size(), "nothing else ran: " + lines);
    // Every slot is the pool's to give again: six tasks of a new job run at once, each waiting for
    // all six to have started (a slot still counted as leased to a job from before would leave
    // three of them waiting, and they would fail).
    Path wide = Files.createDirectories(tmp.resolve("wide"));
    client.jobOperations().createJob("mc-wide", new PoolInformation().withPoolId("mc-pool"));
    List<TaskAddParameter> six = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      six.add(new TaskAddParameter().withId("wide-" + i).withCommandLine("/bin/sh -c 'touch " + wide
          + "/$AZ_BATCH_TASK_ID; i=0; while [ $(ls " + wide + " | wc -l) -lt 6 ]; do i=$((i+1));"
          + " if [ $i -gt 900 ]; then exit 1; fi; sleep 0.1; done'"));
    }
    client.taskOperations().createTasks("mc-wide", six);
    await("six tasks at once").atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(250)).until(() ->
        counts(client, "mc-wide").completed() == 6);
    assertEquals(6, counts(client, "mc-wide").succeeded(), "all six ran at the same time on the six slots");
    await("the nodes idle").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() ->
        states(client).equals(Map.of("box-1", ComputeNodeState.IDLE, "box-2", ComputeNodeState.IDLE)));
    assertEquals(pids, workers.stream().filter(Process::isAlive).map(Process::pid).toList(), "no worker restarted");
    assertTrue(coordinators.get(survivor).isAlive(), coordinators.get(survivor).output());
    // The workers' management still answers, and shows the cluster without the dead coordinator.
    for (int port : workerManagement.values()) {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertEquals(200, get(port, "/ready").statusCode()));
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
          assertEquals(4, count(get(port, "/cluster/members").body(), "\"node\"")));
    }
    System.out.printf("multi-coordinator with workers (%s): killed coordinator-%s (pool on %s, jobs %s);"
        + " tasks that ended meanwhile counted %.1f s after the kill, nodes registered again after %.1f s;"
        + " %d task(s) ran twice%n", killPoolHost ? "pool host" : "job host", victimName, poolHost, jobOn,
        countedAfter, registeredAfter, lines.size() - jobs.size() * total);
  }

  private static String other(String name) {
    return name.equals("a") ? "b" : "a";
  }

  private static TaskAddParameter task(String id, String script, Path ledger) {
    return new TaskAddParameter().withId(id)
        .withCommandLine("/bin/sh -c '" + script + "; echo $AZ_BATCH_JOB_ID/$AZ_BATCH_TASK_ID >> " + ledger + "'");
  }

  private static List<String> ledgerLines(Path ledger) throws Exception {
    return Files.exists(ledger) ? Files.readAllLines(ledger, StandardCharsets.UTF_8) : List.of();
  }

  private static TaskCounts counts(BatchClient client, String job) {
    try {
      return client.jobOperations().getTaskCounts(job);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, ComputeNodeState> states(BatchClient client) throws Exception {
    Map<String, ComputeNodeState> out = new TreeMap<>();
    for (ComputeNode n : client.computeNodeOperations().listComputeNodes("mc-pool")) {
      out.put(n.id(), n.state());
    }
    return out;
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

  /** The entities of a type each coordinator hosts ({@code /cluster/shards/TYPE}); one that does not answer at all is left out. */
  static Map<String, Integer> entities(Map<String, Integer> management, String type) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Map<String, Integer> out = new TreeMap<>();
    for (Map.Entry<String, Integer> e : management.entrySet()) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + e.getValue() + "/cluster/shards/" + type)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        int sum = 0; // a coordinator without a region of the type yet answers 500: none
        Matcher m = ENTITIES.matcher(r.body());
        while (m.find()) {
          sum += Integer.parseInt(m.group(1));
        }
        out.put(e.getKey(), sum);
      } catch (Exception ex) {
        // not answering
      }
    }
    return out;
  }

  /** The coordinator hosting an entity of this type (the first that hosts any), or null. */
  private static String host(Map<String, Integer> management, String type) {
    return entities(management, type).entrySet().stream().filter(e -> e.getValue() > 0).map(Map.Entry::getKey)
        .findFirst().orElse(null);
  }

  /** The coordinator whose count grew by one since {@code before}, or null while none has. */
  static String grewOn(Map<String, Integer> before, Map<String, Integer> now) {
    for (Map.Entry<String, Integer> e : now.entrySet()) {
      if (e.getValue() > before.getOrDefault(e.getKey(), 0)) {
        return e.getKey();
      }
    }
    return null;
  }
}
