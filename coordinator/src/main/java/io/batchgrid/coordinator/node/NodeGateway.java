package io.batchgrid.coordinator.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.StreamRefs;

import io.batchgrid.coordinator.application.ApplicationStore;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;

/**
 * Where compute nodes talk to the coordinator: registered with the receptionist so nodes anywhere
 * in the cluster find it, it hands each message to the pool or job entity it concerns, and serves
 * application packages from the {@link ApplicationStore} as streams that cross JVMs (a node in a
 * worker process downloads over the cluster connection it already has: no URL, no credential).
 * Stateless, one per coordinator.
 */
public final class NodeGateway {
  private NodeGateway() {}

  public static Behavior<CoordinatorMessage> create() {
    return create(null);
  }

  /** A gateway serving packages from {@code store}; null: no packages (every fetch fails). */
  public static Behavior<CoordinatorMessage> create(ApplicationStore store) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(CoordinatorMessage.GATEWAY_KEY, ctx.getSelf()));
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      Executor blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
      Materializer materializer = Materializer.matFromSystem(ctx.getSystem());
      return Behaviors.receive(CoordinatorMessage.class)
          .onMessage(CoordinatorMessage.RegisterNode.class, m -> {
            sharding.entityRefFor(PoolEntity.ENTITY_KEY, Ids.key(m.poolId())).tell(new PoolEntity.NodeRegistration(m));
            return Behaviors.same();
          })
          .onMessage(CoordinatorMessage.TasksReport.class, m -> {
            sharding.entityRefFor(JobEntity.ENTITY_KEY, Ids.key(m.jobId())).tell(new JobEntity.Report(m));
            return Behaviors.same();
          })
          .onMessage(CoordinatorMessage.FetchPackage.class, m -> {
            // The catalog and the file are read off the actor's thread; the reply goes straight back.
            CompletableFuture.supplyAsync(() -> fetch(store, m, materializer), blocking)
                .whenComplete((content, failure) -> m.replyTo().tell(failure == null ? StatusReply.success(content)
                    : StatusReply.error(failure instanceof CompletionException c && c.getCause() != null
                        ? c.getCause() : failure)));
            return Behaviors.same();
          })
          .build();
    });
  }

  private static NodeMessage.PackageContent fetch(ApplicationStore store, CoordinatorMessage.FetchPackage m,
      Materializer materializer) {
    if (store == null) {
      throw BatchException.of(ErrorCode.APPLICATION_PACKAGE_NOT_FOUND, "The specified application package does not exist.",
          "ApplicationId", m.applicationId(), "Reason", "This coordinator has no application store");
    }
    ApplicationStore.Resolved p = store.resolve(m.applicationId(), m.version());
    return new NodeMessage.PackageContent(p.applicationId(), p.version().version(), p.version().format(),
        p.version().size(), m.withContent()
            ? FileIO.fromPath(p.file()).runWith(StreamRefs.sourceRef(), materializer)
            : null);
  }
}
