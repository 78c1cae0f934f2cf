package io.batchgrid.protocol.serialization;

import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

import com.google.protobuf.InvalidProtocolBufferException;

import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.catalog.CatalogEvent;
import io.batchgrid.protocol.catalog.CatalogRecord;
import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobState;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskOutcome;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.pool.AllocationState;
import io.batchgrid.protocol.pool.PoolEvent;
import io.batchgrid.protocol.pool.PoolRecord;
import io.batchgrid.protocol.pool.PoolState;
import io.batchgrid.protocol.proto.CatalogEventP;
import io.batchgrid.protocol.proto.CatalogSnapshotP;
import io.batchgrid.protocol.proto.FailureInfoP;
import io.batchgrid.protocol.proto.JobEventP;
import io.batchgrid.protocol.proto.JobSnapshotP;
import io.batchgrid.protocol.proto.NodesAllocatedP;
import io.batchgrid.protocol.proto.NodesRemovedP;
import io.batchgrid.protocol.proto.PoolEventP;
import io.batchgrid.protocol.proto.PoolSnapshotP;
import io.batchgrid.protocol.proto.TaskDispatchP;
import io.batchgrid.protocol.proto.TaskOutcomeP;
import io.batchgrid.protocol.proto.TaskRecordP;
import io.batchgrid.protocol.proto.TaskTerminatedP;
import io.batchgrid.protocol.proto.TasksAddedP;
import io.batchgrid.protocol.proto.TasksDispatchedP;
import io.batchgrid.protocol.proto.TasksFinishedP;
import io.batchgrid.protocol.proto.TasksRequeuedP;

/**
 * Writes every persisted event and snapshot as Protobuf (schemas in state.proto). The manifest names
 * the message kind, not a Java class, so classes can be renamed without breaking old journals.
 */
public final class PersistenceSerializer extends SerializerWithStringManifest {
  static final String JOB_EVENT = "JE";
  static final String JOB_SNAPSHOT = "JS";
  static final String JOB_SNAPSHOT_PROTO = "JSP";
  static final String POOL_EVENT = "PE";
  static final String POOL_SNAPSHOT = "PS";
  static final String CATALOG_EVENT = "CE";
  static final String SCHEDULE_EVENT = "SE";
  static final String CATALOG_SNAPSHOT = "CS";

  public PersistenceSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return 7301;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof JobEvent) {
      return JOB_EVENT;
    } else if (o instanceof JobRecord) {
      return JOB_SNAPSHOT;
    } else if (o instanceof JobSnapshotP) {
      return JOB_SNAPSHOT_PROTO;
    } else if (o instanceof PoolEvent) {
      return POOL_EVENT;
    } else if (o instanceof PoolRecord) {
      return POOL_SNAPSHOT;
    } else if (o instanceof CatalogEvent) {
      return CATALOG_EVENT;
    } else if (o instanceof io.batchgrid.protocol.schedule.JobScheduleEvent) {
      return SCHEDULE_EVENT;
    } else if (o instanceof CatalogRecord) {
      return CATALOG_SNAPSHOT;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof JobEvent e) {
      return jobEvent(e).toByteArray();
    } else if (o instanceof JobRecord r) {
      return jobSnapshot(r).toByteArray();
    } else if (o instanceof JobSnapshotP p) {
      return p.toByteArray();
    } else if (o instanceof PoolEvent e) {
      return poolEvent(e).toByteArray();
    } else if (o instanceof PoolRecord r) {
      return poolSnapshot(r).toByteArray();
    } else if (o instanceof CatalogEvent e) {
      return catalogEvent(e).toByteArray();
    } else if (o instanceof io.batchgrid.protocol.schedule.JobScheduleEvent e) {
      return scheduleEvent(e).toByteArray();
    } else if (o instanceof CatalogRecord r) {
      return CatalogSnapshotP.newBuilder().addAllPoolIds(r.poolIds()).addAllJobIds(r.jobIds())
          .addAllScheduleIds(r.scheduleIds()).build().toByteArray();
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      switch (manifest) {
        case JOB_EVENT:
          return jobEvent(JobEventP.parseFrom(bytes));
        case JOB_SNAPSHOT:
          return jobSnapshot(JobSnapshotP.parseFrom(bytes));
        case JOB_SNAPSHOT_PROTO:
          return JobSnapshotP.parseFrom(bytes);
        case POOL_EVENT:
          return poolEvent(PoolEventP.parseFrom(bytes));
        case POOL_SNAPSHOT:
          return poolSnapshot(PoolSnapshotP.parseFrom(bytes));
        case CATALOG_EVENT:
          return catalogEvent(CatalogEventP.parseFrom(bytes));
        case SCHEDULE_EVENT:
          return scheduleEvent(io.batchgrid.protocol.proto.JobScheduleEventP.parseFrom(bytes));
        case CATALOG_SNAPSHOT: {
          CatalogSnapshotP p = CatalogSnapshotP.parseFrom(bytes);
          CatalogRecord r = CatalogRecord.EMPTY;
          for (String id : p.getPoolIdsList()) {
            r = r.apply(new CatalogEvent.PoolAdded(id));
          }
          for (String id : p.getJobIdsList()) {
            r = r.apply(new CatalogEvent.JobAdded(id));
          }
          for (String id : p.getScheduleIdsList()) {
            r = r.apply(new CatalogEvent.ScheduleAdded(id));
          }
          return r;
        }
        default:
          throw new NotSerializableException("unknown manifest " + manifest);
      }
    } catch (InvalidProtocolBufferException e) {
      NotSerializableException n = new NotSerializableException(manifest + ": " + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }

  // ---------------------------------------------------------------------------------- job

  static JobEventP jobEvent(JobEvent e) {
    JobEventP.Builder b = JobEventP.newBuilder().setTimeMs(e.timeMs());
    if (e instanceof JobEvent.JobCreated c) {
      b.setCreated(c.spec());
    } else if (e instanceof JobEvent.JobUpdated c) {
      b.setUpdated(c.spec());
    } else if (e instanceof JobEvent.JobDisabled c) {
      b.setDisabled(nz(c.disableTasks()));
    } else if (e instanceof JobEvent.JobEnabled) {
      b.setEnabled(true);
    } else if (e instanceof JobEvent.JobTerminating c) {
      b.setTerminatingReason(nz(c.reason()));
    } else if (e instanceof JobEvent.JobCompleted c) {
      b.setCompletedReason(nz(c.reason()));
    } else if (e instanceof JobEvent.JobDeleting) {
      b.setDeleting(true);
    } else if (e instanceof JobEvent.JobDeleted) {
      b.setDeleted(true);
    } else if (e instanceof JobEvent.TasksAdded c) {
      b.setTasksAdded(TasksAddedP.newBuilder().addAllTasks(c.tasks()));
    } else if (e instanceof JobEvent.TasksDispatched c) {
      TasksDispatchedP.Builder d = TasksDispatchedP.newBuilder();
      for (TaskDispatch x : c.dispatches()) {
        d.addDispatches(TaskDispatchP.newBuilder().setTaskId(x.taskId()).setNodeId(x.nodeId())
            .setAttempt(x.attempt()).setTaskRootDirectory(nz(x.taskRootDirectory())));
      }
      b.setTasksDispatched(d);
    } else if (e instanceof JobEvent.TasksFinished c) {
      TasksFinishedP.Builder f = TasksFinishedP.newBuilder().setNodeId(nz(c.nodeId()));
      for (TaskOutcome o : c.outcomes()) {
        f.addOutcomes(outcome(o));
      }
      b.setTasksFinished(f);
    } else if (e instanceof JobEvent.TasksRequeued c) {
      b.setTasksRequeued(TasksRequeuedP.newBuilder().addAllTaskIds(c.taskIds()).setReason(nz(c.reason())));
    } else if (e instanceof JobEvent.TaskTerminated c) {
      TaskTerminatedP.Builder t = TaskTerminatedP.newBuilder().setTaskId(c.taskId());
      if (c.failureInfo() != null) {
        t.setFailureInfo(failure(c.failureInfo()));
      }
      b.setTaskTerminated(t);
    } else if (e instanceof JobEvent.TaskDeleted c) {
      b.setTaskDeleted(c.taskId());
    } else if (e instanceof JobEvent.TaskReactivated c) {
      b.setTaskReactivated(c.taskId());
    } else if (e instanceof JobEvent.TaskUpdated c) {
      io.batchgrid.protocol.proto.TaskUpdatedP.Builder u =
          io.batchgrid.protocol.proto.TaskUpdatedP.newBuilder().setTaskId(c.taskId());
      if (c.constraints() != null) {
        u.setConstraints(c.constraints());
      }
      b.setTaskUpdated(u);
    } else if (e instanceof JobEvent.JobTaskStarted c) {
      b.setJobTaskStarted(io.batchgrid.protocol.proto.JobTaskEventP.newBuilder().setKind(c.kind().ordinal())
          .setPoolId(nz(c.poolId())).setNodeId(c.nodeId()).setAttempt(c.attempt()));
    } else if (e instanceof JobEvent.JobTaskFinished c) {
      b.setJobTaskFinished(io.batchgrid.protocol.proto.JobTaskEventP.newBuilder().setKind(c.kind().ordinal())
          .setNodeId(c.nodeId()).setOutcome(outcome(c.outcome())));
    } else if (e instanceof JobEvent.JobTaskReset c) {
      b.setJobTaskReset(io.batchgrid.protocol.proto.JobTaskEventP.newBuilder().setKind(c.kind().ordinal())
          .setNodeId(c.nodeId()));
    } else if (e instanceof JobEvent.SubtasksRecorded c) {
      b.setSubtasksRecorded(subtasks(c.taskId(), c.subtasks()));
    } else {
      throw new IllegalArgumentException("unknown job event " + e);
    }
    return b.build();
  }

  static JobEvent jobEvent(JobEventP p) throws NotSerializableException {
    long t = p.getTimeMs();
    switch (p.getKindCase()) {
      case CREATED:
        return new JobEvent.JobCreated(p.getCreated(), t);
      case UPDATED:
        return new JobEvent.JobUpdated(p.getUpdated(), t);
      case DISABLED:
        return new JobEvent.JobDisabled(p.getDisabled(), t);
      case ENABLED:
        return new JobEvent.JobEnabled(t);
      case TERMINATING_REASON:
        return new JobEvent.JobTerminating(p.getTerminatingReason(), t);
      case COMPLETED_REASON:
        return new JobEvent.JobCompleted(p.getCompletedReason(), t);
      case DELETING:
        return new JobEvent.JobDeleting(t);
      case DELETED:
        return new JobEvent.JobDeleted(t);
      case TASKS_ADDED:
        return new JobEvent.TasksAdded(p.getTasksAdded().getTasksList(), t);
      case TASKS_DISPATCHED: {
        List<TaskDispatch> ds = new ArrayList<>();
        for (TaskDispatchP d : p.getTasksDispatched().getDispatchesList()) {
          ds.add(new TaskDispatch(d.getTaskId(), d.getNodeId(), d.getAttempt(), d.getTaskRootDirectory()));
        }
        return new JobEvent.TasksDispatched(ds, t);
      }
      case TASKS_FINISHED: {
        List<TaskOutcome> os = new ArrayList<>();
        for (TaskOutcomeP o : p.getTasksFinished().getOutcomesList()) {
          os.add(outcome(o));
        }
        return new JobEvent.TasksFinished(p.getTasksFinished().getNodeId(), os, t);
      }
      case TASKS_REQUEUED:
        return new JobEvent.TasksRequeued(p.getTasksRequeued().getTaskIdsList(), p.getTasksRequeued().getReason(), t);
      case TASK_TERMINATED:
        return new JobEvent.TaskTerminated(p.getTaskTerminated().getTaskId(),
            p.getTaskTerminated().hasFailureInfo() ? failure(p.getTaskTerminated().getFailureInfo()) : null, t);
      case TASK_DELETED:
        return new JobEvent.TaskDeleted(p.getTaskDeleted(), t);
      case TASK_REACTIVATED:
        return new JobEvent.TaskReactivated(p.getTaskReactivated(), t);
      case TASK_UPDATED:
        return new JobEvent.TaskUpdated(p.getTaskUpdated().getTaskId(),
            p.getTaskUpdated().hasConstraints() ? p.getTaskUpdated().getConstraints() : null, t);
      case JOB_TASK_STARTED: {
        io.batchgrid.protocol.proto.JobTaskEventP x = p.getJobTaskStarted();
        return new JobEvent.JobTaskStarted(jobTaskKind(x.getKind()), x.getPoolId(), x.getNodeId(), x.getAttempt(), t);
      }
      case JOB_TASK_FINISHED: {
        io.batchgrid.protocol.proto.JobTaskEventP x = p.getJobTaskFinished();
        return new JobEvent.JobTaskFinished(jobTaskKind(x.getKind()), x.getNodeId(), outcome(x.getOutcome()), t);
      }
      case JOB_TASK_RESET:
        return new JobEvent.JobTaskReset(jobTaskKind(p.getJobTaskReset().getKind()), p.getJobTaskReset().getNodeId(), t);
      case SUBTASKS_RECORDED:
        return new JobEvent.SubtasksRecorded(p.getSubtasksRecorded().getTaskId(), subtasks(p.getSubtasksRecorded()), t);
      default:
        throw new NotSerializableException("job event of unknown kind " + p.getKindCase());
    }
  }

  static JobSnapshotP jobSnapshot(JobRecord r) {
    JobSnapshotP.Builder b = JobSnapshotP.newBuilder().setExists(r.exists());
    if (!r.exists()) {
      return b.build();
    }
    b.setSpec(r.spec()).setState(r.state().ordinal())
        .setPreviousState(r.previousState() == null ? -1 : r.previousState().ordinal())
        .setCreationTimeMs(r.creationTimeMs()).setStateTransitionTimeMs(r.stateTransitionTimeMs())
        .setPreviousStateTransitionTimeMs(r.previousStateTransitionTimeMs())
        .setLastModifiedMs(r.lastModifiedMs()).setVersion(r.version()).setStartTimeMs(r.startTimeMs())
        .setEndTimeMs(r.endTimeMs()).setTerminateReason(nz(r.terminateReason()));
    for (TaskRecord t : r.allTasks()) {
      b.addTasks(task(t));
    }
    for (io.batchgrid.protocol.job.NodeJobTasks n : r.nodeJobTasks()) {
      io.batchgrid.protocol.proto.NodeJobTasksP.Builder nb = io.batchgrid.protocol.proto.NodeJobTasksP.newBuilder()
          .setPoolId(nz(n.poolId())).setNodeId(n.nodeId()).setPreparationStale(n.preparationStale());
      if (n.preparation() != null) {
        nb.setPreparation(jobTaskRun(n.preparation()));
      }
      if (n.release() != null) {
        nb.setRelease(jobTaskRun(n.release()));
      }
      b.addNodeJobTasks(nb);
    }
    r.allSubtasks().forEach((taskId, list) -> b.addSubtasks(subtasks(taskId, list)));
    return b.build();
  }

  private static io.batchgrid.protocol.job.JobTaskKind jobTaskKind(int ordinal) throws NotSerializableException {
    io.batchgrid.protocol.job.JobTaskKind[] kinds = io.batchgrid.protocol.job.JobTaskKind.values();
    if (ordinal < 0 || ordinal >= kinds.length) {
      throw new NotSerializableException("job task of unknown kind " + ordinal);
    }
    return kinds[ordinal];
  }

  static io.batchgrid.protocol.proto.JobTaskRunP jobTaskRun(io.batchgrid.protocol.job.JobTaskRun r) {
    io.batchgrid.protocol.proto.JobTaskRunP.Builder b = io.batchgrid.protocol.proto.JobTaskRunP.newBuilder()
        .setRunning(r.running()).setAttempt(r.attempt()).setRetryCount(r.retryCount())
        .setStartTimeMs(r.startTimeMs()).setEndTimeMs(r.endTimeMs()).setLastRetryTimeMs(r.lastRetryTimeMs());
    if (r.exitCode() != null) {
      b.setExitCode(r.exitCode());
    }
    if (r.failureInfo() != null) {
      b.setFailureInfo(failure(r.failureInfo()));
    }
    return b.build();
  }

  static io.batchgrid.protocol.job.JobTaskRun jobTaskRun(io.batchgrid.protocol.proto.JobTaskRunP p) {
    return new io.batchgrid.protocol.job.JobTaskRun(p.getRunning(), p.getAttempt(), p.getRetryCount(),
        p.getStartTimeMs(), p.getEndTimeMs(), p.hasExitCode() ? p.getExitCode() : null,
        p.hasFailureInfo() ? failure(p.getFailureInfo()) : null, p.getLastRetryTimeMs());
  }

  static JobRecord jobSnapshot(JobSnapshotP p) {
    if (!p.getExists()) {
      return JobRecord.empty();
    }
    List<TaskRecord> tasks = new ArrayList<>(p.getTasksCount());
    for (TaskRecordP t : p.getTasksList()) {
      tasks.add(task(t));
    }
    JobRecord r = JobRecord.restore(p.getSpec(), JobState.values()[p.getState()],
        p.getPreviousState() < 0 ? null : JobState.values()[p.getPreviousState()],
        p.getCreationTimeMs(), p.getStateTransitionTimeMs(), p.getPreviousStateTransitionTimeMs(),
        p.getLastModifiedMs(), p.getVersion(), p.getStartTimeMs(), p.getEndTimeMs(),
        emptyToNull(p.getTerminateReason()), tasks);
    List<io.batchgrid.protocol.job.NodeJobTasks> nodes = new ArrayList<>(p.getNodeJobTasksCount());
    for (io.batchgrid.protocol.proto.NodeJobTasksP n : p.getNodeJobTasksList()) {
      nodes.add(new io.batchgrid.protocol.job.NodeJobTasks(n.getPoolId(), n.getNodeId(),
          n.hasPreparation() ? jobTaskRun(n.getPreparation()) : null, n.getPreparationStale(),
          n.hasRelease() ? jobTaskRun(n.getRelease()) : null));
    }
    r.restoreNodeJobTasks(nodes);
    for (io.batchgrid.protocol.proto.SubtasksRecordedP x : p.getSubtasksList()) {
      r.apply(new JobEvent.SubtasksRecorded(x.getTaskId(), subtasks(x), r.lastModifiedMs()));
    }
    return r;
  }

  static TaskRecordP task(TaskRecord t) {
    TaskRecordP.Builder b = TaskRecordP.newBuilder().setSpec(t.spec()).setState(t.state().ordinal())
        .setPreviousState(t.previousState() == null ? -1 : t.previousState().ordinal())
        .setCreationTimeMs(t.creationTimeMs()).setStateTransitionTimeMs(t.stateTransitionTimeMs())
        .setPreviousStateTransitionTimeMs(t.previousStateTransitionTimeMs())
        .setLastModifiedMs(t.lastModifiedMs()).setVersion(t.version()).setAttempt(t.attempt())
        .setRetryCount(t.retryCount()).setRequeueCount(t.requeueCount()).setNodeId(nz(t.nodeId()))
        .setTaskRootDirectory(nz(t.taskRootDirectory())).setStartTimeMs(t.startTimeMs())
        .setEndTimeMs(t.endTimeMs()).setLastRetryTimeMs(t.lastRetryTimeMs())
        .setLastRequeueTimeMs(t.lastRequeueTimeMs());
    if (t.exitCode() != null) {
      b.setExitCode(t.exitCode());
    }
    if (t.failureInfo() != null) {
      b.setFailureInfo(failure(t.failureInfo()));
    }
    return b.build();
  }

  static TaskRecord task(TaskRecordP p) {
    return new TaskRecord(p.getSpec(), TaskState.values()[p.getState()],
        p.getPreviousState() < 0 ? null : TaskState.values()[p.getPreviousState()],
        p.getCreationTimeMs(), p.getStateTransitionTimeMs(), p.getPreviousStateTransitionTimeMs(),
        p.getLastModifiedMs(), p.getVersion(), p.getAttempt(), p.getRetryCount(), p.getRequeueCount(),
        emptyToNull(p.getNodeId()), emptyToNull(p.getTaskRootDirectory()), p.getStartTimeMs(),
        p.getEndTimeMs(), p.hasExitCode() ? p.getExitCode() : null,
        p.hasFailureInfo() ? failure(p.getFailureInfo()) : null, p.getLastRetryTimeMs(),
        p.getLastRequeueTimeMs());
  }

  static TaskOutcomeP outcome(TaskOutcome o) {
    TaskOutcomeP.Builder b = TaskOutcomeP.newBuilder().setTaskId(o.taskId()).setAttempt(o.attempt())
        .setStartTimeMs(o.startTimeMs()).setEndTimeMs(o.endTimeMs());
    if (o.exitCode() != null) {
      b.setExitCode(o.exitCode());
    }
    if (o.failureInfo() != null) {
      b.setFailureInfo(failure(o.failureInfo()));
    }
    if (o.coordination()) {
      b.setInstance(o.instance());
    }
    return b.build();
  }

  static TaskOutcome outcome(TaskOutcomeP p) {
    return new TaskOutcome(p.getTaskId(), p.getAttempt(), p.hasExitCode() ? p.getExitCode() : null,
        p.getStartTimeMs(), p.getEndTimeMs(), p.hasFailureInfo() ? failure(p.getFailureInfo()) : null,
        p.hasInstance() ? p.getInstance() : TaskOutcome.TASK);
  }

  static io.batchgrid.protocol.proto.SubtasksRecordedP subtasks(String taskId, List<io.batchgrid.protocol.job.SubtaskRecord> list) {
    io.batchgrid.protocol.proto.SubtasksRecordedP.Builder b =
        io.batchgrid.protocol.proto.SubtasksRecordedP.newBuilder().setTaskId(taskId);
    for (io.batchgrid.protocol.job.SubtaskRecord r : list) {
      io.batchgrid.protocol.proto.SubtaskP.Builder x = io.batchgrid.protocol.proto.SubtaskP.newBuilder()
          .setId(r.id()).setNodeId(nz(r.nodeId())).setCompleted(r.completed()).setStartTimeMs(r.startTimeMs())
          .setEndTimeMs(r.endTimeMs()).setStateTransitionTimeMs(r.stateTransitionTimeMs());
      if (r.exitCode() != null) {
        x.setExitCode(r.exitCode());
      }
      if (r.failureInfo() != null) {
        x.setFailureInfo(failure(r.failureInfo()));
      }
      b.addSubtasks(x);
    }
    return b.build();
  }

  static List<io.batchgrid.protocol.job.SubtaskRecord> subtasks(io.batchgrid.protocol.proto.SubtasksRecordedP p) {
    List<io.batchgrid.protocol.job.SubtaskRecord> out = new ArrayList<>(p.getSubtasksCount());
    for (io.batchgrid.protocol.proto.SubtaskP x : p.getSubtasksList()) {
      out.add(new io.batchgrid.protocol.job.SubtaskRecord(x.getId(), emptyToNull(x.getNodeId()), x.getCompleted(),
          x.getStartTimeMs(), x.getEndTimeMs(), x.hasExitCode() ? x.getExitCode() : null,
          x.hasFailureInfo() ? failure(x.getFailureInfo()) : null, x.getStateTransitionTimeMs()));
    }
    return out;
  }

  static FailureInfoP failure(FailureInfo f) {
    return FailureInfoP.newBuilder().setCategory(nz(f.category())).setCode(nz(f.code()))
        .setMessage(nz(f.message())).addAllDetails(f.details()).build();
  }

  static FailureInfo failure(FailureInfoP p) {
    return new FailureInfo(p.getCategory(), p.getCode(), p.getMessage(), p.getDetailsList());
  }

  // ---------------------------------------------------------------------------------- pool

  static PoolEventP poolEvent(PoolEvent e) {
    PoolEventP.Builder b = PoolEventP.newBuilder().setTimeMs(e.timeMs());
    if (e instanceof PoolEvent.PoolCreated c) {
      b.setCreated(c.spec());
    } else if (e instanceof PoolEvent.NodesAllocated c) {
      b.setNodesAllocated(NodesAllocatedP.newBuilder().addAllNodeIds(c.nodeIds()));
    } else if (e instanceof PoolEvent.NodesRemoved c) {
      b.setNodesRemoved(NodesRemovedP.newBuilder().addAllNodeIds(c.nodeIds()));
    } else if (e instanceof PoolEvent.PoolResized c) {
      b.setResizedDedicated(c.targetDedicatedNodes());
    } else if (e instanceof PoolEvent.ResizeCompleted) {
      b.setResizeCompleted(true);
    } else if (e instanceof PoolEvent.ResizeStopping) {
      b.setResizeStopping(true);
    } else if (e instanceof PoolEvent.ResizeStopped c) {
      b.setResizeStopped(io.batchgrid.protocol.proto.ResizeErrorP.newBuilder().setCode(nz(c.errorCode()))
          .setMessage(nz(c.errorMessage())));
    } else if (e instanceof PoolEvent.AutoScaleEnabled c) {
      b.setAutoScaleEnabled(io.batchgrid.protocol.proto.AutoScaleP.newBuilder().setFormula(c.formula())
          .setEvaluationIntervalMs(c.evaluationIntervalMs()));
    } else if (e instanceof PoolEvent.AutoScaleDisabled) {
      b.setAutoScaleDisabled(true);
    } else if (e instanceof PoolEvent.PoolUpdated c) {
      b.setUpdated(c.spec());
    } else if (e instanceof PoolEvent.NodeSchedulingDisabled c) {
      b.setNodeSchedulingDisabled(c.nodeId());
    } else if (e instanceof PoolEvent.NodeSchedulingEnabled c) {
      b.setNodeSchedulingEnabled(c.nodeId());
    } else if (e instanceof PoolEvent.NodeDeallocated c) {
      b.setNodeDeallocated(c.nodeId());
    } else if (e instanceof PoolEvent.NodeStarted c) {
      b.setNodeStarted(c.nodeId());
    } else if (e instanceof PoolEvent.NodeRestartRequested c) {
      b.setNodeRestartRequested(io.batchgrid.protocol.proto.NodeRestartP.newBuilder().setNodeId(c.nodeId())
          .setOption(nz(c.option())).setReimage(c.reimage()));
    } else if (e instanceof PoolEvent.NodeRestarted c) {
      b.setNodeRestarted(c.nodeId());
    } else if (e instanceof PoolEvent.NodesLeaving c) {
      b.setNodesLeaving(NodesRemovedP.newBuilder().addAllNodeIds(c.nodeIds()));
    } else if (e instanceof PoolEvent.PoolDeleting) {
      b.setDeleting(true);
    } else if (e instanceof PoolEvent.PoolDeleted) {
      b.setDeleted(true);
    } else {
      throw new IllegalArgumentException("unknown pool event " + e);
    }
    return b.build();
  }

  static PoolEvent poolEvent(PoolEventP p) throws NotSerializableException {
    long t = p.getTimeMs();
    switch (p.getKindCase()) {
      case CREATED:
        return new PoolEvent.PoolCreated(p.getCreated(), t);
      case NODES_ALLOCATED:
        return new PoolEvent.NodesAllocated(p.getNodesAllocated().getNodeIdsList(), t);
      case NODES_REMOVED:
        return new PoolEvent.NodesRemoved(p.getNodesRemoved().getNodeIdsList(), t);
      case RESIZED_DEDICATED:
        return new PoolEvent.PoolResized(p.getResizedDedicated(), t);
      case RESIZE_COMPLETED:
        return new PoolEvent.ResizeCompleted(t);
      case RESIZE_STOPPING:
        return new PoolEvent.ResizeStopping(t);
      case RESIZE_STOPPED:
        return new PoolEvent.ResizeStopped(emptyToNull(p.getResizeStopped().getCode()),
            emptyToNull(p.getResizeStopped().getMessage()), t);
      case AUTO_SCALE_ENABLED:
        return new PoolEvent.AutoScaleEnabled(p.getAutoScaleEnabled().getFormula(),
            p.getAutoScaleEnabled().getEvaluationIntervalMs(), t);
      case AUTO_SCALE_DISABLED:
        return new PoolEvent.AutoScaleDisabled(t);
      case UPDATED:
        return new PoolEvent.PoolUpdated(p.getUpdated(), t);
      case NODE_SCHEDULING_DISABLED:
        return new PoolEvent.NodeSchedulingDisabled(p.getNodeSchedulingDisabled(), t);
      case NODE_SCHEDULING_ENABLED:
        return new PoolEvent.NodeSchedulingEnabled(p.getNodeSchedulingEnabled(), t);
      case NODE_DEALLOCATED:
        return new PoolEvent.NodeDeallocated(p.getNodeDeallocated(), t);
      case NODE_STARTED:
        return new PoolEvent.NodeStarted(p.getNodeStarted(), t);
      case NODE_RESTART_REQUESTED:
        return new PoolEvent.NodeRestartRequested(p.getNodeRestartRequested().getNodeId(),
            p.getNodeRestartRequested().getOption(), p.getNodeRestartRequested().getReimage(), t);
      case NODE_RESTARTED:
        return new PoolEvent.NodeRestarted(p.getNodeRestarted(), t);
      case NODES_LEAVING:
        return new PoolEvent.NodesLeaving(p.getNodesLeaving().getNodeIdsList(), t);
      case DELETING:
        return new PoolEvent.PoolDeleting(t);
      case DELETED:
        return new PoolEvent.PoolDeleted(t);
      default:
        throw new NotSerializableException("pool event of unknown kind " + p.getKindCase());
    }
  }

  static PoolSnapshotP poolSnapshot(PoolRecord r) {
    PoolSnapshotP.Builder b = PoolSnapshotP.newBuilder().setExists(r.exists());
    if (!r.exists()) {
      return b.build();
    }
    b.setSpec(r.spec()).setState(r.state().ordinal()).setAllocationState(r.allocationState().ordinal())
        .setCreationTimeMs(r.creationTimeMs()).setStateTransitionTimeMs(r.stateTransitionTimeMs())
        .setAllocationStateTransitionTimeMs(r.allocationStateTransitionTimeMs())
        .setLastModifiedMs(r.lastModifiedMs()).setVersion(r.version())
        .setTargetDedicatedNodes(r.targetDedicatedNodes());
    r.nodes().forEach((id, time) -> b.addNodeIds(id).addNodeAllocationTimesMs(time));
    b.addAllSchedulingDisabledNodeIds(r.schedulingDisabled());
    b.addAllDeallocatedNodeIds(r.deallocated());
    r.restarting().forEach((id, restart) -> b.addRestarting(io.batchgrid.protocol.proto.NodeRestartP.newBuilder()
        .setNodeId(id).setOption(nz(restart.option())).setReimage(restart.reimage()).setTimeMs(restart.requestedMs())));
    b.addAllLeavingNodeIds(r.leaving());
    if (r.resizeError() != null) {
      b.setResizeError(io.batchgrid.protocol.proto.ResizeErrorP.newBuilder().setCode(nz(r.resizeError().code()))
          .setMessage(nz(r.resizeError().message())));
    }
    return b.build();
  }

  static PoolRecord poolSnapshot(PoolSnapshotP p) {
    if (!p.getExists()) {
      return PoolRecord.EMPTY;
    }
    java.util.Map<String, Long> nodes = new java.util.LinkedHashMap<>();
    for (int i = 0; i < p.getNodeIdsCount(); i++) {
      nodes.put(p.getNodeIds(i), p.getNodeAllocationTimesMs(i));
    }
    java.util.Map<String, PoolRecord.NodeRestart> restarting = new java.util.LinkedHashMap<>();
    for (io.batchgrid.protocol.proto.NodeRestartP r : p.getRestartingList()) {
      restarting.put(r.getNodeId(), new PoolRecord.NodeRestart(r.getOption(), r.getReimage(), r.getTimeMs()));
    }
    return new PoolRecord(p.getSpec(), PoolState.values()[p.getState()],
        AllocationState.values()[p.getAllocationState()], p.getCreationTimeMs(),
        p.getStateTransitionTimeMs(), p.getAllocationStateTransitionTimeMs(), p.getLastModifiedMs(),
        p.getVersion(), p.getTargetDedicatedNodes(), nodes,
        p.hasResizeError() ? new PoolRecord.ResizeError(p.getResizeError().getCode(), p.getResizeError().getMessage()) : null,
        java.util.Set.copyOf(p.getSchedulingDisabledNodeIdsList()), java.util.Set.copyOf(p.getDeallocatedNodeIdsList()),
        restarting, new java.util.LinkedHashSet<>(p.getLeavingNodeIdsList()));
  }

  // ------------------------------------------------------------------------------- catalog

  static CatalogEventP catalogEvent(CatalogEvent e) {
    CatalogEventP.Builder b = CatalogEventP.newBuilder();
    if (e instanceof CatalogEvent.PoolAdded) {
      b.setPoolAdded(e.id());
    } else if (e instanceof CatalogEvent.PoolRemoved) {
      b.setPoolRemoved(e.id());
    } else if (e instanceof CatalogEvent.JobAdded) {
      b.setJobAdded(e.id());
    } else if (e instanceof CatalogEvent.JobRemoved) {
      b.setJobRemoved(e.id());
    } else if (e instanceof CatalogEvent.ScheduleAdded) {
      b.setScheduleAdded(e.id());
    } else if (e instanceof CatalogEvent.ScheduleRemoved) {
      b.setScheduleRemoved(e.id());
    }
    return b.build();
  }

  static CatalogEvent catalogEvent(CatalogEventP p) throws NotSerializableException {
    switch (p.getKindCase()) {
      case POOL_ADDED:
        return new CatalogEvent.PoolAdded(p.getPoolAdded());
      case POOL_REMOVED:
        return new CatalogEvent.PoolRemoved(p.getPoolRemoved());
      case JOB_ADDED:
        return new CatalogEvent.JobAdded(p.getJobAdded());
      case JOB_REMOVED:
        return new CatalogEvent.JobRemoved(p.getJobRemoved());
      case SCHEDULE_ADDED:
        return new CatalogEvent.ScheduleAdded(p.getScheduleAdded());
      case SCHEDULE_REMOVED:
        return new CatalogEvent.ScheduleRemoved(p.getScheduleRemoved());
      default:
        throw new NotSerializableException("catalog event of unknown kind " + p.getKindCase());
    }
  }

  // ------------------------------------------------------------------------------ schedules

  static io.batchgrid.protocol.proto.JobScheduleEventP scheduleEvent(io.batchgrid.protocol.schedule.JobScheduleEvent e) {
    var b = io.batchgrid.protocol.proto.JobScheduleEventP.newBuilder().setTimeMs(e.timeMs());
    if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleCreated c) {
      b.setCreated(c.spec());
    } else if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleUpdated c) {
      b.setUpdated(c.spec());
    } else if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.JobStarted c) {
      b.setJobStarted(c.n());
    } else if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.JobCreated c) {
      b.setJobCreated(c.n());
    } else if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.RunSkipped c) {
      b.setRunSkipped(c.dueMs());
    } else if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleDisabled) {
      b.setDisabled(true);
    } else if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleEnabled) {
      b.setEnabled(true);
    } else if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleCompleted c) {
      b.setCompleted(nz(c.reason()));
    } else if (e instanceof io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleDeleted) {
      b.setDeleted(true);
    }
    return b.build();
  }

  static io.batchgrid.protocol.schedule.JobScheduleEvent scheduleEvent(io.batchgrid.protocol.proto.JobScheduleEventP p)
      throws NotSerializableException {
    long t = p.getTimeMs();
    switch (p.getKindCase()) {
      case CREATED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleCreated(p.getCreated(), t);
      case UPDATED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleUpdated(p.getUpdated(), t);
      case JOB_STARTED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.JobStarted(p.getJobStarted(), t);
      case JOB_CREATED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.JobCreated(p.getJobCreated(), t);
      case RUN_SKIPPED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.RunSkipped(p.getRunSkipped(), t);
      case DISABLED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleDisabled(t);
      case ENABLED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleEnabled(t);
      case COMPLETED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleCompleted(p.getCompleted(), t);
      case DELETED:
        return new io.batchgrid.protocol.schedule.JobScheduleEvent.ScheduleDeleted(t);
      default:
        throw new NotSerializableException("job schedule event of unknown kind " + p.getKindCase());
    }
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
