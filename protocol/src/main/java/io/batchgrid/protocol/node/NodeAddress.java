package io.batchgrid.protocol.node;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The address a compute node is reached at, as Azure Batch shows it (a node's {@code ipAddress},
 * the hosts of {@code AZ_BATCH_HOST_LIST} and {@code AZ_BATCH_NODE_LIST}): the host of the cluster
 * member its agent runs in, that is the canonical host name of the worker's Artery
 * ({@code batchgrid worker --bind}), which other machines reach it at. An agent in this JVM (an
 * in-process node) has no host in its path: it is this member's own.
 */
public final class NodeAddress {
  /** When nothing better is known: the single-machine default. */
  public static final String LOOPBACK = "127.0.0.1";

  private NodeAddress() {}

  /** The host of {@code agent}'s member; for an agent of this JVM, {@code localHost}. */
  public static String of(ActorRef<?> agent, String localHost) {
    if (agent == null) {
      return localHost;
    }
    return agent.path().address().getHost().filter(h -> !h.isEmpty()).orElse(localHost);
  }

  /** The host this JVM's member is reached at (its canonical Artery host), or {@link #LOOPBACK} without remoting. */
  public static String local(ActorSystem<?> system) {
    return system.address().getHost().filter(h -> !h.isEmpty()).orElse(LOOPBACK);
  }

  /** The host of {@code agent}'s member, as seen from {@code system}. */
  public static String of(ActorRef<?> agent, ActorSystem<?> system) {
    return of(agent, local(system));
  }
}
