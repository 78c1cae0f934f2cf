package io.batchgrid.coordinator.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.batchgrid.coordinator.TestCluster;
import io.batchgrid.coordinator.autoscale.NodeDeallocationOption;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.node.NodeProvider;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.StartTaskInfo;
import io.batchgrid.protocol.spec.PoolSpec;

/**
 * A reboot or reimage is persisted before it is acknowledged: the coordinator stopped right after
 * the 202 (its actor system gone, the pool recovered from the LevelDB journal on disk by a new one)
 * still restarts the node. Nodes are test probes registering as agents would: a "fresh" agent has
 * not been given the start task since it started (a new process); an agent that has is one that
 * outlived the coordinator without having restarted.
 */
class NodeRestartRecoveryTest {
  private static final Duration ASK = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private final ConcurrentLinkedQueue<List<String>> starts = new ConcurrentLinkedQueue<>();

  private ActorTestKit coordinator(String name) {
    Config leveldb = ConfigFactory.parseString(String.join("\n",
        "pekko.persistence.journal.plugin = \"pekko.persistence.journal.leveldb\"",
        "pekko.persistence.journal.leveldb.dir = \"" + dir.resolve("journal") + "\"",
        "pekko.persistence.journal.leveldb.native = on",
        "pekko.persistence.journal.leveldb.fsync = on"));
    ActorTestKit kit = ActorTestKit.create(name, leveldb.withFallback(TestCluster.config(dir.resolve("snapshots"))));
    TestCluster.join(kit.system());
    Catalog.init(kit.system());
    PoolEntity.init(kit.system(), new NodeProvider() {
      @Override
      public void start(String poolId, List<String> nodeIds, int taskSlots) {
        starts.add(List.copyOf(nodeIds));
      }

      @Override
      public void stop(String poolId, List<String> nodeIds) {}
    });
    JobEntity.init(kit.system(), kit.<CoordinatorMessage>createTestProbe().ref());
    return kit;
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(ASK.toSeconds(), TimeUnit.SECONDS);
  }

  private static PoolEntity.NodeHandle node(ActorTestKit kit, String poolId) throws Exception {
    List<PoolEntity.NodeHandle> nodes = get(PoolEntity.ref(kit.system(), poolId)
        .<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK));
    assertEquals(1, nodes.size());
    return nodes.get(0);
  }

  private static void restart(ActorTestKit kit, String poolId, String nodeId, NodeDeallocationOption option,
      boolean reimage) throws Exception {
    get(PoolEntity.ref(kit.system(), poolId).<Done>askWithStatus(
        r -> new PoolEntity.RestartNode(nodeId, option, reimage, r), ASK));
  }

  /** Registers a probe as the node's agent; {@code fresh}: it has not run (been given) the start task yet. */
  private static TestProbe<NodeMessage> register(ActorTestKit kit, String poolId, String nodeId, boolean fresh) {
    TestProbe<NodeMessage> agent = kit.createTestProbe();
    PoolEntity.ref(kit.system(), poolId).tell(new PoolEntity.NodeRegistration(new CoordinatorMessage.RegisterNode(
        poolId, nodeId, 1, agent.ref(), List.of(), fresh ? null : StartTaskInfo.NONE)));
    agent.expectMessageClass(NodeMessage.Registered.class, ASK);
    return agent;
  }

  private String createPool(ActorTestKit kit, String poolId) throws Exception {
    get(PoolEntity.ref(kit.system(), poolId).<PoolEntity.PoolView>askWithStatus(r -> new PoolEntity.Create(
        PoolSpec.newBuilder().setId(poolId).setVmSize("a1").setTargetDedicatedNodes(1).build(), r), ASK));
    TestCluster.eventually(kit, ASK, () -> assertNotNull(node(kit, poolId).nodeId()));
    return node(kit, poolId).nodeId();
  }

  @Test
  void anAcknowledgedRebootOrReimageSurvivesARestartOfTheCoordinator() throws Exception {
    String rebooted;
    String reimaged;
    ActorTestKit first = coordinator("RestartBefore");
    try {
      rebooted = createPool(first, "rb");
      reimaged = createPool(first, "ri");
      TestProbe<NodeMessage> a = register(first, "rb", rebooted, true);
      TestProbe<NodeMessage> d = register(first, "ri", reimaged, true);

      restart(first, "rb", rebooted, NodeDeallocationOption.REQUEUE, false);
      restart(first, "ri", reimaged, NodeDeallocationOption.TERMINATE, true);
      // Acknowledged: the agents are told (nothing runs there), and the pool shows the nodes restarting.
      assertEquals(new NodeMessage.Reboot(false), a.expectMessageClass(NodeMessage.Reboot.class, ASK));
      assertEquals(new NodeMessage.Reboot(true), d.expectMessageClass(NodeMessage.Reboot.class, ASK));
      assertEquals(NodeState.REBOOTING, node(first, "rb").state());
      assertEquals(NodeState.REIMAGING, node(first, "ri").state());
    } finally {
      // The coordinator goes before either node is back; only the journal on disk is left.
      ActorTestKit.shutdown(first.system(), Duration.ofSeconds(60));
    }

    starts.clear();
    ActorTestKit second = coordinator("RestartAfter");
    try {
      // Recovered from the journal: still restarting, and the nodes are started (in-process ones come
      // back as new agents; a worker process that lives on is adopted).
      assertEquals(NodeState.REBOOTING, node(second, "rb").state());
      assertEquals(NodeState.REIMAGING, node(second, "ri").state());
      TestCluster.eventually(second, ASK, () -> assertEquals(true, starts.contains(List.of(rebooted))));
      ExecutionException again = assertThrows(ExecutionException.class,
          () -> restart(second, "rb", rebooted, NodeDeallocationOption.REQUEUE, true));
      assertEquals(ErrorCode.NODE_BEING_REBOOTED, ((BatchException) again.getCause()).code());

      // The node's old agent outlived the coordinator without restarting: it is told to restart now.
      TestProbe<NodeMessage> survivor = register(second, "rb", rebooted, false);
      assertEquals(new NodeMessage.Reboot(false), survivor.expectMessageClass(NodeMessage.Reboot.class, ASK));
      assertEquals(NodeState.REBOOTING, node(second, "rb").state());
      // Its new agent ends the reboot.
      register(second, "rb", rebooted, true);
      TestCluster.eventually(second, ASK, () -> assertEquals(NodeState.IDLE, node(second, "rb").state()));

      // The reimaged node's first agent since the restart is told to reimage, although it is a new
      // one: only the agent told deletes the node's files, and none was told since (this one may be
      // an in-process agent that came back with the server). The agent after it ends the reimage.
      TestProbe<NodeMessage> backWithTheServer = register(second, "ri", reimaged, true);
      assertEquals(new NodeMessage.Reboot(true), backWithTheServer.expectMessageClass(NodeMessage.Reboot.class, ASK));
      assertEquals(NodeState.REIMAGING, node(second, "ri").state());
      TestProbe<NodeMessage> reimagedAgent = register(second, "ri", reimaged, true);
      TestCluster.eventually(second, ASK, () -> assertEquals(NodeState.IDLE, node(second, "ri").state()));
      // Done, so a new reboot is accepted.
      restart(second, "ri", reimaged, NodeDeallocationOption.REQUEUE, false);
      assertEquals(new NodeMessage.Reboot(false), reimagedAgent.expectMessageClass(NodeMessage.Reboot.class, ASK));
    } finally {
      ActorTestKit.shutdown(second.system(), Duration.ofSeconds(60));
    }

    ActorTestKit third = coordinator("RestartThird");
    try {
      // The end of the first reboot was persisted too; the reboot asked last is still under way.
      assertEquals(NodeState.CREATING, node(third, "rb").state());
      assertEquals(NodeState.REBOOTING, node(third, "ri").state());
    } finally {
      ActorTestKit.shutdown(third.system(), Duration.ofSeconds(60));
    }
  }

  @Test
  void aNodeLeavingOnceItsTasksHaveEndedStillLeavesAfterARestartOfTheCoordinator() throws Exception {
    String leaving;
    String staying;
    ActorTestKit first = coordinator("LeavingBefore");
    try {
      get(PoolEntity.ref(first.system(), "sh").<PoolEntity.PoolView>askWithStatus(r -> new PoolEntity.Create(
          PoolSpec.newBuilder().setId("sh").setVmSize("a1").setTargetDedicatedNodes(2).build(), r), ASK));
      TestCluster.eventually(first, ASK, () -> assertEquals(2, get(PoolEntity.ref(first.system(), "sh")
          .<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK)).size()));
      List<String> ids = get(PoolEntity.ref(first.system(), "sh")
          .<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK)).stream()
          .map(PoolEntity.NodeHandle::nodeId).toList();
      ids.forEach(id -> register(first, "sh", id, true));
      // A job holds a slot on each node: both are busy.
      PoolEntity.ref(first.system(), "sh").tell(new PoolEntity.RequestSlots("busy-job", 0, 2, 1));
      TestCluster.eventually(first, ASK, () -> assertEquals(2, get(PoolEntity.ref(first.system(), "sh")
          .<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK)).size()));
      get(PoolEntity.ref(first.system(), "sh").<Done>askWithStatus(
          r -> new PoolEntity.Resize(1, NodeDeallocationOption.TASKCOMPLETION,
              io.batchgrid.protocol.Precondition.NONE, r), ASK));
      List<PoolEntity.NodeHandle> nodes = get(PoolEntity.ref(first.system(), "sh")
          .<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK));
      assertEquals(2, nodes.size(), "the busy node waits for its tasks");
      leaving = nodes.stream().filter(n -> n.state() == NodeState.LEAVINGPOOL).findFirst().orElseThrow().nodeId();
      staying = ids.stream().filter(id -> !id.equals(leaving)).findFirst().orElseThrow();
    } finally {
      ActorTestKit.shutdown(first.system(), Duration.ofSeconds(60));
    }

    ActorTestKit second = coordinator("LeavingAfter");
    try {
      var pool = PoolEntity.ref(second.system(), "sh");
      List<PoolEntity.NodeHandle> nodes = get(pool.<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK));
      assertEquals(NodeState.LEAVINGPOOL, nodes.stream().filter(n -> n.nodeId().equals(leaving)).findFirst().orElseThrow().state(),
          "still leaving after the restart");
      register(second, "sh", staying, true);
      // The leaving node's worker outlived the coordinator and still runs a task: it stays until it
      // says it runs none.
      TestProbe<NodeMessage> worker = second.createTestProbe();
      pool.tell(new PoolEntity.NodeRegistration(new CoordinatorMessage.RegisterNode("sh", leaving, 1, worker.ref(),
          List.of(new io.batchgrid.protocol.node.RunningTask("busy-job", "t", 1, 1)), StartTaskInfo.NONE)));
      worker.expectMessageClass(NodeMessage.Registered.class, ASK);
      NodeMessage.GetStatus asked = worker.expectMessageClass(NodeMessage.GetStatus.class, Duration.ofSeconds(15));
      assertEquals(2, get(pool.<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK)).size());
      asked.replyTo().tell(new io.batchgrid.protocol.node.NodeStatus("sh", leaving, NodeState.IDLE, 1, List.of(), 1, 1, 0, 0, "/"));
      TestCluster.eventually(second, ASK, () -> {
        List<PoolEntity.NodeHandle> now = get(pool.<List<PoolEntity.NodeHandle>>askWithStatus(PoolEntity.ListNodes::new, ASK));
        assertEquals(List.of(staying), now.stream().map(PoolEntity.NodeHandle::nodeId).toList());
        assertEquals(io.batchgrid.protocol.pool.AllocationState.STEADY,
            get(pool.<PoolEntity.PoolView>askWithStatus(PoolEntity.Get::new, ASK)).record().allocationState());
      });
    } finally {
      ActorTestKit.shutdown(second.system(), Duration.ofSeconds(60));
    }
  }
}
