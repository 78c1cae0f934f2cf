package io.batchgrid.protocol.catalog;

/** Ids entering and leaving the catalog of pools and jobs; persisted as {@code CatalogEventP}. */
public sealed interface CatalogEvent {
  String id();

  record PoolAdded(String id) implements CatalogEvent {}

  record PoolRemoved(String id) implements CatalogEvent {}

  record JobAdded(String id) implements CatalogEvent {}

  record JobRemoved(String id) implements CatalogEvent {}

  record ScheduleAdded(String id) implements CatalogEvent {}

  record ScheduleRemoved(String id) implements CatalogEvent {}
}
