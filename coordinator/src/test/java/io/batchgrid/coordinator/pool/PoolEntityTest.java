package io.batchgrid.coordinator.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.batchgrid.coordinator.TestCluster;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.node.NodeProvider;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.pool.AllocationState;
import io.batchgrid.protocol.spec.PoolSpec;

/** The pool entity in a one-member cluster, with a node provider that only records what it is asked. */
class PoolEntityTest {
  record ProviderCall(String verb, String poolId, List<String> nodeIds) {}

  private static final ActorTestKit testKit;
  private static final TestProbe<ProviderCall> provider;

  static {
    try {
      testKit = ActorTestKit.create("PoolEntityTest", TestCluster.config(Files.createTempDirectory("snap")));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    TestCluster.join(testKit.system());
    provider = testKit.createTestProbe();
    ActorRef<ProviderCall> calls = provider.ref();
    Catalog.init(testKit.system());
    PoolEntity.init(testKit.system(), new NodeProvider() {
      @Override
      public void start(String poolId, List<String> nodeIds, int taskSlots) {
        calls.tell(new ProviderCall("start", poolId, nodeIds));
      }

      @Override
      public void stop(String poolId, List<String> nodeIds) {
        calls.tell(new ProviderCall("stop", poolId, nodeIds));
      }
    });
    JobEntity.init(testKit.system(), testKit.<CoordinatorMessage>createTestProbe().ref());
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static PoolEntity.PoolView view(String id) throws Exception {
    return get(PoolEntity.ref(testKit.system(), id).askWithStatus(PoolEntity.Get::new, Duration.ofSeconds(10)));
  }

  private static List<PoolEntity.NodeHandle> nodes(String id) throws Exception {
    return get(PoolEntity.ref(testKit.system(), id).askWithStatus(PoolEntity.ListNodes::new, Duration.ofSeconds(10)));
  }

  @Test
  void nodesAreStartedRegisteredReplacedResizedAndRetired() throws Exception {
    var pool = PoolEntity.ref(testKit.system(), "Pool-X");
    get(pool.<PoolEntity.PoolView>askWithStatus(r -> new PoolEntity.Create(PoolSpec.newBuilder().setId("Pool-X")
        .setVmSize("a1").setTargetDedicatedNodes(2).setTaskSlotsPerNode(3).build(), r), Duration.ofSeconds(10)));
    ProviderCall started = provider.receiveMessage();
    assertEquals("start", started.verb(), started.toString());
    assertEquals(2, started.nodeIds().size());
    assertEquals(AllocationState.RESIZING, view("pool-x").record().allocationState());
    assertTrue(nodes("Pool-X").stream().allMatch(n -> n.state() == NodeState.CREATING && n.agent() == null));

    // Ids are unique ignoring case.
    var again = pool.<PoolEntity.PoolView>askWithStatus(r -> new PoolEntity.Create(PoolSpec.newBuilder().setId("POOL-X").build(), r), Duration.ofSeconds(10));
    var exists = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class, () -> get(again));
    assertEquals(ErrorCode.POOL_EXISTS, ((BatchException) exists.getCause()).code());

    TestProbe<NodeMessage> a = testKit.createTestProbe();
    ActorRef<NodeMessage> b = testKit.spawn(Behaviors.ignore());
    pool.tell(new PoolEntity.NodeRegistration(new CoordinatorMessage.RegisterNode("Pool-X", started.nodeIds().get(0), 3, a.ref(), List.of())));
    NodeMessage.Registered registered = (NodeMessage.Registered) a.receiveMessage();
    assertEquals(new NodeMessage.Registered("Pool-X", started.nodeIds().get(0), null, List.of(), registered.pool()), registered);
    org.junit.jupiter.api.Assertions.assertNotNull(registered.pool(), "the node is told the pool entity, to watch it");
    pool.tell(new PoolEntity.NodeRegistration(new CoordinatorMessage.RegisterNode("Pool-X", started.nodeIds().get(1), 3, b, List.of())));
    TestCluster.eventually(testKit, Duration.ofSeconds(3), () -> {
      assertEquals(AllocationState.STEADY, view("Pool-X").record().allocationState());
      assertTrue(nodes("Pool-X").stream().allMatch(n -> n.agent() != null));
    });
    // A job that restarted (it moved to another coordinator) waits for a node the pool knows from
    // before: the node is asked to say again what it runs, rather than the pool repeating stale news.
    pool.tell(new PoolEntity.AwaitNodes("job-moved", List.of(started.nodeIds().get(0))));
    a.expectMessage(new NodeMessage.RegisterAgain());

    // A node that dies is brought back by the provider, with its id.
    testKit.stop(b);
    assertEquals(new ProviderCall("start", "Pool-X", List.of(started.nodeIds().get(1))), provider.receiveMessage());

    // Shrinking retires the node that runs nothing.
    get(pool.<org.apache.pekko.Done>askWithStatus(r -> new PoolEntity.Resize(1, r), Duration.ofSeconds(10)));
    ProviderCall stopped = provider.receiveMessage();
    assertEquals("stop", stopped.verb());
    assertEquals(1, nodes("Pool-X").size());

    // An unknown node is told to retire instead of joining.
    TestProbe<NodeMessage> stranger = testKit.createTestProbe();
    pool.tell(new PoolEntity.NodeRegistration(new CoordinatorMessage.RegisterNode("Pool-X", "not-a-node", 1, stranger.ref(), List.of())));
    stranger.expectMessageClass(NodeMessage.Retire.class);

    get(pool.<org.apache.pekko.Done>askWithStatus(PoolEntity.Delete::new, Duration.ofSeconds(10)));
    assertEquals("stop", provider.receiveMessage().verb());
    TestCluster.eventually(testKit, Duration.ofSeconds(3), () -> {
      var gone = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
          () -> get(PoolEntity.ref(testKit.system(), "Pool-X").askWithStatus(PoolEntity.Get::new, Duration.ofSeconds(10))));
      assertEquals(ErrorCode.POOL_NOT_FOUND, ((BatchException) gone.getCause()).code());
    });
  }

  @Test
  void aResizeThatDoesNotFinishInTimeStopsWithAnError() throws Exception {
    var pool = PoolEntity.ref(testKit.system(), "slow");
    get(pool.<PoolEntity.PoolView>askWithStatus(r -> new PoolEntity.Create(PoolSpec.newBuilder().setId("slow")
        .setVmSize("a1").setTargetDedicatedNodes(2).setResizeTimeoutMs(300).build(), r), Duration.ofSeconds(10)));
    ProviderCall started = provider.receiveMessage();
    // Only one of the two nodes ever registers.
    TestProbe<NodeMessage> a = testKit.createTestProbe();
    pool.tell(new PoolEntity.NodeRegistration(new CoordinatorMessage.RegisterNode("slow", started.nodeIds().get(0), 1, a.ref(), List.of())));
    a.expectMessageClass(NodeMessage.Registered.class);
    assertEquals(new ProviderCall("stop", "slow", List.of(started.nodeIds().get(1))), provider.receiveMessage(Duration.ofSeconds(10)));
    PoolEntity.PoolView v = view("slow");
    assertEquals(AllocationState.STEADY, v.record().allocationState());
    assertEquals("AllocationTimedout", v.record().resizeError().code());
    assertEquals(1, v.currentDedicatedNodes());
    assertEquals(1, v.record().targetDedicatedNodes());

  }

  @Test
  void stoppingAResizeKeepsTheNodesThatStarted() throws Exception {
    var pool = PoolEntity.ref(testKit.system(), "stoppable");
    get(pool.<PoolEntity.PoolView>askWithStatus(r -> new PoolEntity.Create(PoolSpec.newBuilder().setId("stoppable")
        .setVmSize("a1").setTargetDedicatedNodes(3).build(), r), Duration.ofSeconds(10)));
    ProviderCall started = provider.receiveMessage();
    TestProbe<NodeMessage> a = testKit.createTestProbe();
    pool.tell(new PoolEntity.NodeRegistration(new CoordinatorMessage.RegisterNode("stoppable", started.nodeIds().get(0), 1, a.ref(), List.of())));
    a.expectMessageClass(NodeMessage.Registered.class);
    get(pool.<org.apache.pekko.Done>askWithStatus(PoolEntity.StopResize::new, Duration.ofSeconds(10)));
    assertEquals(new ProviderCall("stop", "stoppable", started.nodeIds().subList(1, 3)), provider.receiveMessage());
    PoolEntity.PoolView v = view("stoppable");
    assertEquals(AllocationState.STEADY, v.record().allocationState());
    assertEquals(1, v.currentDedicatedNodes());
    assertEquals(null, v.record().resizeError());
  }
}
