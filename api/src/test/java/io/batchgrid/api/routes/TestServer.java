package io.batchgrid.api.routes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;

import com.typesafe.config.ConfigFactory;

import io.batchgrid.api.ApiServer;
import io.batchgrid.config.Settings;
import io.batchgrid.coordinator.CoordinatorRole;
import io.batchgrid.coordinator.node.NodeProvider;

/** A one-member cluster with the coordinator role and the API bound on a free port. */
final class TestServer implements AutoCloseable {
  static final String ACCOUNT = "testaccount";
  static final byte[] KEY = "a test key of thirty-two bytes!!".getBytes(StandardCharsets.UTF_8);

  final ActorTestKit testKit;
  final ServerBinding binding;
  final String baseUrl;
  final Path dir;

  /** Nodes that never come up: pools show them as starting, tasks stay active. */
  static final NodeProvider NO_NODES = new NodeProvider() {
    @Override
    public void start(String poolId, List<String> nodeIds, int taskSlots) {}

    @Override
    public void stop(String poolId, List<String> nodeIds) {}
  };

  /** Makes the node provider once the actor system exists. */
  @FunctionalInterface
  interface Provider {
    NodeProvider create(org.apache.pekko.actor.typed.ActorSystem<?> system) throws Exception;
  }

  TestServer(NodeProvider provider) throws Exception {
    this(system -> provider);
  }

  TestServer(Provider provider) throws Exception {
    this(provider, io.batchgrid.config.TlsSettings.NONE);
  }

  TestServer(Provider provider, io.batchgrid.config.TlsSettings tls) throws Exception {
    dir = Files.createTempDirectory("batchgrid-api-test");
    testKit = ActorTestKit.create("api-test", ConfigFactory.parseString(String.join("\n",
        "pekko.actor.provider = cluster",
        "pekko.remote.artery.canonical.hostname = 127.0.0.1",
        "pekko.remote.artery.canonical.port = 0",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on",
        "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"",
        "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.snapshot-store.local\"",
        "pekko.persistence.snapshot-store.local.dir = \"" + dir.resolve("snapshots") + "\"",
        "pekko.cluster.sharding.distributed-data.durable.keys = []",
        "pekko.loglevel = WARNING"))
        .withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), () -> {
      if (cluster.selfMember().status() != MemberStatus.up()) {
        throw new AssertionError("cluster member not up yet");
      }
      return null;
    });
    CoordinatorRole.start(testKit.system(), provider.create(testKit.system()));
    Settings settings = new Settings(dir, "127.0.0.1", 0, ACCOUNT, Base64.getEncoder().encodeToString(KEY), "in-process");
    binding = ApiServer.start(testKit.system(), settings, tls).toCompletableFuture().get(20, TimeUnit.SECONDS);
    baseUrl = (tls.enabled() ? "https" : "http") + "://127.0.0.1:" + binding.localAddress().getPort();
  }

  SignedClient client() {
    return new SignedClient(baseUrl, ACCOUNT, KEY);
  }

  @Override
  public void close() {
    binding.unbind();
    // In-process nodes stop with the system; on a loaded machine that can take longer than the
    // testkit's default 10 s, which says nothing about the API under test.
    ActorTestKit.shutdown(testKit.system(), Duration.ofSeconds(30), false);
  }
}
