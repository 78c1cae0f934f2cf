package io.batchgrid.coordinator;

import java.nio.file.Path;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/** Configuration of a one-member cluster for tests: real sharding, in-memory or LevelDB journal. */
public final class TestCluster {
  private TestCluster() {}

  public static Config config(Path snapshots) {
    return ConfigFactory.parseString(String.join("\n",
        "pekko.actor.provider = cluster",
        "pekko.remote.artery.canonical.hostname = 127.0.0.1",
        "pekko.remote.artery.canonical.port = 0",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
        "pekko.cluster.sharding.passivation.strategy = none",
        "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"",
        "pekko.persistence.journal.inmem.test-serialization = on",
        "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.snapshot-store.local\"",
        "pekko.persistence.snapshot-store.local.dir = \"" + snapshots.toAbsolutePath() + "\"",
        "pekko.loglevel = INFO",
        // Stopping a system with sharding and real processes can take more than the default 10 s on a
        // loaded machine; that is not what these tests check.
        "pekko.actor.testkit.typed.system-shutdown-default = 60s"));
  }

  /** A check that may throw (asks that fail, assertions). */
  @FunctionalInterface
  public interface Check {
    void run() throws Exception;
  }

  /** Retries {@code check} until it passes or {@code max} has passed; then fails with its last error. */
  public static void eventually(org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit kit,
      java.time.Duration max, Check check) {
    kit.createTestProbe().awaitAssert(max, java.time.Duration.ofMillis(100), () -> {
      try {
        check.run();
        return null;
      } catch (AssertionError e) {
        throw e;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  public static void join(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
  }
}
