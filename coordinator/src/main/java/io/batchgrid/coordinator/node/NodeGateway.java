package io.batchgrid.coordinator.node;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.node.CoordinatorMessage;

/**
 * Where compute nodes talk to the coordinator: registered with the receptionist so nodes anywhere
 * in the cluster find it, it hands each message to the pool or job entity it concerns. Stateless,
 * one per coordinator.
 */
public final class NodeGateway {
  private NodeGateway() {}

  public static Behavior<CoordinatorMessage> create() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(CoordinatorMessage.GATEWAY_KEY, ctx.getSelf()));
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      return Behaviors.receive(CoordinatorMessage.class)
          .onMessage(CoordinatorMessage.RegisterNode.class, m -> {
            sharding.entityRefFor(PoolEntity.ENTITY_KEY, Ids.key(m.poolId())).tell(new PoolEntity.NodeRegistration(m));
            return Behaviors.same();
          })
          .onMessage(CoordinatorMessage.TasksReport.class, m -> {
            sharding.entityRefFor(JobEntity.ENTITY_KEY, Ids.key(m.jobId())).tell(new JobEntity.Report(m));
            return Behaviors.same();
          })
          .build();
    });
  }
}
