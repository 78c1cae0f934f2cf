package io.batchgrid.coordinator.node;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.worker.NodeAgent;
import io.batchgrid.worker.NodeConfig;

/**
 * Compute nodes as actors in this JVM: the embedded default. Each node gets its own directory tree
 * under {@code <data>/nodes/<nodeId>} and runs its tasks as real processes. The nodes live under
 * one host actor, which serializes starts and stops.
 */
public final class InProcessNodeProvider implements NodeProvider {

  private sealed interface HostCommand {}

  private record Start(String poolId, List<String> nodeIds, int taskSlots) implements HostCommand {}

  private record Stop(List<String> nodeIds) implements HostCommand {}

  private record Stopped(String nodeId, ActorRef<NodeMessage> agent) implements HostCommand {}

  private final ActorRef<HostCommand> host;

  private InProcessNodeProvider(ActorRef<HostCommand> host) {
    this.host = host;
  }

  public static InProcessNodeProvider start(ActorSystem<?> system, Path nodesDir, String accountName, String accountUrl) {
    return new InProcessNodeProvider(system.systemActorOf(host(nodesDir, accountName, accountUrl), "nodes", Props.empty()));
  }

  @Override
  public void start(String poolId, List<String> nodeIds, int taskSlots) {
    host.tell(new Start(poolId, List.copyOf(nodeIds), taskSlots));
  }

  @Override
  public void stop(String poolId, List<String> nodeIds) {
    host.tell(new Stop(List.copyOf(nodeIds)));
  }

  private static Behavior<HostCommand> host(Path nodesDir, String accountName, String accountUrl) {
    return Behaviors.setup(ctx -> {
      Map<String, ActorRef<NodeMessage>> running = new HashMap<>();
      // Starts asked for while the node's agent was still known here. The pool asks for a start as
      // soon as it sees an agent stop (a reboot, a crash); this host may learn of that stop later
      // (its Stopped is queued behind the request), so the start is done when the Stopped comes.
      Map<String, Start> pending = new HashMap<>();
      java.util.function.Consumer<Start> spawn = m -> {
        for (String id : m.nodeIds()) {
          NodeConfig config = new NodeConfig(m.poolId(), id, m.taskSlots(), nodesDir.resolve(id), accountName, accountUrl);
          ActorRef<NodeMessage> agent = ctx.spawn(NodeAgent.create(config), id);
          ctx.watchWith(agent, new Stopped(id, agent));
          running.put(id, agent);
        }
      };
      return Behaviors.receive(HostCommand.class)
          .onMessage(Start.class, m -> {
            for (String id : m.nodeIds()) {
              if (running.containsKey(id)) {
                pending.put(id, new Start(m.poolId(), List.of(id), m.taskSlots()));
              } else {
                spawn.accept(new Start(m.poolId(), List.of(id), m.taskSlots()));
              }
            }
            return Behaviors.same();
          })
          .onMessage(Stop.class, m -> {
            for (String id : m.nodeIds()) {
              pending.remove(id);
              ActorRef<NodeMessage> agent = running.get(id);
              if (agent != null) {
                agent.tell(new NodeMessage.Retire());
              }
            }
            return Behaviors.same();
          })
          .onMessage(Stopped.class, m -> {
            if (running.remove(m.nodeId(), m.agent())) {
              Start next = pending.remove(m.nodeId());
              if (next != null) {
                spawn.accept(next);
              }
            }
            return Behaviors.same();
          })
          .build();
    });
  }
}
