package io.batchgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OverridesTest {

  @Test
  void keepsOnlyTheOptionsThatWereGivenPathsAsStrings() {
    Map<String, Object> o = new Overrides()
        .put("batchgrid.data-dir", Path.of("/srv/batchgrid"))
        .put("batchgrid.api.bind", null)
        .put("batchgrid.api.port", 9000)
        .map();
    assertEquals(Map.of("batchgrid.data-dir", "/srv/batchgrid", "batchgrid.api.port", 9000), o);
  }

  @Test
  void aClusterPortReachesArteryTooAndAMissingOneNeither() {
    assertEquals(Map.of(ServerConfig.CLUSTER_PORT, 25520, ServerConfig.ARTERY_PORT, 25520),
        new Overrides().clusterPort(25520).map());
    assertEquals(Map.of(), new Overrides().clusterPort(null).clusterHost(null).map());
  }

  @Test
  void coordinatorAndApiCommandsMapTheirOptions() {
    CoordinatorCommand coordinator = new CoordinatorCommand();
    new picocli.CommandLine(coordinator).parseArgs("--cluster-host", "10.0.0.5", "--cluster-port", "25520",
        "--journal", "postgres", "--data", "/srv/c1");
    assertEquals("10.0.0.5", coordinator.overrides().get("pekko.remote.artery.canonical.hostname"));
    assertEquals(25520, coordinator.overrides().get(ServerConfig.ARTERY_PORT));
    assertEquals("postgres", coordinator.overrides().get("batchgrid.journal"));
    assertEquals("/srv/c1", coordinator.overrides().get("batchgrid.data-dir"));

    ApiCommand api = new ApiCommand();
    new picocli.CommandLine(api).parseArgs("--seed", "10.0.0.5:25520", "--port", "8443", "--allow-plain-http");
    assertEquals(Map.of("batchgrid.api.port", 8443, "batchgrid.api.allow-plain-http", true), api.overrides());
  }
}
