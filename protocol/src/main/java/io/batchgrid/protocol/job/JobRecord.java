package io.batchgrid.protocol.job;

import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

import io.batchgrid.protocol.Ids;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * The state of a job entity: the job, its task table and the queue of tasks waiting for a slot.
 *
 * <p>It is deliberately mutable: a job may hold a million tasks, and copying the table for every
 * event would make each event O(n). Only {@link #apply} changes it, and only the entity's event
 * handler calls that; the command handler reads. The queue and counters are derived from the task
 * table and rebuilt by the same events during recovery, so they never drift from it.
 */
public final class JobRecord {
  private JobSpec spec;
  private JobState state;
  private JobState previousState;
  private long creationTimeMs;
  private long stateTransitionTimeMs;
  private long previousStateTransitionTimeMs;
  private long lastModifiedMs;
  private long version;
  private long startTimeMs;
  private long endTimeMs;
  private String terminateReason;

  /** Keyed by {@link Ids#key}: ordered, so listing pages by key is stable while tasks change. */
  private final TreeMap<String, TaskRecord> tasks = new TreeMap<>();
  /**
   * Keys of active tasks waiting for a slot: those sent back (requeued or retried) first, then new
   * ones, each oldest first. Insertion-ordered sets give O(1) removal when a task leaves the queue.
   */
  private final LinkedHashSet<String> requeued = new LinkedHashSet<>();
  private final LinkedHashSet<String> fresh = new LinkedHashSet<>();
  /**
   * Multi-instance tasks waiting for nodes, in the same order: they are placed as a gang (one slot on
   * each of n distinct nodes at once), never onto the job's single leased slots, so they wait apart.
   */
  private final LinkedHashSet<String> gangs = new LinkedHashSet<>();
  /** Active multi-instance tasks (queued or blocked): their slots are asked of the pool as gangs. */
  private long activeMultiInstance;
  /** The subtasks of multi-instance tasks' last ended attempts, by task key. */
  private final HashMap<String, List<SubtaskRecord>> subtasks = new HashMap<>();
  /** Active tasks that wait for dependencies: how many of theirs are not yet satisfied. */
  private final HashMap<String, Integer> blockedOn = new HashMap<>();
  /** Who waits for whom: key of an awaited task (it may not exist yet) to the keys of the waiting tasks. */
  private final HashMap<String, List<String>> waiters = new HashMap<>();
  private final long[] counts = new long[TaskState.values().length];
  private final long[] slotCounts = new long[TaskState.values().length];
  /** The most task slots any task added so far needs (never decreases; a hint for the pool). */
  private int maxRequiredSlots = 1;
  private long succeeded;
  private long failed;
  private long succeededSlots;
  private long failedSlots;
  /** Per node (by id, in the order they first ran one): the job's preparation and release tasks there. */
  private final java.util.LinkedHashMap<String, NodeJobTasks> nodeJobTasks = new java.util.LinkedHashMap<>();

  /** A job that does not exist (never created, or deleted). */
  public static JobRecord empty() {
    return new JobRecord();
  }

  public boolean exists() {
    return spec != null;
  }

  public JobSpec spec() {
    return spec;
  }

  public String id() {
    return spec.getId();
  }

  public JobState state() {
    return state;
  }

  public long version() {
    return version;
  }

  public long lastModifiedMs() {
    return lastModifiedMs;
  }

  public TaskRecord task(String taskId) {
    return tasks.get(Ids.key(taskId));
  }

  public int taskCount() {
    return tasks.size();
  }

  /** Tasks in key order, starting after {@code afterKey} (exclusive; null for the start). */
  public Collection<TaskRecord> tasksAfter(String afterKey) {
    NavigableMap<String, TaskRecord> view = afterKey == null ? tasks : tasks.tailMap(afterKey, false);
    return Collections.unmodifiableCollection(view.values());
  }

  public TaskCounts taskCounts() {
    return new TaskCounts(counts[TaskState.ACTIVE.ordinal()] + counts[TaskState.PREPARING.ordinal()],
        counts[TaskState.RUNNING.ordinal()], counts[TaskState.COMPLETED.ordinal()], succeeded, failed);
  }

  public TaskCounts taskSlotCounts() {
    return new TaskCounts(slotCounts[TaskState.ACTIVE.ordinal()] + slotCounts[TaskState.PREPARING.ordinal()],
        slotCounts[TaskState.RUNNING.ordinal()], slotCounts[TaskState.COMPLETED.ordinal()],
        succeededSlots, failedSlots);
  }

  public int maxRequiredSlots() {
    return maxRequiredSlots;
  }

  public long activeCount() {
    return counts[TaskState.ACTIVE.ordinal()];
  }

  public long runningCount() {
    return counts[TaskState.RUNNING.ordinal()];
  }

  /** True when every task is completed; a job without tasks counts as complete, as in Azure Batch. */
  public boolean allTasksComplete() {
    return counts[TaskState.COMPLETED.ordinal()] == tasks.size();
  }

  public JobSummary summary() {
    return new JobSummary(spec, state, previousState, creationTimeMs, stateTransitionTimeMs,
        previousStateTransitionTimeMs, lastModifiedMs, version, startTimeMs, endTimeMs,
        terminateReason, taskCounts(), taskSlotCounts());
  }

  /** Active tasks in queue order, for the scheduler to pick from. Read-only: do not apply events while iterating. */
  public Iterator<TaskRecord> queued() {
    Iterator<String> first = requeued.iterator();
    Iterator<String> then = fresh.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return first.hasNext() || then.hasNext();
      }

      @Override
      public TaskRecord next() {
        return tasks.get(first.hasNext() ? first.next() : then.next());
      }
    };
  }

  /** Up to {@code max} multi-instance tasks waiting for nodes, oldest first. */
  public List<TaskRecord> gangsQueued(int max) {
    List<TaskRecord> out = new ArrayList<>(Math.min(max, gangs.size()));
    for (String key : gangs) {
      if (out.size() == max) {
        break;
      }
      out.add(tasks.get(key));
    }
    return out;
  }

  /** Active multi-instance tasks (queued or blocked on dependencies). */
  public long activeMultiInstanceCount() {
    return activeMultiInstance;
  }

  /** The recorded subtasks of a multi-instance task (empty for any other task). */
  public List<SubtaskRecord> subtasks(String taskId) {
    return subtasks.getOrDefault(Ids.key(taskId), List.of());
  }

  /** Recorded subtasks by task id, for snapshots. */
  public java.util.Map<String, List<SubtaskRecord>> allSubtasks() {
    java.util.Map<String, List<SubtaskRecord>> out = new java.util.LinkedHashMap<>();
    subtasks.forEach((key, list) -> {
      TaskRecord t = tasks.get(key);
      if (t != null) {
        out.put(t.id(), list);
      }
    });
    return out;
  }

  /** The effective retry limit of a task: its own, else the job's, else none; -1 is unlimited. */
  public int maxTaskRetryCount(TaskRecord t) {
    if (t.spec().hasConstraints() && t.spec().getConstraints().hasMaxTaskRetryCount()) {
      return t.spec().getConstraints().getMaxTaskRetryCount();
    }
    if (spec.hasConstraints() && spec.getConstraints().hasMaxTaskRetryCount()) {
      return spec.getConstraints().getMaxTaskRetryCount();
    }
    return 0;
  }

  // ------------------------------------------------------------------------------------ events

  /** Applies one event; returns the state to continue with (this, or a fresh one on creation and deletion). */
  public JobRecord apply(JobEvent event) {
    long t = event.timeMs();
    // Java 17 has no pattern switch; the interface is sealed, so this chain is exhaustive by review.
    if (event instanceof JobEvent.JobCreated e) {
      JobRecord created = new JobRecord();
      created.spec = e.spec();
      created.state = JobState.ACTIVE;
      created.creationTimeMs = t;
      created.stateTransitionTimeMs = t;
      created.lastModifiedMs = t;
      created.version = 1;
      created.startTimeMs = t;
      return created;
    } else if (event instanceof JobEvent.JobUpdated e) {
      spec = e.spec();
      lastModifiedMs = t;
      version++;
    } else if (event instanceof JobEvent.JobDisabled) {
      moveTo(JobState.DISABLED, t);
    } else if (event instanceof JobEvent.JobEnabled) {
      moveTo(JobState.ACTIVE, t);
    } else if (event instanceof JobEvent.JobTerminating e) {
      terminateReason = e.reason();
      moveTo(JobState.TERMINATING, t);
    } else if (event instanceof JobEvent.JobCompleted e) {
      if (e.reason() != null && !e.reason().isEmpty()) {
        terminateReason = e.reason();
      }
      endTimeMs = t;
      moveTo(JobState.COMPLETED, t);
    } else if (event instanceof JobEvent.JobDeleting) {
      moveTo(JobState.DELETING, t);
    } else if (event instanceof JobEvent.JobDeleted) {
      return empty();
    } else if (event instanceof JobEvent.TasksAdded e) {
      for (TaskSpec s : e.tasks()) {
        TaskRecord r = TaskRecord.added(s, t);
        String key = Ids.key(s.getId());
        tasks.put(key, r);
        tally(r, +1);
        maxRequiredSlots = Math.max(maxRequiredSlots, r.requiredSlots());
        enqueueOrBlock(key, r);
      }
    } else if (event instanceof JobEvent.TasksDispatched e) {
      for (TaskDispatch d : e.dispatches()) {
        replace(Ids.key(d.taskId()), r -> r.dispatched(d, t));
      }
    } else if (event instanceof JobEvent.TasksFinished e) {
      for (TaskOutcome o : e.outcomes()) {
        String key = Ids.key(o.taskId());
        TaskRecord r = tasks.get(key);
        if (!isCurrentAttempt(r, o)) {
          continue; // a stale or repeated report: it was counted once, when it first arrived
        }
        if (retries(r, o)) {
          replace(key, x -> x.retried(o, t));
        } else {
          replace(key, x -> x.completed(o, t));
        }
      }
    } else if (event instanceof JobEvent.TasksRequeued e) {
      for (String id : e.taskIds()) {
        String key = Ids.key(id);
        TaskRecord r = tasks.get(key);
        if (r != null && r.state() == TaskState.RUNNING) {
          replace(key, x -> x.requeued(t));
        }
      }
    } else if (event instanceof JobEvent.TaskTerminated e) {
      String key = Ids.key(e.taskId());
      TaskRecord r = tasks.get(key);
      if (r != null && r.state() != TaskState.COMPLETED) {
        replace(key, x -> x.terminated(e.failureInfo(), t));
      }
    } else if (event instanceof JobEvent.TaskReactivated e) {
      String key = Ids.key(e.taskId());
      TaskRecord r = tasks.get(key);
      if (r != null && r.state() == TaskState.COMPLETED && !r.succeeded()) {
        replace(key, x -> x.reactivated(t));
      }
    } else if (event instanceof JobEvent.TaskUpdated e) {
      String key = Ids.key(e.taskId());
      if (tasks.containsKey(key)) {
        replace(key, x -> x.updated(e.constraints(), t));
      }
    } else if (event instanceof JobEvent.JobTaskStarted e) {
      NodeJobTasks n = nodeJobTasks.get(e.nodeId());
      JobTaskRun run = JobTaskRun.started(e.attempt(), 0, t, 0);
      nodeJobTasks.put(e.nodeId(), e.kind() == JobTaskKind.PREPARATION
          ? new NodeJobTasks(e.poolId(), e.nodeId(), run, false, n == null ? null : n.release())
          : new NodeJobTasks(e.poolId(), e.nodeId(), n == null ? null : n.preparation(),
              n != null && n.preparationStale(), run));
    } else if (event instanceof JobEvent.JobTaskFinished e) {
      NodeJobTasks n = nodeJobTasks.get(e.nodeId());
      TaskOutcome o = e.outcome();
      if (n != null && e.kind() == JobTaskKind.PREPARATION && n.preparation() != null && !n.preparationStale()
          && n.preparation().isCurrent(o)) {
        JobTaskRun r = n.preparation();
        JobTaskRun next = preparationRetries(r, o)
            ? JobTaskRun.started(r.attempt() + 1, r.retryCount() + 1, t, t) : r.completed(o);
        nodeJobTasks.put(e.nodeId(), new NodeJobTasks(n.poolId(), n.nodeId(), next, false, n.release()));
      } else if (n != null && e.kind() == JobTaskKind.RELEASE && n.release() != null && n.release().isCurrent(o)) {
        nodeJobTasks.put(e.nodeId(), new NodeJobTasks(n.poolId(), n.nodeId(), n.preparation(), n.preparationStale(),
            n.release().completed(o)));
      }
    } else if (event instanceof JobEvent.JobTaskReset e) {
      NodeJobTasks n = nodeJobTasks.get(e.nodeId());
      if (n != null && e.kind() == JobTaskKind.PREPARATION && n.preparation() != null) {
        nodeJobTasks.put(e.nodeId(), new NodeJobTasks(n.poolId(), n.nodeId(), n.preparation(), true, n.release()));
      } else if (n != null && e.kind() == JobTaskKind.RELEASE && n.release() != null && n.release().running()) {
        nodeJobTasks.put(e.nodeId(), new NodeJobTasks(n.poolId(), n.nodeId(), n.preparation(), n.preparationStale(), null));
      }
    } else if (event instanceof JobEvent.SubtasksRecorded e) {
      String key = Ids.key(e.taskId());
      if (tasks.containsKey(key)) {
        subtasks.put(key, e.subtasks());
      }
    } else if (event instanceof JobEvent.TaskDeleted e) {
      String key = Ids.key(e.taskId());
      subtasks.remove(key);
      TaskRecord r = tasks.remove(key);
      if (r != null) {
        tally(r, -1);
        unqueue(key);
        blockedOn.remove(key);
      }
    }
    return this;
  }

  /** A preparation that failed on its own (non-zero exit) runs again while it has retries left; -1 is unlimited. */
  private boolean preparationRetries(JobTaskRun r, TaskOutcome o) {
    io.batchgrid.protocol.spec.JobTaskSpec prep = spec.getJobPreparationTask();
    int max = prep.hasConstraints() && prep.getConstraints().hasMaxTaskRetryCount()
        ? prep.getConstraints().getMaxTaskRetryCount() : 0;
    return o.exitCode() != null && o.exitCode() != 0 && o.failureInfo() == null
        && (max == -1 || r.retryCount() < max);
  }

  // ------------------------------------------------------------ job preparation and release tasks

  public boolean hasPreparation() {
    return spec.hasJobPreparationTask();
  }

  public boolean hasRelease() {
    return spec.hasJobReleaseTask();
  }

  /** The id of the job's preparation or release task (the API fills in Azure's defaults). */
  public String jobTaskId(JobTaskKind kind) {
    return kind == JobTaskKind.PREPARATION ? spec.getJobPreparationTask().getId() : spec.getJobReleaseTask().getId();
  }

  /** Which job-level task an outcome is of, or null for one of the job's tasks: no task may share their ids. */
  public JobTaskKind jobTaskKindOf(String taskId) {
    if (hasPreparation() && Ids.key(taskId).equals(Ids.key(spec.getJobPreparationTask().getId()))) {
      return JobTaskKind.PREPARATION;
    }
    if (hasRelease() && Ids.key(taskId).equals(Ids.key(spec.getJobReleaseTask().getId()))) {
      return JobTaskKind.RELEASE;
    }
    return null;
  }

  /** waitForSuccess, true unless the job says otherwise. */
  public boolean waitsForPreparation() {
    io.batchgrid.protocol.spec.JobTaskSpec prep = spec.getJobPreparationTask();
    return !prep.hasWaitForSuccess() || prep.getWaitForSuccess();
  }

  /** rerunOnNodeRebootAfterSuccess, true unless the job says otherwise. */
  public boolean rerunsPreparationAfterReboot() {
    io.batchgrid.protocol.spec.JobTaskSpec prep = spec.getJobPreparationTask();
    return !prep.hasRerunOnNodeRebootAfterSuccess() || prep.getRerunOnNodeRebootAfterSuccess();
  }

  public NodeJobTasks nodeJobTasks(String nodeId) {
    return nodeJobTasks.get(nodeId);
  }

  public Collection<NodeJobTasks> nodeJobTasks() {
    return Collections.unmodifiableCollection(nodeJobTasks.values());
  }

  /**
   * Whether the job's tasks may go to this node: always without a preparation task; with one, once
   * it succeeded there, or (waitForSuccess false) once it started there.
   */
  public boolean acceptsTasksOn(String nodeId) {
    if (!hasPreparation()) {
      return true;
    }
    NodeJobTasks n = nodeJobTasks.get(nodeId);
    if (n == null || n.preparation() == null || n.preparationStale()) {
      return false;
    }
    return !waitsForPreparation() || n.preparation().succeeded();
  }

  /** The preparation task must be launched on this node before the job's tasks can go there. */
  public boolean needsPreparation(String nodeId) {
    if (!hasPreparation()) {
      return false;
    }
    NodeJobTasks n = nodeJobTasks.get(nodeId);
    return n == null || n.preparation() == null || n.preparationStale();
  }

  /** The preparation failed on this node after its retries, and the job waits for success: none of its tasks go there. */
  public boolean preparationFailedOn(String nodeId) {
    if (!hasPreparation() || !waitsForPreparation()) {
      return false;
    }
    NodeJobTasks n = nodeJobTasks.get(nodeId);
    return n != null && n.preparation() != null && !n.preparationStale() && !n.preparation().running()
        && !n.preparation().succeeded();
  }

  public java.util.Set<String> nodesWithFailedPreparation() {
    java.util.Set<String> out = new java.util.TreeSet<>();
    nodeJobTasks.keySet().forEach(id -> {
      if (preparationFailedOn(id)) {
        out.add(id);
      }
    });
    return out;
  }

  /** Nodes where this job's preparation task is running now. */
  public List<String> preparationsRunning() {
    List<String> out = new ArrayList<>();
    nodeJobTasks.values().forEach(n -> {
      if (n.preparation() != null && n.preparation().running() && !n.preparationStale()) {
        out.add(n.nodeId());
      }
    });
    return out;
  }

  /** Where the release task runs when the job ends: every node on which the preparation task completed. */
  public List<String> nodesToRelease() {
    List<String> out = new ArrayList<>();
    if (!hasRelease()) {
      return out;
    }
    nodeJobTasks.values().forEach(n -> {
      if (n.preparation() != null && !n.preparation().running() && n.release() == null) {
        out.add(n.nodeId());
      }
    });
    return out;
  }

  /** Nodes where the release task runs now: the job stays terminating (or deleting) until there are none. */
  public List<NodeJobTasks> releasesRunning() {
    List<NodeJobTasks> out = new ArrayList<>();
    nodeJobTasks.values().forEach(n -> {
      if (n.release() != null && n.release().running()) {
        out.add(n);
      }
    });
    return out;
  }

  /** Restores the per-node state of a snapshot. */
  public void restoreNodeJobTasks(Iterable<NodeJobTasks> nodes) {
    nodes.forEach(n -> nodeJobTasks.put(n.nodeId(), n));
  }

  /** Whether this outcome sends the task back to the queue: only a task that failed on its own (non-zero exit) spends a retry. */
  private boolean retries(TaskRecord r, TaskOutcome o) {
    int max = maxTaskRetryCount(r);
    return o.exitCode() != null && o.exitCode() != 0 && o.failureInfo() == null
        && (max == -1 || r.retryCount() < max);
  }

  /**
   * The blocked tasks that these outcomes, once applied, would make runnable: their last
   * unsatisfied dependencies are among the outcomes. Read-only; lets the job dispatch a dependent
   * task in the same write that records its dependency's completion.
   */
  public List<TaskRecord> releasedBy(List<TaskOutcome> outcomes, long timeMs) {
    if (blockedOn.isEmpty()) {
      return List.of();
    }
    HashMap<String, Integer> hits = new HashMap<>();
    for (TaskOutcome o : outcomes) {
      String key = Ids.key(o.taskId());
      TaskRecord r = tasks.get(key);
      if (!isCurrentAttempt(r, o) || retries(r, o) || !satisfiesDependents(r.completed(o, timeMs))) {
        continue;
      }
      for (String w : waiters.getOrDefault(key, List.of())) {
        hits.merge(w, 1, Integer::sum);
      }
    }
    List<TaskRecord> released = new ArrayList<>();
    hits.forEach((w, n) -> {
      TaskRecord r = tasks.get(w);
      if (n.equals(blockedOn.get(w)) && r != null && r.state() == TaskState.ACTIVE) {
        released.add(r);
      }
    });
    return released;
  }

  /** True if the outcome reports the attempt the task is running now. */
  public boolean isCurrentAttempt(TaskRecord r, TaskOutcome o) {
    return r != null && r.state() == TaskState.RUNNING && r.attempt() == o.attempt();
  }

  private void moveTo(JobState next, long t) {
    previousState = state;
    previousStateTransitionTimeMs = stateTransitionTimeMs;
    state = next;
    stateTransitionTimeMs = t;
    lastModifiedMs = t;
    version++;
  }

  private void replace(String key, java.util.function.UnaryOperator<TaskRecord> change) {
    TaskRecord before = tasks.get(key);
    if (before == null) {
      return;
    }
    TaskRecord after = change.apply(before);
    tasks.put(key, after);
    tally(before, -1);
    tally(after, +1);
    // Keep the queue exactly the set of active tasks whose dependencies are satisfied.
    if (before.state() == TaskState.ACTIVE && after.state() != TaskState.ACTIVE) {
      unqueue(key);
      blockedOn.remove(key);
    } else if (before.state() != TaskState.ACTIVE && after.state() == TaskState.ACTIVE) {
      (after.multiInstance() ? gangs : requeued).add(key);
    }
    if (before.state() != TaskState.COMPLETED && after.state() == TaskState.COMPLETED && satisfiesDependents(after)) {
      release(key);
    }
  }

  // ------------------------------------------------------------------------------ dependencies

  /** Queues a new active task, or records it as blocked on the dependencies not yet satisfied. */
  private void enqueueOrBlock(String key, TaskRecord r) {
    int unsatisfied = 0;
    if (spec.getUsesTaskDependencies()) {
      for (String dep : dependencyKeys(r.spec())) {
        TaskRecord d = tasks.get(dep);
        if (d == null || d.state() != TaskState.COMPLETED || !satisfiesDependents(d)) {
          waiters.computeIfAbsent(dep, k -> new ArrayList<>(1)).add(key);
          unsatisfied++;
        }
      }
    }
    if (unsatisfied == 0) {
      (r.multiInstance() ? gangs : r.attempt() > 0 ? requeued : fresh).add(key);
    } else {
      blockedOn.put(key, unsatisfied);
    }
  }

  /** A task completed in a way that satisfies its dependents: the ones it was the last wait of are queued. */
  private void release(String key) {
    List<String> waiting = waiters.remove(key);
    if (waiting == null) {
      return;
    }
    for (String w : waiting) {
      Integer left = blockedOn.get(w);
      if (left == null) {
        continue; // no longer blocked: completed, terminated or deleted meanwhile
      }
      if (left > 1) {
        blockedOn.put(w, left - 1);
      } else {
        blockedOn.remove(w);
        TaskRecord r = tasks.get(w);
        if (r != null && r.state() == TaskState.ACTIVE) {
          (r.multiInstance() ? gangs : fresh).add(w);
        }
      }
    }
  }

  /** The keys of the tasks a task depends on: its ids, and every id in its ranges. */
  public static List<String> dependencyKeys(TaskSpec s) {
    if (!s.hasDependsOn()) {
      return List.of();
    }
    List<String> keys = new ArrayList<>(s.getDependsOn().getTaskIdsCount());
    for (String id : s.getDependsOn().getTaskIdsList()) {
      keys.add(Ids.key(id));
    }
    for (io.batchgrid.protocol.spec.TaskIdRange range : s.getDependsOn().getTaskIdRangesList()) {
      for (long i = range.getStart(); i <= range.getEnd(); i++) {
        keys.add(Long.toString(i));
      }
    }
    return keys;
  }

  /**
   * Whether a completed task lets its dependents run: success does; a failure does only when its
   * exit conditions say {@code dependencyAction: satisfy} (the default is to block).
   */
  static boolean satisfiesDependents(TaskRecord t) {
    if (t.succeeded()) {
      return true;
    }
    io.batchgrid.protocol.spec.ExitOptions options = exitOptionsFor(t);
    return options != null && "satisfy".equalsIgnoreCase(options.getDependencyAction());
  }

  /**
   * What a completed task asks of its job (none, disable, terminate) when the job's
   * {@code onTaskFailure} is {@code performexitoptionsjobaction}: its matching exit option's
   * {@code jobAction}, else Azure's default — none after exit code 0, terminate after any failure.
   */
  public String jobActionFor(TaskRecord t) {
    if (!"performexitoptionsjobaction".equalsIgnoreCase(spec.getOnTaskFailure()) || t.state() != TaskState.COMPLETED) {
      return "none";
    }
    io.batchgrid.protocol.spec.ExitOptions options = exitOptionsFor(t);
    if (options != null && !options.getJobAction().isEmpty()) {
      return options.getJobAction().toLowerCase(java.util.Locale.ROOT);
    }
    return t.succeeded() ? "none" : "terminate";
  }

  /**
   * The exit options that match how a completed task ended, or null. Azure's precedence: a
   * pre-processing error (the process never started) takes {@code preProcessingError}; an exit
   * code listed in {@code exitCodes} or {@code exitCodeRanges} comes next, even when the upload of
   * output files then failed; an upload failure otherwise takes {@code fileUploadError}; any other
   * failure (or one whose own property is absent) takes {@code default}.
   */
  private static io.batchgrid.protocol.spec.ExitOptions exitOptionsFor(TaskRecord t) {
    io.batchgrid.protocol.spec.ExitConditions c = t.spec().getExitConditions();
    io.batchgrid.protocol.spec.ExitOptions options = null;
    FailureInfoView failure = new FailureInfoView(t);
    if (failure.preProcessing()) {
      options = c.hasPreProcessingError() ? c.getPreProcessingError() : null;
    } else if (t.exitCode() != null) {
      for (io.batchgrid.protocol.spec.ExitCodeMapping m : c.getExitCodesList()) {
        if (m.getCode() == t.exitCode()) {
          options = m.getExitOptions();
          break;
        }
      }
      if (options == null) {
        for (io.batchgrid.protocol.spec.ExitCodeRangeMapping m : c.getExitCodeRangesList()) {
          if (t.exitCode() >= m.getStart() && t.exitCode() <= m.getEnd()) {
            options = m.getExitOptions();
            break;
          }
        }
      }
      if (options == null && failure.fileUpload() && c.hasFileUploadError()) {
        options = c.getFileUploadError();
      }
    }
    if (options == null && c.hasDefault() && !(t.succeeded())) {
      options = c.getDefault();
    }
    return options;
  }

  /** Which kind of failure a task had, from its failure code. */
  private record FailureInfoView(boolean preProcessing, boolean fileUpload) {
    FailureInfoView(TaskRecord t) {
      this(t.failureInfo() != null && t.exitCode() == null && !t.failureInfo().code().startsWith("FileUpload"),
          t.failureInfo() != null && t.failureInfo().code().startsWith("FileUpload"));
    }
  }

  /** True when an active task waits for dependencies. */
  public boolean isBlocked(String taskId) {
    return blockedOn.containsKey(Ids.key(taskId));
  }

  private void unqueue(String key) {
    if (!requeued.remove(key) && !fresh.remove(key)) {
      gangs.remove(key);
    }
  }

  private void tally(TaskRecord r, int sign) {
    int slots = r.requiredSlots();
    counts[r.state().ordinal()] += sign;
    if (r.state() == TaskState.ACTIVE && r.multiInstance()) {
      activeMultiInstance += sign;
    }
    slotCounts[r.state().ordinal()] += (long) sign * slots;
    if (r.state() == TaskState.COMPLETED) {
      if (r.succeeded()) {
        succeeded += sign;
        succeededSlots += (long) sign * slots;
      } else {
        failed += sign;
        failedSlots += (long) sign * slots;
      }
    }
  }

  // ------------------------------------------------------------------------------ snapshots

  /** Restores a snapshot; the queue and counters are rebuilt from the task table. */
  public static JobRecord restore(JobSpec spec, JobState state, JobState previousState,
      long creationTimeMs, long stateTransitionTimeMs, long previousStateTransitionTimeMs,
      long lastModifiedMs, long version, long startTimeMs, long endTimeMs, String terminateReason,
      Iterable<TaskRecord> taskRecords) {
    JobRecord r = new JobRecord();
    if (spec == null) {
      return r;
    }
    r.spec = spec;
    r.state = state;
    r.previousState = previousState;
    r.creationTimeMs = creationTimeMs;
    r.stateTransitionTimeMs = stateTransitionTimeMs;
    r.previousStateTransitionTimeMs = previousStateTransitionTimeMs;
    r.lastModifiedMs = lastModifiedMs;
    r.version = version;
    r.startTimeMs = startTimeMs;
    r.endTimeMs = endTimeMs;
    r.terminateReason = terminateReason;
    java.util.List<TaskRecord> active = new java.util.ArrayList<>();
    for (TaskRecord t : taskRecords) {
      r.tasks.put(Ids.key(t.id()), t);
      r.tally(t, +1);
      if (t.state() == TaskState.ACTIVE) {
        active.add(t);
      }
    }
    // Oldest first, as they were queued; exact order across retries is not promised by Azure either.
    // Tasks that ran before were sent back; the others wait in the order they came, or for their
    // dependencies.
    active.sort(java.util.Comparator.comparingLong(TaskRecord::stateTransitionTimeMs));
    for (TaskRecord t : active) {
      r.enqueueOrBlock(Ids.key(t.id()), t);
      r.maxRequiredSlots = Math.max(r.maxRequiredSlots, t.requiredSlots());
    }
    return r;
  }

  public JobState previousState() {
    return previousState;
  }

  public long creationTimeMs() {
    return creationTimeMs;
  }

  public long stateTransitionTimeMs() {
    return stateTransitionTimeMs;
  }

  public long previousStateTransitionTimeMs() {
    return previousStateTransitionTimeMs;
  }

  public long startTimeMs() {
    return startTimeMs;
  }

  public long endTimeMs() {
    return endTimeMs;
  }

  public String terminateReason() {
    return terminateReason;
  }

  public Collection<TaskRecord> allTasks() {
    return Collections.unmodifiableCollection(tasks.values());
  }
}
