package io.batchgrid.coordinator.job;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.spec.TaskIdRange;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * Which tasks of an AddTasks the job takes, and reading them back page by page. Each task of a
 * collection succeeds or fails on its own, as in Azure Batch: an id taken (case-insensitively, by
 * a task or the job's preparation or release task), or dependencies the job does not allow or that
 * are too many, fail that task only. Pure over the job record.
 */
final class TaskAdmission {
  /** Azure's limit on the ids of a task's dependsOn.taskIds, in characters. */
  static final int MAX_DEPENDENCY_ID_CHARS = 64_000;
  /** batchgrid's limit on the tasks one task may wait for, ranges included. */
  static final long MAX_DEPENDENCIES = 100_000;

  private TaskAdmission() {}

  /**
   * The tasks to add, and per task of the request (in its order) the error that refused it, or null
   * for an accepted one (its result is the stored record, known once persisted).
   */
  record Admitted(List<TaskSpec> accepted, List<BatchException> errors) {}

  static Admitted admit(JobRecord s, List<TaskSpec> tasks) {
    List<TaskSpec> accepted = new ArrayList<>(tasks.size());
    List<BatchException> errors = new ArrayList<>(tasks.size());
    Set<String> seen = new HashSet<>();
    for (TaskSpec t : tasks) {
      BatchException invalid = PreparationGate.idClash(s, t);
      if (invalid == null) {
        invalid = dependencyError(s, t);
      }
      if (invalid == null && (s.task(t.getId()) != null || !seen.add(Ids.key(t.getId())))) {
        invalid = BatchException.of(ErrorCode.TASK_EXISTS, "The specified task already exists.");
      }
      if (invalid == null) {
        accepted.add(t);
      }
      errors.add(invalid);
    }
    return new Admitted(accepted, errors);
  }

  /** Dependencies need a job that uses them, well-formed ranges, and stay within the limits; null when they do. */
  static BatchException dependencyError(JobRecord s, TaskSpec t) {
    if (!t.hasDependsOn() || t.getDependsOn().getTaskIdsCount() + t.getDependsOn().getTaskIdRangesCount() == 0) {
      return null;
    }
    if (!s.spec().getUsesTaskDependencies()) {
      return BatchException.of(ErrorCode.TASK_DEPENDENCIES_NOT_SPECIFIED_ON_JOB,
          "The task has dependencies, but the job does not allow them (usesTaskDependencies is false).");
    }
    long chars = t.getDependsOn().getTaskIdsList().stream().mapToLong(String::length).sum();
    long count = t.getDependsOn().getTaskIdsCount();
    for (TaskIdRange r : t.getDependsOn().getTaskIdRangesList()) {
      if (r.getStart() < 0 || r.getEnd() < r.getStart()) {
        return BatchException.of(ErrorCode.INVALID_PROPERTY_VALUE, "A task id range must have 0 <= start <= end.",
            "PropertyName", "dependsOn.taskIdRanges", "PropertyValue", r.getStart() + "-" + r.getEnd());
      }
      count += (long) r.getEnd() - r.getStart() + 1;
    }
    if (chars > MAX_DEPENDENCY_ID_CHARS || count > MAX_DEPENDENCIES) {
      return BatchException.of(ErrorCode.TASK_DEPENDENCY_LIST_TOO_LONG,
          "The task depends on too many tasks: at most " + MAX_DEPENDENCY_ID_CHARS + " characters of ids and "
              + MAX_DEPENDENCIES + " tasks in all.");
    }
    return null;
  }

  /** Up to {@code maxResults} (at least one) tasks in id order after {@code afterKey}, and the key to go on from (null: no more). */
  static JobEntity.TaskPage page(JobRecord s, String afterKey, int maxResults) {
    int max = Math.max(1, maxResults);
    List<TaskRecord> page = new ArrayList<>(Math.min(max, s.taskCount()));
    String next = null;
    for (TaskRecord t : s.tasksAfter(afterKey)) {
      if (page.size() == max) {
        next = Ids.key(page.get(page.size() - 1).id());
        break;
      }
      page.add(t);
    }
    return new JobEntity.TaskPage(page, next);
  }
}
