package io.batchgrid.coordinator;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

import io.batchgrid.config.Settings;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.application.ApplicationStore;
import io.batchgrid.coordinator.node.InProcessNodeProvider;
import io.batchgrid.coordinator.node.LocalProcessNodeProvider;
import io.batchgrid.coordinator.node.NodeGateway;
import io.batchgrid.coordinator.node.NodeProvider;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.node.CoordinatorMessage;

/**
 * Starts the coordinator role on a cluster member: the node provider, the gateway nodes report to,
 * and sharding for the catalog, pool and job entities.
 */
public final class CoordinatorRole {
  private final ActorRef<CoordinatorMessage> gateway;
  private final NodeProvider provider;

  private CoordinatorRole(ActorRef<CoordinatorMessage> gateway, NodeProvider provider) {
    this.gateway = gateway;
    this.provider = provider;
  }

  public static CoordinatorRole start(ActorSystem<?> system, Settings settings) {
    NodeProvider provider = switch (settings.nodeProvider()) {
      case "in-process" -> InProcessNodeProvider.start(system, settings.dataDir().resolve("nodes"),
          settings.accountName(), null);
      // Needs this member Up: its address is the seed the workers join through.
      case "local-process" -> LocalProcessNodeProvider.start(system, settings.dataDir(), settings.accountName(), null,
          LocalProcessNodeProvider.Launcher.of(system.settings().config()));
      case "static" -> new io.batchgrid.coordinator.node.StaticNodeProvider();
      default -> throw new IllegalArgumentException("unknown node provider " + settings.nodeProvider());
    };
    return start(system, provider, ApplicationStore.open(settings.dataDir().resolve(ApplicationStore.DIRECTORY)));
  }

  /** With a given provider: tests use this to watch or fake node starts. No application packages. */
  public static CoordinatorRole start(ActorSystem<?> system, NodeProvider provider) {
    return start(system, provider, null);
  }

  /** With a given provider, serving application packages from {@code store} (null: none) to nodes. */
  public static CoordinatorRole start(ActorSystem<?> system, NodeProvider provider, ApplicationStore store) {
    ActorRef<CoordinatorMessage> gateway = system.systemActorOf(NodeGateway.create(store), "node-gateway",
        Props.empty());
    Catalog.init(system);
    PoolEntity.init(system, provider);
    JobEntity.init(system, gateway);
    io.batchgrid.coordinator.schedule.JobScheduleEntity.init(system);
    return new CoordinatorRole(gateway, provider);
  }

  /**
   * On a member without the coordinator role (an API node): sharding proxies for every entity type,
   * through which {@code ref(...)} reaches the entities on the coordinators. Sharding is confined to
   * the role "coordinator" ({@code pekko.cluster.sharding.role}), so {@code init} here starts a proxy
   * and never creates an entity.
   */
  public static void startProxies(ActorSystem<?> system) {
    proxy(system, Catalog.ENTITY_KEY);
    proxy(system, PoolEntity.ENTITY_KEY);
    proxy(system, JobEntity.ENTITY_KEY);
    proxy(system, io.batchgrid.coordinator.schedule.JobScheduleEntity.ENTITY_KEY);
  }

  private static <M> void proxy(ActorSystem<?> system, EntityTypeKey<M> key) {
    ClusterSharding.get(system).init(Entity.of(key, ctx -> {
      throw new IllegalStateException(key.name() + " entities live on coordinators, not on " + ctx.getEntityId());
    }));
  }

  public ActorRef<CoordinatorMessage> gateway() {
    return gateway;
  }

  public NodeProvider provider() {
    return provider;
  }
}
