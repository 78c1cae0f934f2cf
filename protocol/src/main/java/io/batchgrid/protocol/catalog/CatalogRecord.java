package io.batchgrid.protocol.catalog;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The ids of every pool and job that exists, so that listing them does not scan the journal.
 * Ids are stored as given (case preserved); each kind is ordered case-insensitively.
 */
public record CatalogRecord(SortedSet<String> poolIds, SortedSet<String> jobIds, SortedSet<String> scheduleIds) {
  public CatalogRecord {
    poolIds = Collections.unmodifiableSortedSet(copy(poolIds));
    jobIds = Collections.unmodifiableSortedSet(copy(jobIds));
    scheduleIds = Collections.unmodifiableSortedSet(copy(scheduleIds));
  }

  public static final CatalogRecord EMPTY = new CatalogRecord(new TreeSet<>(), new TreeSet<>(), new TreeSet<>());

  private static SortedSet<String> copy(SortedSet<String> s) {
    TreeSet<String> t = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    t.addAll(s);
    return t;
  }

  public CatalogRecord apply(CatalogEvent e) {
    SortedSet<String> pools = copy(poolIds);
    SortedSet<String> jobs = copy(jobIds);
    SortedSet<String> schedules = copy(scheduleIds);
    if (e instanceof CatalogEvent.PoolAdded) {
      pools.add(e.id());
    } else if (e instanceof CatalogEvent.PoolRemoved) {
      pools.remove(e.id());
    } else if (e instanceof CatalogEvent.JobAdded) {
      jobs.add(e.id());
    } else if (e instanceof CatalogEvent.JobRemoved) {
      jobs.remove(e.id());
    } else if (e instanceof CatalogEvent.ScheduleAdded) {
      schedules.add(e.id());
    } else if (e instanceof CatalogEvent.ScheduleRemoved) {
      schedules.remove(e.id());
    }
    return new CatalogRecord(pools, jobs, schedules);
  }
}
