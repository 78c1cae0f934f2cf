package io.batchgrid.worker;

import com.typesafe.config.Config;

import org.apache.pekko.event.EventStream;
import org.apache.pekko.remote.FailureDetector;

/**
 * The cluster failure detector of worker processes ({@code batchgrid worker}): it never suspects a
 * member, so a worker never marks another member unreachable and its view of the network never
 * takes part in a downing decision.
 *
 * <p>Why: the Split Brain Resolver decides on the reachability records of every member. When a
 * worker is cut off one way (it can send but not receive), the coordinator marks the worker
 * unreachable and the worker marks the coordinator unreachable; each is then observer and subject of
 * an unreachability record, which the resolver calls "indirectly connected", and it downs both, the
 * coordinator included. Only coordinators (and api members) detect failures, so the resolver always
 * sees the coordinators' view: a cut-off worker is downed, and a coordinator is never downed because
 * of what a worker saw. Every member must then be watched by a coordinator: cluster.conf has
 * coordinators heartbeat every member ({@code monitored-by-nr-of-members}).
 *
 * <p>A worker learns that it lost its coordinator from its agent instead: the agent probes the
 * coordinators' gateways and downs its own member when none has answered for
 * {@code batchgrid.worker.coordinator-lost-after} (see {@link NodeAgent}); a worker that can hear
 * the cluster again learns from its gossip, or from being quarantined, that it was downed.
 *
 * <p>Loaded by Pekko by name ({@code pekko.cluster.failure-detector.implementation-class}), with
 * the failure detector's configuration and the system's event stream; one instance per member.
 */
public final class NonVotingFailureDetector implements FailureDetector {
  private volatile boolean monitoring;

  public NonVotingFailureDetector(Config config, EventStream eventStream) {}

  /** Always: a worker does not judge other members. */
  @Override
  public boolean isAvailable() {
    return true;
  }

  /** Once a heartbeat came, as Pekko's detectors do. */
  @Override
  public boolean isMonitoring() {
    return monitoring;
  }

  @Override
  public void heartbeat() {
    monitoring = true;
  }
}
