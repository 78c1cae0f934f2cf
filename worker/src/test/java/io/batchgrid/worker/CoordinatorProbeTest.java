package io.batchgrid.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.typesafe.config.ConfigFactory;

import io.batchgrid.protocol.node.CoordinatorMessage;

/**
 * A worker process judges no member's reachability (NonVotingFailureDetector): its agent probes the
 * coordinators' gateways instead, and downs its own member when none has answered for
 * coordinator-lost-after, so that the process joins again (its work carried over). One cluster
 * member on its own, with a gateway that answers and with none.
 */
class CoordinatorProbeTest {
  @TempDir Path root;
  private final ExecutorService blocking = Executors.newFixedThreadPool(2);
  private ActorTestKit kit;

  @AfterEach
  void stop() throws InterruptedException {
    if (kit != null) {
      kit.shutdownTestKit();
    }
    blocking.shutdownNow();
    blocking.awaitTermination(10, TimeUnit.SECONDS);
  }

  /** A member that forms a cluster of its own, as a worker process's ActorSystem is configured. */
  private ActorTestKit member() {
    ActorTestKit k = ActorTestKit.create(ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        pekko.cluster.failure-detector.implementation-class = "io.batchgrid.worker.NonVotingFailureDetector"
        batchgrid.worker.coordinator-probe-interval = 200ms
        batchgrid.worker.coordinator-lost-after = 1500ms
        pekko.loglevel = WARNING
        """).withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(k.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.selfMember().status().equals(MemberStatus.up()));
    return k;
  }

  private NodeConfig node() {
    return new NodeConfig("pool1", "node1", 1, root, "acct", null);
  }

  @Test
  void aMemberWhoseGatewayAnswersStaysUp() {
    kit = member();
    TestProbe<CoordinatorMessage> gateway = kit.createTestProbe(CoordinatorMessage.class);
    TestProbe<Receptionist.Registered> registered = kit.createTestProbe(Receptionist.Registered.class);
    kit.system().receptionist().tell(Receptionist.register(CoordinatorMessage.GATEWAY_KEY, gateway.ref(), registered.ref()));
    registered.expectMessageClass(Receptionist.Registered.class);
    kit.spawn(NodeAgent.create(node(), NodeAgent.Work.survivingMembership(blocking)));
    // The gateway (any actor) answers the probes: well past coordinator-lost-after, still up.
    Cluster cluster = Cluster.get(kit.system());
    await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(8))
        .until(() -> cluster.selfMember().status().equals(MemberStatus.up()));
  }

  @Test
  void aMemberThatHearsFromNoCoordinatorDownsItselfToJoinAgain() throws Exception {
    kit = member();
    kit.spawn(NodeAgent.create(node(), NodeAgent.Work.survivingMembership(blocking)));
    kit.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    var reason = CoordinatedShutdown.get(kit.system()).getShutdownReason();
    assertEquals(CoordinatedShutdown.clusterDowningReason(), reason.orElseThrow());
    assertTrue(NodeAgent.membershipLost(reason), "the worker process starts another ActorSystem");
  }
}
