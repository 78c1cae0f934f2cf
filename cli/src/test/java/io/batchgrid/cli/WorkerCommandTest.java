package io.batchgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ParseResult;

class WorkerCommandTest {

  private static WorkerCommand parse(String... args) {
    ParseResult result = Main.commandLine().parseArgs(args);
    assertTrue(result.hasSubcommand());
    return assertInstanceOf(WorkerCommand.class, result.subcommand().commandSpec().userObject());
  }

  @Test
  void aWorkerJoinsThroughItsSeedWithRoleWorker() {
    WorkerCommand w = parse("worker", "--seed", "10.0.0.5:25520", "--pool", "p1", "--node", "n1", "--slots", "4",
        "--data", "/srv/data", "--bind", "10.0.0.7", "--cluster-port", "25530");
    Config c = w.config(ConfigFactory.load());
    assertEquals(List.of("worker"), c.getStringList("pekko.cluster.roles"));
    assertEquals(List.of("pekko://batchgrid@10.0.0.5:25520"), c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("10.0.0.7", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(25530, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("/srv/data", c.getString("batchgrid.data-dir"));
    assertEquals(4, w.slots);
    // A worker hosts no entities: sharding is for coordinators.
    assertEquals("coordinator", c.getString("pekko.cluster.sharding.role"));
  }

  @Test
  void aWorkerJudgesNoMemberAndCoordinatorsWatchEveryMember() throws Exception {
    WorkerCommand w = parse("worker", "--seed", "10.0.0.5:25520", "--pool", "p1", "--node", "n1");
    Config c = w.config(ConfigFactory.load());
    // A worker never marks a member unreachable, so its view never downs a coordinator ...
    assertEquals(io.batchgrid.worker.NonVotingFailureDetector.class.getName(),
        c.getString("pekko.cluster.failure-detector.implementation-class"));
    org.apache.pekko.remote.FailureDetector detector = new io.batchgrid.worker.NonVotingFailureDetector(
        c.getConfig("pekko.cluster.failure-detector"), null);
    assertFalse(detector.isMonitoring());
    detector.heartbeat();
    assertTrue(detector.isMonitoring());
    assertTrue(detector.isAvailable(), "no heartbeat for ever: still available");
    // ... and the members that judge heartbeat every member, so none is watched by workers alone.
    Config server = ConfigFactory.load();
    assertEquals("org.apache.pekko.remote.PhiAccrualFailureDetector",
        server.getString("pekko.cluster.failure-detector.implementation-class"));
    assertTrue(server.getInt("pekko.cluster.failure-detector.monitored-by-nr-of-members") >= 10_000);
  }

  @Test
  void theSeedFileWinsOnceItExistsAndIsReadAgainForEveryJoin(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("cluster.seed");
    WorkerCommand w = parse("worker", "--seed", "127.0.0.1:25520", "--seed-file", file.toString(), "--pool", "p",
        "--node", "n", "--labels", "gpu,linux");
    assertEquals(List.of("127.0.0.1:25520"), w.currentSeeds(), "no file yet: the command line's seed");
    Files.writeString(file, "127.0.0.1:41234\n");
    assertEquals(List.of("127.0.0.1:41234"), w.currentSeeds());
    assertEquals(List.of("pekko://batchgrid@127.0.0.1:41234"),
        w.config(ConfigFactory.load(), w.currentSeeds()).getStringList("pekko.cluster.seed-nodes"));
    Files.writeString(file, "10.0.0.5:25520, 10.0.0.6:25520\n10.0.0.7:25520\n");
    assertEquals(List.of("10.0.0.5:25520", "10.0.0.6:25520", "10.0.0.7:25520"), w.currentSeeds());
    assertEquals(List.of("gpu", "linux"), w.labels);
    // A join attempt gives up after a while so that the next one reads the seed again.
    assertEquals("10s", w.config(ConfigFactory.load()).getString("pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes"));
  }

  @Test
  void aWorkerOfSeveralCoordinatorsJoinsThroughAnyOfThemAndServesManagement() {
    WorkerCommand w = parse("worker", "--seed", "10.0.0.5:25520", "--seed", "10.0.0.6:25521", "--pool", "p",
        "--node", "n", "--management-port", "7700");
    Config c = w.config(ConfigFactory.load());
    assertEquals(List.of("pekko://batchgrid@10.0.0.5:25520", "pekko://batchgrid@10.0.0.6:25521"),
        c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(7700, c.getInt("pekko.management.http.port"));
    assertEquals("127.0.0.1", c.getString("pekko.management.http.hostname"));
  }

  @Test
  void theSeedMustBeHostAndPort() {
    assertThrows(IllegalArgumentException.class, () -> WorkerCommand.seedAddress("localhost"));
    assertThrows(IllegalArgumentException.class, () -> WorkerCommand.seedAddress("localhost:0"));
    assertEquals("pekko://batchgrid@[::1]:2552", WorkerCommand.seedAddress("[::1]:2552"));
  }

  @Test
  void theServerTakesANodeProviderAndAClusterPort() {
    ServerCommand s = assertInstanceOf(ServerCommand.class, Main.commandLine()
        .parseArgs("server", "--node-provider", "local-process", "--cluster-port", "25520")
        .subcommand().commandSpec().userObject());
    assertEquals("local-process", s.overrides().get("batchgrid.node-provider"));
    assertEquals(25520, s.overrides().get("pekko.remote.artery.canonical.port"));
  }
}
