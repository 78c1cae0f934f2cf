package io.batchgrid.api.wire;

import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskCounts;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.job.TaskState;
import io.batchgrid.protocol.node.NodeFile;
import io.batchgrid.protocol.node.NodeState;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.pool.PoolRecord;
import io.batchgrid.protocol.schedule.JobScheduleRecord;
import io.batchgrid.protocol.spec.JobScheduleSpec;
import io.batchgrid.protocol.spec.ExitConditions;
import io.batchgrid.protocol.spec.ExitOptions;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.OutputFile;
import io.batchgrid.protocol.spec.PoolSpec;
import io.batchgrid.protocol.spec.ResourceFile;
import io.batchgrid.protocol.spec.TaskDependencies;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * Domain → Azure Batch wire JSON ({@code CloudPool}, {@code CloudJob}, {@code CloudTask},
 * {@code ComputeNode}, {@code NodeFile}, task counts), property names and order as Azure writes
 * them. Sub-documents kept as JSON text are echoed as they were given.
 *
 * @param baseUrl the service's URL as the client reached it, without a trailing '/', for {@code url}
 *     properties and {@code odata.metadata}
 */
public record WireWriter(String baseUrl) {

  public static final String DEFAULT_RETENTION = "P7D";
  public static final String DEFAULT_RESIZE_TIMEOUT = "PT15M";

  /** ETag of an entity: changes with every change and differs between incarnations of an id. */
  public static String etag(long creationTimeMs, long version) {
    return io.batchgrid.protocol.Precondition.etag(creationTimeMs, version);
  }

  /**
   * {@code JobStatistics}, {@code JobScheduleStatistics} or {@code TaskStatistics} (without the
   * task counts) for the entity at {@code url}. CPU and I/O are not measured: zero, as Azure's
   * required properties must be present.
   */
  public static ObjectNode statistics(String url, io.batchgrid.protocol.job.Statistics s, boolean withTaskCounts) {
    ObjectNode o = Json.object();
    o.put("url", url);
    o.put("startTime", WireTime.iso(s.startTimeMs()));
    o.put("lastUpdateTime", WireTime.iso(s.lastUpdateTimeMs()));
    o.put("userCPUTime", WireTime.duration(0));
    o.put("kernelCPUTime", WireTime.duration(0));
    o.put("wallClockTime", WireTime.duration(s.wallClockMs()));
    o.put("readIOps", 0);
    o.put("writeIOps", 0);
    o.put("readIOGiB", 0.0);
    o.put("writeIOGiB", 0.0);
    if (withTaskCounts) {
      o.put("numSucceededTasks", s.succeededTasks());
      o.put("numFailedTasks", s.failedTasks());
      o.put("numTaskRetries", s.taskRetries());
    }
    o.put("waitTime", WireTime.duration(s.waitMs()));
    return o;
  }

  /** {@code PoolStatistics}: resourceStats from the node samples; disk and network are not measured (zero). */
  public ObjectNode poolStatistics(String poolId, PoolEntity.PoolStatistics s) {
    ObjectNode o = Json.object();
    o.put("url", poolUrl(poolId));
    o.put("startTime", WireTime.iso(s.startTimeMs()));
    o.put("lastUpdateTime", WireTime.iso(s.lastUpdateTimeMs()));
    PoolEntity.ResourceUse r = s.resources();
    if (r != null) {
      double gib = 1024.0 * 1024 * 1024;
      ObjectNode rs = o.putObject("resourceStats");
      rs.put("startTime", WireTime.iso(r.startTimeMs()));
      rs.put("lastUpdateTime", WireTime.iso(r.lastUpdateTimeMs()));
      rs.put("avgCPUPercentage", r.avgCpuPercent());
      rs.put("avgMemoryGiB", r.avgMemoryBytes() / gib);
      rs.put("peakMemoryGiB", r.peakMemoryBytes() / gib);
      for (String zero : new String[] {"avgDiskGiB", "peakDiskGiB"}) {
        rs.put(zero, 0.0);
      }
      rs.put("diskReadIOps", 0);
      rs.put("diskWriteIOps", 0);
      for (String zero : new String[] {"diskReadGiB", "diskWriteGiB", "networkReadGiB", "networkWriteGiB"}) {
        rs.put(zero, 0.0);
      }
    }
    return o;
  }

  public String metadata(String entitySet) {
    return baseUrl + "/$metadata#" + entitySet;
  }

  public String poolUrl(String poolId) {
    return baseUrl + "/pools/" + Paths.encodeSegment(poolId);
  }

  public String jobUrl(String jobId) {
    return baseUrl + "/jobs/" + Paths.encodeSegment(jobId);
  }

  public String taskUrl(String jobId, String taskId) {
    return jobUrl(jobId) + "/tasks/" + Paths.encodeSegment(taskId);
  }

  public String nodeUrl(String poolId, String nodeId) {
    return poolUrl(poolId) + "/nodes/" + Paths.encodeSegment(nodeId);
  }

  public String taskFileUrl(String jobId, String taskId, String name) {
    return taskUrl(jobId, taskId) + "/files/" + Paths.encodePath(name);
  }

  // ------------------------------------------------------------------------------------- pools

  public ObjectNode pool(PoolRecord r, int currentDedicatedNodes) {
    return pool(r, currentDedicatedNodes, null);
  }

  /** The pool; {@code run} is its last autoscale evaluation (null: none yet). */
  public ObjectNode pool(PoolRecord r, int currentDedicatedNodes, PoolEntity.AutoScaleRunView run) {
    PoolSpec s = r.spec();
    ObjectNode o = Json.object();
    o.put("id", s.getId());
    if (!s.getDisplayName().isEmpty()) {
      o.put("displayName", s.getDisplayName());
    }
    o.put("url", poolUrl(s.getId()));
    o.put("eTag", etag(r.creationTimeMs(), r.version()));
    o.put("lastModified", WireTime.iso(r.lastModifiedMs()));
    o.put("creationTime", WireTime.iso(r.creationTimeMs()));
    o.put("state", r.state().wire());
    o.put("stateTransitionTime", WireTime.iso(r.stateTransitionTimeMs()));
    o.put("allocationState", r.allocationState().wire());
    o.put("allocationStateTransitionTime", WireTime.iso(r.allocationStateTransitionTimeMs()));
    o.put("vmSize", s.getVmSize());
    putJson(o, "virtualMachineConfiguration", s.getVirtualMachineConfigurationJson());
    o.put("resizeTimeout", s.hasResizeTimeoutMs() ? WireTime.duration(s.getResizeTimeoutMs()) : DEFAULT_RESIZE_TIMEOUT);
    if (r.resizeError() != null) {
      ObjectNode error = Json.object();
      error.put("code", r.resizeError().code());
      error.put("message", r.resizeError().message());
      error.putArray("values");
      o.putArray("resizeErrors").add(error);
    }
    o.put("currentDedicatedNodes", currentDedicatedNodes);
    o.put("currentLowPriorityNodes", 0);
    o.put("targetDedicatedNodes", r.targetDedicatedNodes());
    o.put("targetLowPriorityNodes", 0);
    o.put("enableAutoScale", s.getEnableAutoScale());
    if (s.getEnableAutoScale()) {
      o.put("autoScaleFormula", s.getAutoScaleFormula());
      o.put("autoScaleEvaluationInterval", WireTime.duration(s.hasAutoScaleEvaluationIntervalMs()
          ? s.getAutoScaleEvaluationIntervalMs() : DEFAULT_AUTOSCALE_INTERVAL_MS));
      if (run != null) {
        o.set("autoScaleRun", autoScaleRun(run));
      }
    }
    o.put("enableInterNodeCommunication", s.getEnableInterNodeCommunication());
    putJson(o, "networkConfiguration", s.getNetworkConfigurationJson());
    o.put("taskSlotsPerNode", Math.max(1, s.getTaskSlotsPerNode()));
    o.putObject("taskSchedulingPolicy").put("nodeFillType",
        s.getNodeFillType().isEmpty() ? "spread" : s.getNodeFillType());
    putJson(o, "userAccounts", s.getUserAccountsJson());
    if (s.getApplicationPackageReferencesCount() > 0) {
      o.set("applicationPackageReferences", packageReferences(s.getApplicationPackageReferencesList()));
    }
    if (s.getMetadataCount() > 0) {
      o.set("metadata", nameValues(s.getMetadataList()));
    }
    o.put("targetNodeCommunicationMode", s.getTargetNodeCommunicationMode().isEmpty() ? "default" : s.getTargetNodeCommunicationMode());
    o.put("currentNodeCommunicationMode", "simplified");
    putJson(o, "upgradePolicy", s.getUpgradePolicyJson());
    putJson(o, "resourceTags", s.getResourceTagsJson());
    if (s.hasStartTask()) {
      o.set("startTask", StartTaskWire.write(s.getStartTask()));
    }
    return o;
  }

  /** Azure's default autoscale evaluation interval, 15 minutes. */
  static final long DEFAULT_AUTOSCALE_INTERVAL_MS = 15 * 60 * 1000;

  /** Azure's {@code AutoScaleRun}: timestamp, results and, when the evaluation failed, error. */
  public static ObjectNode autoScaleRun(PoolEntity.AutoScaleRunView run) {
    ObjectNode o = Json.object();
    o.put("timestamp", WireTime.iso(run.timestampMs()));
    if (run.results() != null && !run.results().isEmpty()) {
      o.put("results", run.results());
    }
    if (run.errorCode() != null) {
      ObjectNode e = o.putObject("error");
      e.put("code", run.errorCode());
      e.put("message", run.errorMessage());
      if (run.errorValues() != null && !run.errorValues().isEmpty()) {
        e.set("values", nameValues(run.errorValues()));
      }
    }
    return o;
  }

  // ------------------------------------------------------------------------------------- nodes

  /** What the pool knows of a node, with what the node says of itself when it answered. */
  public record NodeView(String poolId, String nodeId, String vmSize, NodeState state, long stateTransitionTimeMs,
      long allocationTimeMs, long lastBootTimeMs, int taskSlots, List<RunningTask> running, long totalTasksRun,
      long totalTasksSucceeded, long runningTaskSlots, boolean schedulingEnabled,
      io.batchgrid.protocol.spec.StartTaskSpec startTask, io.batchgrid.protocol.node.StartTaskInfo startTaskInfo,
      String ipAddress) {

    public NodeView(String poolId, String nodeId, String vmSize, NodeState state, long stateTransitionTimeMs,
        long allocationTimeMs, long lastBootTimeMs, int taskSlots, List<RunningTask> running, long totalTasksRun,
        long totalTasksSucceeded, long runningTaskSlots, boolean schedulingEnabled) {
      this(poolId, nodeId, vmSize, state, stateTransitionTimeMs, allocationTimeMs, lastBootTimeMs, taskSlots, running,
          totalTasksRun, totalTasksSucceeded, runningTaskSlots, schedulingEnabled, null, null, null);
    }

    public NodeView(String poolId, String nodeId, String vmSize, NodeState state, long stateTransitionTimeMs,
        long allocationTimeMs, long lastBootTimeMs, int taskSlots, List<RunningTask> running, long totalTasksRun,
        long totalTasksSucceeded, long runningTaskSlots) {
      this(poolId, nodeId, vmSize, state, stateTransitionTimeMs, allocationTimeMs, lastBootTimeMs, taskSlots, running,
          totalTasksRun, totalTasksSucceeded, runningTaskSlots, true);
    }
  }

  public ObjectNode node(NodeView n) {
    ObjectNode o = Json.object();
    o.put("id", n.nodeId());
    o.put("url", nodeUrl(n.poolId(), n.nodeId()));
    // As Azure: a node that takes no new tasks and runs none is offline.
    o.put("state", (!n.schedulingEnabled() && n.state() == NodeState.IDLE ? NodeState.OFFLINE : n.state()).wire());
    o.put("schedulingState", n.schedulingEnabled() ? "enabled" : "disabled");
    o.put("stateTransitionTime", WireTime.iso(n.stateTransitionTimeMs()));
    if (n.lastBootTimeMs() > 0) {
      o.put("lastBootTime", WireTime.iso(n.lastBootTimeMs()));
    }
    o.put("allocationTime", WireTime.iso(n.allocationTimeMs()));
    // The host of the worker's cluster address (NodeAddress); loopback before the node has registered.
    o.put("ipAddress", n.ipAddress() != null ? n.ipAddress() : io.batchgrid.protocol.node.NodeAddress.LOOPBACK);
    o.put("affinityId", "TVM:" + n.nodeId());
    o.put("vmSize", n.vmSize());
    o.put("totalTasksRun", n.totalTasksRun());
    o.put("runningTasksCount", n.running().size());
    o.put("runningTaskSlotsCount", n.runningTaskSlots());
    o.put("totalTasksSucceeded", n.totalTasksSucceeded());
    if (!n.running().isEmpty()) {
      ArrayNode recent = o.putArray("recentTasks");
      for (RunningTask t : n.running()) {
        ObjectNode r = recent.addObject();
        r.put("taskUrl", taskUrl(t.jobId(), t.taskId()));
        r.put("jobId", t.jobId());
        r.put("taskId", t.taskId());
        r.put("taskState", TaskState.RUNNING.wire());
        ObjectNode exec = r.putObject("executionInfo");
        exec.put("startTime", WireTime.iso(t.startTimeMs()));
        exec.put("retryCount", 0);
        exec.put("requeueCount", 0);
      }
    }
    if (n.startTask() != null) {
      o.set("startTask", StartTaskWire.write(n.startTask()));
    }
    ObjectNode startTaskInfo = StartTaskWire.write(n.startTaskInfo());
    if (startTaskInfo != null) {
      o.set("startTaskInfo", startTaskInfo);
    }
    o.put("isDedicated", true);
    ObjectNode agent = o.putObject("nodeAgentInfo");
    agent.put("version", "batchgrid");
    agent.put("lastUpdateTime", WireTime.iso(n.allocationTimeMs()));
    return o;
  }

  // -------------------------------------------------------------------------------------- jobs

  public ObjectNode job(JobSummary j) {
    JobSpec s = j.spec();
    ObjectNode o = Json.object();
    o.put("id", s.getId());
    if (!s.getDisplayName().isEmpty()) {
      o.put("displayName", s.getDisplayName());
    }
    o.put("usesTaskDependencies", s.getUsesTaskDependencies());
    o.put("url", jobUrl(s.getId()));
    o.put("eTag", etag(j.creationTimeMs(), j.version()));
    o.put("lastModified", WireTime.iso(j.lastModifiedMs()));
    o.put("creationTime", WireTime.iso(j.creationTimeMs()));
    o.put("state", j.state().wire());
    o.put("stateTransitionTime", WireTime.iso(j.stateTransitionTimeMs()));
    if (j.previousState() != null) {
      o.put("previousState", j.previousState().wire());
      o.put("previousStateTransitionTime", WireTime.iso(j.previousStateTransitionTimeMs()));
    }
    o.put("priority", s.getPriority());
    o.put("allowTaskPreemption", s.getAllowTaskPreemption());
    o.put("maxParallelTasks", s.hasMaxParallelTasks() ? s.getMaxParallelTasks() : -1);
    ObjectNode c = o.putObject("constraints");
    c.put("maxWallClockTime", s.hasConstraints() && s.getConstraints().hasMaxWallClockTimeMs()
        ? WireTime.duration(s.getConstraints().getMaxWallClockTimeMs()) : WireTime.UNBOUNDED);
    c.put("maxTaskRetryCount", s.hasConstraints() && s.getConstraints().hasMaxTaskRetryCount()
        ? s.getConstraints().getMaxTaskRetryCount() : 0);
    if (s.getCommonEnvironmentSettingsCount() > 0) {
      o.set("commonEnvironmentSettings", nameValues(s.getCommonEnvironmentSettingsList()));
    }
    putJobTasks(o, s);
    o.putObject("poolInfo").put("poolId", s.getPoolId());
    o.put("onAllTasksComplete", s.getOnAllTasksComplete().isEmpty() ? "noaction" : s.getOnAllTasksComplete());
    o.put("onTaskFailure", s.getOnTaskFailure().isEmpty() ? "noaction" : s.getOnTaskFailure());
    putJson(o, "networkConfiguration", s.getNetworkConfigurationJson());
    if (s.getMetadataCount() > 0) {
      o.set("metadata", nameValues(s.getMetadataList()));
    }
    ObjectNode exec = o.putObject("executionInfo");
    exec.put("startTime", WireTime.iso(j.startTimeMs()));
    if (j.endTimeMs() > 0) {
      exec.put("endTime", WireTime.iso(j.endTimeMs()));
    }
    exec.put("poolId", s.getPoolId());
    if (j.terminateReason() != null && !j.terminateReason().isEmpty()) {
      exec.put("terminateReason", j.terminateReason());
    }
    return o;
  }

  public String jobScheduleUrl(String id) {
    return baseUrl + "/jobschedules/" + Paths.encodeSegment(id);
  }

  /** A job schedule as {@code CloudJobSchedule}. */
  public ObjectNode jobSchedule(JobScheduleRecord r, long nextRunMs, String recentJobId) {
    JobScheduleSpec s = r.spec();
    ObjectNode o = Json.object();
    o.put("id", s.getId());
    if (!s.getDisplayName().isEmpty()) {
      o.put("displayName", s.getDisplayName());
    }
    o.put("url", jobScheduleUrl(s.getId()));
    o.put("eTag", etag(r.creationTimeMs(), r.version()));
    o.put("lastModified", WireTime.iso(r.lastModifiedMs()));
    o.put("creationTime", WireTime.iso(r.creationTimeMs()));
    o.put("state", r.state().wire());
    o.put("stateTransitionTime", WireTime.iso(r.stateTransitionTimeMs()));
    if (r.previousState() != null) {
      o.put("previousState", r.previousState().wire());
    }
    ObjectNode sched = o.putObject("schedule");
    var sc = s.getSchedule();
    if (sc.hasDoNotRunUntilMs()) {
      sched.put("doNotRunUntil", WireTime.iso(sc.getDoNotRunUntilMs()));
    }
    if (sc.hasDoNotRunAfterMs()) {
      sched.put("doNotRunAfter", WireTime.iso(sc.getDoNotRunAfterMs()));
    }
    if (sc.hasStartWindowMs()) {
      sched.put("startWindow", WireTime.duration(sc.getStartWindowMs()));
    }
    if (sc.hasRecurrenceIntervalMs()) {
      sched.put("recurrenceInterval", WireTime.duration(sc.getRecurrenceIntervalMs()));
    }
    ObjectNode job = o.putObject("jobSpecification");
    JobSpec j = s.getJobSpecification();
    if (!j.getDisplayName().isEmpty()) {
      job.put("displayName", j.getDisplayName());
    }
    job.put("priority", j.getPriority());
    job.put("allowTaskPreemption", j.getAllowTaskPreemption());
    job.put("maxParallelTasks", j.hasMaxParallelTasks() ? j.getMaxParallelTasks() : -1);
    job.put("usesTaskDependencies", j.getUsesTaskDependencies());
    job.put("onAllTasksComplete", j.getOnAllTasksComplete().isEmpty() ? "noaction" : j.getOnAllTasksComplete());
    job.put("onTaskFailure", j.getOnTaskFailure().isEmpty() ? "noaction" : j.getOnTaskFailure());
    ObjectNode c = job.putObject("constraints");
    c.put("maxWallClockTime", j.hasConstraints() && j.getConstraints().hasMaxWallClockTimeMs()
        ? WireTime.duration(j.getConstraints().getMaxWallClockTimeMs()) : WireTime.UNBOUNDED);
    c.put("maxTaskRetryCount", j.hasConstraints() && j.getConstraints().hasMaxTaskRetryCount()
        ? j.getConstraints().getMaxTaskRetryCount() : 0);
    if (j.getCommonEnvironmentSettingsCount() > 0) {
      job.set("commonEnvironmentSettings", nameValues(j.getCommonEnvironmentSettingsList()));
    }
    putJobTasks(job, j);
    job.putObject("poolInfo").put("poolId", j.getPoolId());
    if (j.getMetadataCount() > 0) {
      job.set("metadata", nameValues(j.getMetadataList()));
    }
    ObjectNode exec = o.putObject("executionInfo");
    if (nextRunMs > 0) {
      exec.put("nextRunTime", WireTime.iso(nextRunMs));
    }
    if (recentJobId != null && !recentJobId.isEmpty()) {
      exec.putObject("recentJob").put("id", recentJobId).put("url", jobUrl(recentJobId));
    }
    if (r.endTimeMs() > 0) {
      exec.put("endTime", WireTime.iso(r.endTimeMs()));
    }
    if (s.getMetadataCount() > 0) {
      o.set("metadata", nameValues(s.getMetadataList()));
    }
    return o;
  }

  /** A job's {@code jobPreparationTask} and {@code jobReleaseTask}, with Azure's defaults filled in. */
  private static void putJobTasks(ObjectNode o, JobSpec s) {
    if (s.hasJobPreparationTask()) {
      io.batchgrid.protocol.spec.JobTaskSpec t = s.getJobPreparationTask();
      ObjectNode p = jobTaskCommon(o.putObject("jobPreparationTask"), t);
      ObjectNode c = p.putObject("constraints");
      boolean hc = t.hasConstraints();
      c.put("maxWallClockTime", hc && t.getConstraints().hasMaxWallClockTimeMs()
          ? WireTime.duration(t.getConstraints().getMaxWallClockTimeMs()) : WireTime.UNBOUNDED);
      c.put("retentionTime", hc && t.getConstraints().hasRetentionTimeMs()
          ? WireTime.duration(t.getConstraints().getRetentionTimeMs()) : DEFAULT_RETENTION);
      c.put("maxTaskRetryCount", hc && t.getConstraints().hasMaxTaskRetryCount() ? t.getConstraints().getMaxTaskRetryCount() : 0);
      p.put("waitForSuccess", !t.hasWaitForSuccess() || t.getWaitForSuccess());
      p.put("rerunOnNodeRebootAfterSuccess", !t.hasRerunOnNodeRebootAfterSuccess() || t.getRerunOnNodeRebootAfterSuccess());
    }
    if (s.hasJobReleaseTask()) {
      io.batchgrid.protocol.spec.JobTaskSpec t = s.getJobReleaseTask();
      ObjectNode r = jobTaskCommon(o.putObject("jobReleaseTask"), t);
      boolean hc = t.hasConstraints();
      r.put("maxWallClockTime", WireTime.duration(hc && t.getConstraints().hasMaxWallClockTimeMs()
          ? t.getConstraints().getMaxWallClockTimeMs() : java.time.Duration.ofMinutes(15).toMillis()));
      r.put("retentionTime", hc && t.getConstraints().hasRetentionTimeMs()
          ? WireTime.duration(t.getConstraints().getRetentionTimeMs()) : DEFAULT_RETENTION);
    }
  }

  private static ObjectNode jobTaskCommon(ObjectNode o, io.batchgrid.protocol.spec.JobTaskSpec t) {
    o.put("id", t.getId());
    o.put("commandLine", t.getCommandLine());
    if (t.getResourceFilesCount() > 0) {
      o.set("resourceFiles", resourceFiles(t.getResourceFilesList()));
    }
    if (t.getEnvironmentSettingsCount() > 0) {
      o.set("environmentSettings", nameValues(t.getEnvironmentSettingsList()));
    }
    o.set("userIdentity", userIdentity(t.hasUserIdentity() ? t.getUserIdentity() : null));
    return o;
  }

  /** One node's entry of {@code GET /jobs/{jobId}/jobpreparationandreleasetaskstatus}. */
  public ObjectNode preparationAndReleaseStatus(JobSpec job, io.batchgrid.protocol.job.NodeJobTasks n) {
    ObjectNode o = Json.object();
    o.put("poolId", n.poolId());
    o.put("nodeId", n.nodeId());
    o.put("nodeUrl", nodeUrl(n.poolId(), n.nodeId()));
    if (n.preparation() != null) {
      o.set("jobPreparationTaskExecutionInfo",
          jobTaskExecution(job.getId(), n, job.getJobPreparationTask().getId(), n.preparation(), true));
    }
    if (n.release() != null) {
      o.set("jobReleaseTaskExecutionInfo",
          jobTaskExecution(job.getId(), n, job.getJobReleaseTask().getId(), n.release(), false));
    }
    return o;
  }

  private ObjectNode jobTaskExecution(String jobId, io.batchgrid.protocol.job.NodeJobTasks n, String taskId,
      io.batchgrid.protocol.job.JobTaskRun r, boolean preparation) {
    ObjectNode e = Json.object();
    e.put("startTime", WireTime.iso(r.startTimeMs()));
    boolean completed = !r.running();
    if (completed && r.endTimeMs() > 0) {
      e.put("endTime", WireTime.iso(r.endTimeMs()));
    }
    e.put("state", completed ? "completed" : "running");
    String root = io.batchgrid.protocol.node.NodeLayout.taskDirectory(jobId, taskId);
    e.put("taskRootDirectory", root);
    e.put("taskRootDirectoryUrl", nodeUrl(n.poolId(), n.nodeId()) + "/files/" + Paths.encodePath(root));
    if (completed && r.exitCode() != null) {
      e.put("exitCode", r.exitCode());
    }
    FailureInfo f = completed ? r.failureInfo() : null;
    if (f != null) {
      putFailureInfo(e, f);
    }
    if (preparation) {
      e.put("retryCount", r.retryCount());
      if (r.lastRetryTimeMs() > 0) {
        e.put("lastRetryTime", WireTime.iso(r.lastRetryTimeMs()));
      }
    }
    if (completed) {
      e.put("result", r.succeeded() ? "success" : "failure");
    }
    return e;
  }

  public ObjectNode taskCounts(TaskCounts counts, TaskCounts slots) {
    ObjectNode o = Json.object();
    o.set("taskCounts", counts(counts));
    o.set("taskSlotCounts", counts(slots));
    return o;
  }

  private static ObjectNode counts(TaskCounts c) {
    ObjectNode o = Json.object();
    o.put("active", c.active());
    o.put("running", c.running());
    o.put("completed", c.completed());
    o.put("succeeded", c.succeeded());
    o.put("failed", c.failed());
    return o;
  }

  // ------------------------------------------------------------------------------------- tasks

  /**
   * @param jobId the job's id as it was created
   * @param poolId the pool of the job, for {@code nodeInfo}
   */
  public ObjectNode task(String jobId, String poolId, TaskRecord t) {
    TaskSpec s = t.spec();
    ObjectNode o = Json.object();
    o.put("id", s.getId());
    if (!s.getDisplayName().isEmpty()) {
      o.put("displayName", s.getDisplayName());
    }
    o.put("url", taskUrl(jobId, s.getId()));
    o.put("eTag", etag(t.creationTimeMs(), t.version()));
    o.put("creationTime", WireTime.iso(t.creationTimeMs()));
    o.put("lastModified", WireTime.iso(t.lastModifiedMs()));
    if (s.hasExitConditions()) {
      o.set("exitConditions", exitConditions(s.getExitConditions()));
    }
    o.put("state", t.state().wire());
    o.put("stateTransitionTime", WireTime.iso(t.stateTransitionTimeMs()));
    if (t.previousState() != null) {
      o.put("previousState", t.previousState().wire());
      o.put("previousStateTransitionTime", WireTime.iso(t.previousStateTransitionTimeMs()));
    }
    o.put("commandLine", s.getCommandLine());
    if (s.getResourceFilesCount() > 0) {
      o.set("resourceFiles", resourceFiles(s.getResourceFilesList()));
    }
    if (s.getOutputFilesCount() > 0) {
      ArrayNode files = o.putArray("outputFiles");
      for (OutputFile f : s.getOutputFilesList()) {
        files.add(outputFile(f));
      }
    }
    if (s.getEnvironmentSettingsCount() > 0) {
      o.set("environmentSettings", nameValues(s.getEnvironmentSettingsList()));
    }
    putJson(o, "affinityInfo", s.getAffinityInfoJson());
    ObjectNode c = o.putObject("constraints");
    boolean hc = s.hasConstraints();
    c.put("maxWallClockTime", hc && s.getConstraints().hasMaxWallClockTimeMs()
        ? WireTime.duration(s.getConstraints().getMaxWallClockTimeMs()) : WireTime.UNBOUNDED);
    c.put("retentionTime", hc && s.getConstraints().hasRetentionTimeMs()
        ? WireTime.duration(s.getConstraints().getRetentionTimeMs()) : DEFAULT_RETENTION);
    c.put("maxTaskRetryCount", hc && s.getConstraints().hasMaxTaskRetryCount() ? s.getConstraints().getMaxTaskRetryCount() : 0);
    o.put("requiredSlots", Math.max(1, s.getRequiredSlots()));
    o.set("userIdentity", userIdentity(s.hasUserIdentity() ? s.getUserIdentity() : null));
    if (s.getApplicationPackageReferencesCount() > 0) {
      o.set("applicationPackageReferences", packageReferences(s.getApplicationPackageReferencesList()));
    }
    o.set("executionInfo", executionInfo(t));
    if (t.nodeId() != null && !t.nodeId().isEmpty()) {
      ObjectNode n = o.putObject("nodeInfo");
      n.put("affinityId", "TVM:" + t.nodeId());
      n.put("nodeUrl", nodeUrl(poolId, t.nodeId()));
      n.put("poolId", poolId);
      n.put("nodeId", t.nodeId());
      String root = taskRootDirectory(jobId, t);
      n.put("taskRootDirectory", root);
      n.put("taskRootDirectoryUrl", nodeUrl(poolId, t.nodeId()) + "/files/" + Paths.encodePath(root));
    }
    if (s.hasDependsOn()) {
      o.set("dependsOn", dependencies(s.getDependsOn()));
    }
    if (s.hasMultiInstanceSettings()) {
      ObjectNode m = o.putObject("multiInstanceSettings");
      m.put("numberOfInstances", Math.max(1, s.getMultiInstanceSettings().getNumberOfInstances()));
      m.put("coordinationCommandLine", s.getMultiInstanceSettings().getCoordinationCommandLine());
      if (s.getMultiInstanceSettings().getCommonResourceFilesCount() > 0) {
        m.set("commonResourceFiles", resourceFiles(s.getMultiInstanceSettings().getCommonResourceFilesList()));
      }
    }
    return o;
  }

  /** A subtask of a multi-instance task (SubtaskInformation). */
  public ObjectNode subtask(String jobId, String poolId, String taskId, io.batchgrid.protocol.job.SubtaskRecord r) {
    ObjectNode o = Json.object();
    o.put("id", r.id());
    if (r.nodeId() != null) {
      ObjectNode n = o.putObject("nodeInfo");
      n.put("affinityId", "TVM:" + r.nodeId());
      n.put("nodeUrl", nodeUrl(poolId, r.nodeId()));
      n.put("poolId", poolId);
      n.put("nodeId", r.nodeId());
      String root = io.batchgrid.protocol.node.NodeLayout.taskDirectory(jobId, taskId);
      root = root.startsWith("/") ? root.substring(1) : root;
      n.put("taskRootDirectory", root);
      n.put("taskRootDirectoryUrl", nodeUrl(poolId, r.nodeId()) + "/files/" + Paths.encodePath(root));
    }
    if (r.startTimeMs() > 0) {
      o.put("startTime", WireTime.iso(r.startTimeMs()));
    }
    if (r.completed() && r.endTimeMs() > 0) {
      o.put("endTime", WireTime.iso(r.endTimeMs()));
    }
    if (r.exitCode() != null) {
      o.put("exitCode", r.exitCode());
    }
    FailureInfo f = r.failureInfo();
    if (f != null && r.completed()) {
      putFailureInfo(o, f);
    }
    o.put("state", r.completed() ? "completed" : "running");
    o.put("stateTransitionTime", WireTime.iso(r.stateTransitionTimeMs()));
    if (r.completed()) {
      o.put("previousState", "running");
      o.put("previousStateTransitionTime", WireTime.iso(r.startTimeMs()));
      o.put("result", "success".equals(r.result()) ? "success" : "failure");
    }
    return o;
  }

  /** The task directory relative to the node root, as Azure shows it ({@code workitems/job/job-1/task}). */
  public static String taskRootDirectory(String jobId, TaskRecord t) {
    String root = t.taskRootDirectory();
    if (root == null || root.isEmpty()) {
      return io.batchgrid.protocol.node.NodeLayout.taskDirectory(jobId, t.id());
    }
    return root.startsWith("/") ? root.substring(1) : root;
  }

  private static ObjectNode executionInfo(TaskRecord t) {
    ObjectNode e = Json.object();
    if (t.startTimeMs() > 0) {
      e.put("startTime", WireTime.iso(t.startTimeMs()));
    }
    if (t.endTimeMs() > 0 && t.state() == TaskState.COMPLETED) {
      e.put("endTime", WireTime.iso(t.endTimeMs()));
    }
    if (t.exitCode() != null && (t.state() == TaskState.COMPLETED || t.retryCount() > 0)) {
      e.put("exitCode", t.exitCode());
    }
    FailureInfo f = t.failureInfo();
    if (f != null) {
      putFailureInfo(e, f);
    }
    e.put("retryCount", t.retryCount());
    if (t.lastRetryTimeMs() > 0) {
      e.put("lastRetryTime", WireTime.iso(t.lastRetryTimeMs()));
    }
    e.put("requeueCount", t.requeueCount());
    if (t.lastRequeueTimeMs() > 0) {
      e.put("lastRequeueTime", WireTime.iso(t.lastRequeueTimeMs()));
    }
    String result = t.result();
    if (result != null) {
      e.put("result", result);
    }
    return e;
  }

  private static ObjectNode exitConditions(ExitConditions x) {
    ObjectNode o = Json.object();
    if (x.getExitCodesCount() > 0) {
      ArrayNode a = o.putArray("exitCodes");
      x.getExitCodesList().forEach(m -> {
        ObjectNode e = a.addObject();
        e.put("code", m.getCode());
        e.set("exitOptions", exitOptions(m.getExitOptions()));
      });
    }
    if (x.getExitCodeRangesCount() > 0) {
      ArrayNode a = o.putArray("exitCodeRanges");
      x.getExitCodeRangesList().forEach(m -> {
        ObjectNode e = a.addObject();
        e.put("start", m.getStart());
        e.put("end", m.getEnd());
        e.set("exitOptions", exitOptions(m.getExitOptions()));
      });
    }
    if (x.hasPreProcessingError()) {
      o.set("preProcessingError", exitOptions(x.getPreProcessingError()));
    }
    if (x.hasFileUploadError()) {
      o.set("fileUploadError", exitOptions(x.getFileUploadError()));
    }
    if (x.hasDefault()) {
      o.set("default", exitOptions(x.getDefault()));
    }
    return o;
  }

  private static ObjectNode exitOptions(ExitOptions x) {
    ObjectNode o = Json.object();
    if (!x.getJobAction().isEmpty()) {
      o.put("jobAction", x.getJobAction());
    }
    if (!x.getDependencyAction().isEmpty()) {
      o.put("dependencyAction", x.getDependencyAction());
    }
    return o;
  }

  private static ObjectNode dependencies(TaskDependencies d) {
    ObjectNode o = Json.object();
    if (d.getTaskIdsCount() > 0) {
      ArrayNode ids = o.putArray("taskIds");
      d.getTaskIdsList().forEach(ids::add);
    }
    if (d.getTaskIdRangesCount() > 0) {
      ArrayNode ranges = o.putArray("taskIdRanges");
      d.getTaskIdRangesList().forEach(r -> ranges.addObject().put("start", r.getStart()).put("end", r.getEnd()));
    }
    return o;
  }

  static ArrayNode resourceFiles(List<ResourceFile> files) {
    ArrayNode a = Json.NODES.arrayNode();
    for (ResourceFile f : files) {
      ObjectNode o = a.addObject();
      putText(o, "autoStorageContainerName", f.getAutoStorageContainerName());
      putText(o, "storageContainerUrl", f.getStorageContainerUrl());
      putText(o, "httpUrl", f.getHttpUrl());
      putText(o, "blobPrefix", f.getBlobPrefix());
      putText(o, "filePath", f.getFilePath());
      putText(o, "fileMode", f.getFileMode());
      putJson(o, "identityReference", f.getIdentityReferenceJson());
    }
    return a;
  }

  private static ObjectNode outputFile(OutputFile f) {
    ObjectNode o = Json.object();
    o.put("filePattern", f.getFilePattern());
    ObjectNode container = o.putObject("destination").putObject("container");
    putText(container, "path", f.getPath());
    container.put("containerUrl", f.getContainerUrl());
    putJson(container, "identityReference", f.getIdentityReferenceJson());
    if (f.getUploadHeadersCount() > 0) {
      container.set("uploadHeaders", nameValues(f.getUploadHeadersList()));
    }
    o.putObject("uploadOptions").put("uploadCondition", f.getUploadCondition());
    return o;
  }

  // ------------------------------------------------------------------------------------- files

  /**
   * @param name the file's path relative to the task directory, '/'-separated
   */
  public ObjectNode taskFile(String jobId, String taskId, String name, NodeFile f) {
    return file(name, taskFileUrl(jobId, taskId, name), f);
  }

  public String nodeFileUrl(String poolId, String nodeId, String name) {
    return nodeUrl(poolId, nodeId) + "/files/" + Paths.encodePath(name);
  }

  public ObjectNode nodeFile(String poolId, String nodeId, String name, NodeFile f) {
    return file(name, nodeFileUrl(poolId, nodeId, name), f);
  }

  /** A {@code NodeFile} of a listing. */
  public static ObjectNode file(String name, String url, NodeFile f) {
    ObjectNode o = Json.object();
    o.put("name", name);
    o.put("url", url);
    o.put("isDirectory", f.directory());
    ObjectNode p = o.putObject("properties");
    if (f.creationTimeMs() > 0) {
      p.put("creationTime", WireTime.iso(f.creationTimeMs()));
    }
    p.put("lastModified", WireTime.iso(f.lastModifiedMs()));
    p.put("contentLength", f.directory() ? 0 : f.size());
    p.put("contentType", f.directory() ? "application/octet-stream" : contentType(name));
    if (f.fileMode() != null && !f.fileMode().isEmpty()) {
      p.put("fileMode", f.fileMode());
    }
    return o;
  }

  /** The content type of a file, guessed from its name as a web server would. */
  public static String contentType(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".txt") || lower.endsWith(".log") || lower.endsWith(".out") || lower.endsWith(".csv")) {
      return "text/plain";
    }
    if (lower.endsWith(".json")) {
      return "application/json";
    }
    return "application/octet-stream";
  }

  // ------------------------------------------------------------------------------------ shared

  static ArrayNode packageReferences(List<io.batchgrid.protocol.spec.ApplicationPackageReference> refs) {
    ArrayNode a = Json.NODES.arrayNode();
    for (io.batchgrid.protocol.spec.ApplicationPackageReference r : refs) {
      ObjectNode n = a.addObject().put("applicationId", r.getApplicationId());
      if (!r.getVersion().isEmpty()) {
        n.put("version", r.getVersion());
      }
    }
    return a;
  }

  /** {@code failureInfo} (category, code, message, details) on {@code o}, as every execution info has it. */
  static void putFailureInfo(ObjectNode o, FailureInfo f) {
    ObjectNode fi = o.putObject("failureInfo");
    fi.put("category", f.category());
    if (f.code() != null) {
      fi.put("code", f.code());
    }
    if (f.message() != null) {
      fi.put("message", f.message());
    }
    if (!f.details().isEmpty()) {
      fi.set("details", nameValues(f.details()));
    }
  }

  /**
   * Azure's {@code userIdentity} of a task, start task, or preparation or release task: the named
   * user, else the auto-user with Azure's defaults (pool scope, nonadmin). {@code u} null: none given.
   */
  static ObjectNode userIdentity(io.batchgrid.protocol.spec.UserIdentity u) {
    ObjectNode user = Json.object();
    if (u != null && !u.getUserName().isEmpty()) {
      user.put("username", u.getUserName());
      return user;
    }
    ObjectNode auto = user.putObject("autoUser");
    String scope = u != null && u.hasAutoUser() ? u.getAutoUser().getScope() : "";
    String elevation = u != null && u.hasAutoUser() ? u.getAutoUser().getElevationLevel() : "";
    auto.put("scope", scope.isEmpty() ? "pool" : scope);
    auto.put("elevationLevel", elevation.isEmpty() ? "nonadmin" : elevation);
    return user;
  }

  static ArrayNode nameValues(List<NameValue> items) {
    ArrayNode a = Json.NODES.arrayNode();
    for (NameValue nv : items) {
      a.addObject().put("name", nv.getName()).put("value", nv.getValue());
    }
    return a;
  }

  static void putJson(ObjectNode o, String name, String json) {
    JsonNode tree = Json.tree(json);
    if (tree != null) {
      o.set(name, tree);
    }
  }

  static void putText(ObjectNode o, String name, String value) {
    if (value != null && !value.isEmpty()) {
      o.put(name, value);
    }
  }
}
