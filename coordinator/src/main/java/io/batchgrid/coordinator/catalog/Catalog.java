package io.batchgrid.coordinator.catalog;

import java.util.List;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

import io.batchgrid.protocol.catalog.CatalogEvent;
import io.batchgrid.protocol.catalog.CatalogRecord;

/**
 * The ids of every pool and job, so that {@code GET /pools} and {@code GET /jobs} read one small
 * entity instead of scanning the journal. Pool and job entities add themselves when created and
 * remove themselves when deleted; both are idempotent, so an entity may repeat them after recovery.
 */
public final class Catalog extends EventSourcedBehavior<Catalog.Command, CatalogEvent, CatalogRecord> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Catalog");
  /** There is one catalog; it is a sharded entity so that it lives on some coordinator and moves on failure. */
  public static final String ENTITY_ID = "catalog";

  public sealed interface Command {}

  public enum Kind { POOL, JOB, SCHEDULE }

  public record Add(Kind kind, String id, ActorRef<Done> replyTo) implements Command {}

  public record Remove(Kind kind, String id, ActorRef<Done> replyTo) implements Command {}

  /** Ids of one kind in case-insensitive order. */
  public record ListIds(Kind kind, ActorRef<List<String>> replyTo) implements Command {}

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create()));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, ENTITY_ID);
  }

  public static Behavior<Command> create() {
    return new Catalog();
  }

  private Catalog() {
    super(PersistenceId.of(ENTITY_KEY.name(), ENTITY_ID));
  }

  @Override
  public CatalogRecord emptyState() {
    return CatalogRecord.EMPTY;
  }

  @Override
  public CommandHandler<Command, CatalogEvent, CatalogRecord> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Add.class, (state, c) -> {
          if (ids(state, c.kind()).contains(c.id())) {
            return Effect().reply(c.replyTo(), Done.getInstance());
          }
          CatalogEvent e = switch (c.kind()) {
            case POOL -> new CatalogEvent.PoolAdded(c.id());
            case JOB -> new CatalogEvent.JobAdded(c.id());
            case SCHEDULE -> new CatalogEvent.ScheduleAdded(c.id());
          };
          return Effect().persist(e).thenReply(c.replyTo(), s -> Done.getInstance());
        })
        .onCommand(Remove.class, (state, c) -> {
          if (!ids(state, c.kind()).contains(c.id())) {
            return Effect().reply(c.replyTo(), Done.getInstance());
          }
          CatalogEvent e = switch (c.kind()) {
            case POOL -> new CatalogEvent.PoolRemoved(c.id());
            case JOB -> new CatalogEvent.JobRemoved(c.id());
            case SCHEDULE -> new CatalogEvent.ScheduleRemoved(c.id());
          };
          return Effect().persist(e).thenReply(c.replyTo(), s -> Done.getInstance());
        })
        .onCommand(ListIds.class, (state, c) -> Effect().reply(c.replyTo(), List.copyOf(ids(state, c.kind()))))
        .build();
  }

  private static java.util.SortedSet<String> ids(CatalogRecord state, Kind kind) {
    return switch (kind) {
      case POOL -> state.poolIds();
      case JOB -> state.jobIds();
      case SCHEDULE -> state.scheduleIds();
    };
  }

  @Override
  public EventHandler<CatalogRecord, CatalogEvent> eventHandler() {
    return (state, event) -> state.apply(event);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(500, 2);
  }
}
