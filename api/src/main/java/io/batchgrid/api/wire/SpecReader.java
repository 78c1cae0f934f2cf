package io.batchgrid.api.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.routes.ApiError;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.protocol.Ids;
import io.batchgrid.coordinator.application.ApplicationStore;
import io.batchgrid.protocol.spec.ApplicationPackageReference;
import io.batchgrid.protocol.spec.AutoUser;
import io.batchgrid.protocol.spec.ExitCodeMapping;
import io.batchgrid.protocol.spec.ExitCodeRangeMapping;
import io.batchgrid.protocol.spec.ExitConditions;
import io.batchgrid.protocol.spec.ExitOptions;
import io.batchgrid.protocol.spec.JobConstraints;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.OutputFile;
import io.batchgrid.protocol.spec.PoolSpec;
import io.batchgrid.protocol.spec.ResourceFile;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskDependencies;
import io.batchgrid.protocol.spec.TaskIdRange;
import io.batchgrid.protocol.spec.TaskSpec;
import io.batchgrid.protocol.spec.UserIdentity;

/**
 * Request bodies → domain specs: {@code PoolAddParameter}, {@code JobAddParameter},
 * {@code TaskAddParameter}, {@code JobPatchParameter}/{@code JobUpdateParameter} and the small
 * parameters of actions. Validates what the service relies on and rejects, with
 * {@code FeatureNotSupported}, what it cannot honour yet instead of silently ignoring it.
 */
public final class SpecReader {
  private SpecReader() {}

  public static final Set<String> ON_ALL_TASKS_COMPLETE = Set.of("noaction", "terminatejob");
  public static final Set<String> ON_TASK_FAILURE = Set.of("noaction", "performexitoptionsjobaction");
  static final Set<String> NODE_FILL_TYPE = Set.of("spread", "pack");
  static final Set<String> UPLOAD_CONDITION = Set.of("tasksuccess", "taskfailure", "taskcompletion");
  static final Set<String> JOB_ACTION = Set.of("none", "disable", "terminate");
  static final Set<String> DEPENDENCY_ACTION = Set.of("satisfy", "block");
  static final Set<String> AUTO_USER_SCOPE = Set.of("task", "pool");
  static final Set<String> ELEVATION = Set.of("nonadmin", "admin");
  static final Set<String> NODE_COMMUNICATION_MODE = Set.of("default", "classic", "simplified");
  public static final Set<String> DEALLOCATION = Set.of("requeue", "terminate", "taskcompletion", "retaineddata");

  static final int MAX_DISPLAY_NAME = 1024;

  // ------------------------------------------------------------------------------------- pools

  public static PoolSpec pool(ObjectNode body) {
    Props p = Props.root(body);
    PoolSpec.Builder b = PoolSpec.newBuilder();
    b.setId(id(p, "id"));
    displayName(p).ifPresent(b::setDisplayName);
    b.setVmSize(p.requiredText("vmSize").toLowerCase(java.util.Locale.ROOT));
    b.setVirtualMachineConfigurationJson(p.json("virtualMachineConfiguration", true));
    Long resize = p.durationMs("resizeTimeout");
    if (resize != null) {
      b.setResizeTimeoutMs(resize);
    }
    boolean autoScale = Boolean.TRUE.equals(p.bool("enableAutoScale"));
    Integer dedicated = p.integer("targetDedicatedNodes", 0, 10_000);
    Integer lowPriority = p.integer("targetLowPriorityNodes", 0, 10_000);
    if (autoScale) {
      // As Azure: an autoscale pool's size comes from its formula alone.
      for (String target : List.of("targetDedicatedNodes", "targetLowPriorityNodes")) {
        if (p.has(target) && !p.node().get(target).isNull()) {
          throw p.invalid(target, target + " must not be specified when enableAutoScale is true");
        }
      }
      String formula = p.string("autoScaleFormula");
      if (formula == null || formula.isBlank()) {
        throw ApiError.missingProperty("autoScaleFormula");
      }
      b.setEnableAutoScale(true);
      b.setAutoScaleFormula(formula);
      Long interval = evaluationInterval(p);
      if (interval != null) {
        b.setAutoScaleEvaluationIntervalMs(interval);
      }
    } else {
      if (lowPriority != null && lowPriority > 0) {
        throw ApiError.notSupported("targetLowPriorityNodes",
            "batchgrid has no Spot/low-priority nodes; use targetDedicatedNodes");
      }
      b.setTargetDedicatedNodes(dedicated == null ? 0 : dedicated);
      // Azure ignores a formula and interval while autoscaling is off; they are checked, not kept.
      p.string("autoScaleFormula");
      p.durationMs("autoScaleEvaluationInterval");
    }
    Boolean interNode = p.bool("enableInterNodeCommunication");
    b.setEnableInterNodeCommunication(interNode != null && interNode);
    b.setNetworkConfigurationJson(p.json("networkConfiguration", true));
    Props startTask = p.object("startTask");
    if (startTask != null) {
      b.setStartTask(StartTaskWire.read(startTask));
    }
    rejectNonEmpty(p, "certificateReferences", "Certificates do not exist on self-hosted nodes");
    List<ApplicationPackageReference> packages = packageReferences(p);
    if (packages.size() > MAX_POOL_PACKAGES) {
      throw p.invalid("applicationPackageReferences", "A pool has at most " + MAX_POOL_PACKAGES + " package references");
    }
    b.addAllApplicationPackageReferences(packages);
    rejectNonEmpty(p, "mountConfiguration", "Mounting file systems on nodes is not supported yet");
    Integer slots = p.integer("taskSlotsPerNode", 1, 256);
    b.setTaskSlotsPerNode(slots == null ? 1 : slots);
    Props policy = p.object("taskSchedulingPolicy");
    if (policy != null) {
      String fill = policy.enumValue("nodeFillType", NODE_FILL_TYPE);
      if (fill == null) {
        throw ApiError.missingProperty("nodeFillType");
      }
      b.setNodeFillType(fill);
    }
    b.setUserAccountsJson(p.json("userAccounts", false));
    b.addAllMetadata(metadata(p));
    String mode = p.enumValue("targetNodeCommunicationMode", NODE_COMMUNICATION_MODE);
    if (mode != null) {
      b.setTargetNodeCommunicationMode(mode);
    }
    b.setUpgradePolicyJson(p.json("upgradePolicy", true));
    b.setResourceTagsJson(p.json("resourceTags", true));
    return b.build();
  }

  static final Set<String> DISABLE_SCHEDULING = Set.of("requeue", "terminate", "taskcompletion");

  /** ComputeNode_DisableScheduling's optional body: the option, requeue when absent (Azure's default). */
  public static String disableScheduling(ObjectNode body) {
    if (body == null) {
      return "requeue";
    }
    String option = Props.root(body).enumValue("nodeDisableSchedulingOption", DISABLE_SCHEDULING);
    return option == null ? "requeue" : option;
  }

  /** Pool properties that cannot be changed yet once a pool exists (Azure allows them only on a pool without nodes). */
  static final List<String> POOL_PATCH_NOT_YET = List.of("vmSize", "taskSlotsPerNode", "taskSchedulingPolicy",
      "enableInterNodeCommunication", "virtualMachineConfiguration", "networkConfiguration", "userAccounts",
      "mountConfiguration", "upgradePolicy", "resourceTags");

  /**
   * Pool_Patch ({@code replace} false: what is absent stays) and Pool_UpdateProperties ({@code
   * replace} true: metadata and both reference lists are required, an absent
   * targetNodeCommunicationMode means {@code default}, an absent startTask removes it). Certificates
   * and application packages do not exist in batchgrid, so only empty lists of references are accepted.
   */
  public static io.batchgrid.coordinator.pool.PoolEntity.PropertiesUpdate poolUpdate(ObjectNode body, boolean replace) {
    Props p = Props.root(body);
    if (replace) {
      for (String required : List.of("certificateReferences", "applicationPackageReferences", "metadata")) {
        if (!p.has(required)) {
          throw ApiError.missingProperty(required);
        }
      }
    }
    // Azure: a start task in the body replaces the pool's; without one, PATCH keeps it and
    // update-properties removes it (an empty spec says "remove" to the pool).
    Props startTaskBody = p.object("startTask");
    io.batchgrid.protocol.spec.StartTaskSpec startTask = startTaskBody != null ? StartTaskWire.read(startTaskBody)
        : replace ? io.batchgrid.protocol.spec.StartTaskSpec.getDefaultInstance() : null;
    rejectNonEmpty(p, "certificateReferences", "Certificates do not exist on self-hosted nodes");
    rejectNonEmpty(p, "applicationPackageReferences", "The application packages of an existing pool cannot be changed yet; create a new pool");
    p.objects("certificateReferences");
    p.objects("applicationPackageReferences");
    String displayName = null;
    if (!replace) {
      for (String name : POOL_PATCH_NOT_YET) {
        if (p.has(name)) {
          throw ApiError.notSupported(name, name + " of an existing pool cannot be changed yet; create a new pool");
        }
      }
      displayName = displayName(p).orElse(null);
    }
    List<NameValue> metadata = replace || p.has("metadata") ? metadata(p) : null;
    String mode = p.enumValue("targetNodeCommunicationMode", NODE_COMMUNICATION_MODE);
    if (mode == null && replace) {
      mode = "default";
    }
    return new io.batchgrid.coordinator.pool.PoolEntity.PropertiesUpdate(displayName, metadata, mode, startTask);
  }

  /** batchgrid evaluates formulas as often as every 5 seconds (Azure: 5 minutes); Azure's ceiling of 168 hours. */
  public static final long MIN_EVALUATION_INTERVAL_MS = 5_000;
  public static final long MAX_EVALUATION_INTERVAL_MS = 168L * 3600 * 1000;

  private static Long evaluationInterval(Props p) {
    Long interval = p.durationMs("autoScaleEvaluationInterval");
    if (interval != null && (interval < MIN_EVALUATION_INTERVAL_MS || interval > MAX_EVALUATION_INTERVAL_MS)) {
      throw p.invalid("autoScaleEvaluationInterval",
          "The interval must be from PT5S (batchgrid's floor; Azure's is PT5M) to PT168H");
    }
    return interval;
  }

  /** {@code PoolEnableAutoScaleParameter}: both optional; a missing formula keeps the pool's own. */
  public record EnableAutoScale(String formula, Long evaluationIntervalMs) {}

  public static EnableAutoScale enableAutoScale(ObjectNode body) {
    Props p = Props.root(body);
    String formula = p.string("autoScaleFormula");
    if (formula != null && formula.isBlank()) {
      throw p.invalid("autoScaleFormula", "The formula must not be empty");
    }
    return new EnableAutoScale(formula, evaluationInterval(p));
  }

  /** {@code PoolEvaluateAutoScaleParameter}: the formula, required. */
  public static String evaluateAutoScale(ObjectNode body) {
    Props p = Props.root(body);
    String formula = p.string("autoScaleFormula");
    if (formula == null) {
      throw ApiError.missingProperty("autoScaleFormula");
    }
    return formula;
  }

  // ------------------------------------------------------------------------------- schedules

  /** {@code JobScheduleAddParameter}: id, schedule and jobSpecification required. */
  public static io.batchgrid.protocol.spec.JobScheduleSpec jobSchedule(ObjectNode body) {
    Props p = Props.root(body);
    io.batchgrid.protocol.spec.JobScheduleSpec.Builder b = io.batchgrid.protocol.spec.JobScheduleSpec.newBuilder();
    b.setId(id(p, "id"));
    displayName(p).ifPresent(b::setDisplayName);
    b.setSchedule(schedule(p.requiredObject("schedule")));
    b.setJobSpecification(jobSpecification(p.requiredObject("jobSpecification")));
    b.addAllMetadata(metadata(p));
    return b.build();
  }

  /**
   * A schedule update: PATCH ({@code replace} false) changes what the body names; PUT replaces
   * schedule, jobSpecification and metadata (the first two required).
   */
  public static io.batchgrid.protocol.spec.JobScheduleSpec jobScheduleUpdate(
      io.batchgrid.protocol.spec.JobScheduleSpec current, ObjectNode body, boolean replace) {
    Props p = Props.root(body);
    io.batchgrid.protocol.spec.JobScheduleSpec.Builder b = current.toBuilder();
    Props schedule = replace ? p.requiredObject("schedule") : p.object("schedule");
    if (schedule != null) {
      b.setSchedule(schedule(schedule));
    }
    Props job = replace ? p.requiredObject("jobSpecification") : p.object("jobSpecification");
    if (job != null) {
      b.setJobSpecification(jobSpecification(job));
    }
    if (replace || p.has("metadata")) {
      b.clearMetadata().addAllMetadata(metadata(p));
    }
    return b.build();
  }

  private static io.batchgrid.protocol.spec.Schedule schedule(Props s) {
    io.batchgrid.protocol.spec.Schedule.Builder b = io.batchgrid.protocol.spec.Schedule.newBuilder();
    Long until = dateTimeMs(s, "doNotRunUntil");
    if (until != null) {
      b.setDoNotRunUntilMs(until);
    }
    Long after = dateTimeMs(s, "doNotRunAfter");
    if (after != null) {
      b.setDoNotRunAfterMs(after);
    }
    Long window = s.durationMs("startWindow");
    if (window != null) {
      if (window < 60_000) {
        throw s.invalid("startWindow", "The start window must be at least 1 minute");
      }
      b.setStartWindowMs(window);
    }
    Long recurrence = s.durationMs("recurrenceInterval");
    if (recurrence != null) {
      if (recurrence < 60_000) {
        throw s.invalid("recurrenceInterval", "The recurrence interval must be at least 1 minute");
      }
      b.setRecurrenceIntervalMs(recurrence);
    }
    return b.build();
  }

  private static Long dateTimeMs(Props p, String name) {
    String text = p.string(name);
    if (text == null) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(text.trim()).toInstant().toEpochMilli();
    } catch (java.time.format.DateTimeParseException e) {
      throw p.invalid(name, "An ISO 8601 date and time with an offset is expected, e.g. 2024-01-01T00:00:00Z");
    }
  }

  /** A {@code JobSpecification}: a job without an id (each run gets its own). */
  private static JobSpec jobSpecification(Props js) {
    ObjectNode copy = js.node().deepCopy();
    copy.put("id", "schedule-job");
    return job(copy).toBuilder().clearId().build();
  }

  /** {@code PoolResizeParameter}: the new dedicated target. */
  /** Pool_Resize: the dedicated-node target, and what becomes of the tasks of nodes removed (requeue by default). */
  public record Resize(int targetDedicatedNodes, io.batchgrid.coordinator.autoscale.NodeDeallocationOption option) {}

  public static Resize resize(ObjectNode body) {
    Props p = Props.root(body);
    Integer lowPriority = p.integer("targetLowPriorityNodes", 0, 10_000);
    if (lowPriority != null && lowPriority > 0) {
      throw ApiError.notSupported("targetLowPriorityNodes",
          "batchgrid has no Spot/low-priority nodes; use targetDedicatedNodes");
    }
    p.durationMs("resizeTimeout");
    String option = p.enumValue("nodeDeallocationOption", DEALLOCATION);
    Integer dedicated = p.integer("targetDedicatedNodes", 0, 10_000);
    return new Resize(dedicated == null ? 0 : dedicated, option == null
        ? io.batchgrid.coordinator.autoscale.NodeDeallocationOption.REQUEUE
        : io.batchgrid.coordinator.autoscale.NodeDeallocationOption.parse(option).orElseThrow());
  }

  /**
   * The option of a node reboot, reimage or deallocate ({@code property}: nodeRebootOption,
   * nodeReimageOption, nodeDeallocateOption); requeue when the body or the property is absent.
   */
  public static io.batchgrid.coordinator.autoscale.NodeDeallocationOption nodeOption(ObjectNode body, String property) {
    String option = body == null ? null : Props.root(body).enumValue(property, DEALLOCATION);
    return option == null ? io.batchgrid.coordinator.autoscale.NodeDeallocationOption.REQUEUE
        : io.batchgrid.coordinator.autoscale.NodeDeallocationOption.parse(option).orElseThrow();
  }

  /** ComputeNode_UploadBatchServiceLogs's body: where to, and the time range ({@code endTimeMs} null: no end). */
  public record UploadLogs(String containerUrl, long startTimeMs, Long endTimeMs) {}

  /**
   * An UploadBatchServiceLogsConfiguration. The container URL is checked by the node, which hides its
   * SAS in what it answers. A user-assigned identity has no meaning on batchgrid's nodes: refused.
   */
  public static UploadLogs uploadLogs(ObjectNode body) {
    Props p = Props.root(body);
    rejectNonEmpty(p, "identityReference", "batchgrid nodes have no managed identities: give containerUrl a SAS "
        + "granting write (and create) permission on the container");
    String url = p.requiredText("containerUrl");
    if (!p.has("startTime")) {
      throw ApiError.missingProperty("startTime");
    }
    long start = dateTimeMs(p, "startTime");
    Long end = dateTimeMs(p, "endTime");
    if (end != null && end < start) {
      throw p.invalid("endTime", "The end time must not be before the start time");
    }
    return new UploadLogs(url, start, end);
  }

  /** Pool_RemoveNodes's body: the nodes (1 to 100, as Azure) and what becomes of their tasks (requeue by default). */
  public record RemoveNodes(List<String> nodeIds, io.batchgrid.coordinator.autoscale.NodeDeallocationOption option) {}

  public static RemoveNodes removeNodes(ObjectNode body) {
    Props p = Props.root(body);
    if (!p.has("nodeList")) {
      throw ApiError.missingProperty("nodeList");
    }
    List<String> ids = p.strings("nodeList");
    if (ids.isEmpty() || ids.size() > 100) {
      throw p.invalid("nodeList", "Between 1 and 100 node ids are expected");
    }
    p.durationMs("resizeTimeout");
    String option = p.enumValue("nodeDeallocationOption", DEALLOCATION);
    return new RemoveNodes(List.copyOf(new java.util.LinkedHashSet<>(ids)), option == null
        ? io.batchgrid.coordinator.autoscale.NodeDeallocationOption.REQUEUE
        : io.batchgrid.coordinator.autoscale.NodeDeallocationOption.parse(option).orElseThrow());
  }

  // -------------------------------------------------------------------------------------- jobs

  public static JobSpec job(ObjectNode body) {
    Props p = Props.root(body);
    JobSpec.Builder b = JobSpec.newBuilder();
    b.setId(id(p, "id"));
    displayName(p).ifPresent(b::setDisplayName);
    Integer priority = p.integer("priority", -1000, 1000);
    b.setPriority(priority == null ? 0 : priority);
    Integer maxParallel = maxParallelTasks(p);
    if (maxParallel != null) {
      b.setMaxParallelTasks(maxParallel);
    }
    Boolean preemption = p.bool("allowTaskPreemption");
    b.setAllowTaskPreemption(preemption != null && preemption);
    JobConstraints c = jobConstraints(p.object("constraints"));
    if (c != null) {
      b.setConstraints(c);
    }
    if (p.has("jobManagerTask")) {
      p.object("jobManagerTask");
      throw ApiError.notSupported("jobManagerTask", "Job manager tasks are not supported yet");
    }
    JobTaskSpec prep = jobPreparationTask(p.object("jobPreparationTask"));
    JobTaskSpec release = jobReleaseTask(p.object("jobReleaseTask"));
    if (release != null && prep == null) {
      throw p.invalid("jobReleaseTask", "A job release task cannot be specified without a job preparation task");
    }
    if (prep != null && release != null && Ids.key(prep.getId()).equals(Ids.key(release.getId()))) {
      throw p.object("jobReleaseTask").invalid("id", "The job release task cannot have the id of the job preparation task");
    }
    if (prep != null) {
      b.setJobPreparationTask(prep);
    }
    if (release != null) {
      b.setJobReleaseTask(release);
    }
    b.addAllCommonEnvironmentSettings(environment(p, "commonEnvironmentSettings"));
    Props poolInfo = p.requiredObject("poolInfo");
    b.setPoolId(poolId(poolInfo));
    String onAll = p.enumValue("onAllTasksComplete", ON_ALL_TASKS_COMPLETE);
    b.setOnAllTasksComplete(onAll == null ? "noaction" : onAll);
    String onFailure = p.enumValue("onTaskFailure", ON_TASK_FAILURE);
    b.setOnTaskFailure(onFailure == null ? "noaction" : onFailure);
    b.addAllMetadata(metadata(p));
    Boolean deps = p.bool("usesTaskDependencies");
    b.setUsesTaskDependencies(deps != null && deps);
    b.setNetworkConfigurationJson(p.json("networkConfiguration", true));
    return b.build();
  }

  /** Azure's limit on a job release task's maxWallClockTime (and its default). */
  private static final long MAX_RELEASE_WALL_CLOCK_MS = java.time.Duration.ofMinutes(15).toMillis();

  /** {@code JobPreparationTask}: id (default {@code jobpreparation}), command line, files, environment, constraints, identity. */
  private static JobTaskSpec jobPreparationTask(Props t) {
    if (t == null) {
      return null;
    }
    JobTaskSpec.Builder b = jobTaskCommon(t, "jobpreparation");
    TaskConstraints c = taskConstraints(t.object("constraints"));
    if (c != null) {
      b.setConstraints(c);
    }
    Boolean wait = t.bool("waitForSuccess");
    if (wait != null) {
      b.setWaitForSuccess(wait);
    }
    Boolean rerun = t.bool("rerunOnNodeRebootAfterSuccess");
    if (rerun != null) {
      b.setRerunOnNodeRebootAfterSuccess(rerun);
    }
    return b.build();
  }

  /** {@code JobReleaseTask}: id (default {@code jobrelease}), maxWallClockTime (at most 15 minutes) and retentionTime. */
  private static JobTaskSpec jobReleaseTask(Props t) {
    if (t == null) {
      return null;
    }
    JobTaskSpec.Builder b = jobTaskCommon(t, "jobrelease");
    TaskConstraints.Builder c = TaskConstraints.newBuilder();
    Long wall = t.durationMs("maxWallClockTime");
    if (wall != null) {
      if (wall <= 0 || wall > MAX_RELEASE_WALL_CLOCK_MS) {
        throw t.invalid("maxWallClockTime", "A job release task may run for at most 15 minutes (PT15M)");
      }
      c.setMaxWallClockTimeMs(wall);
    }
    Long retention = t.durationMs("retentionTime");
    if (retention != null) {
      c.setRetentionTimeMs(retention);
    }
    if (wall != null || retention != null) {
      b.setConstraints(c);
    }
    return b.build();
  }

  private static JobTaskSpec.Builder jobTaskCommon(Props t, String defaultId) {
    JobTaskSpec.Builder b = JobTaskSpec.newBuilder();
    b.setId(t.has("id") ? id(t, "id") : defaultId);
    b.setCommandLine(t.requiredText("commandLine"));
    if (t.has("containerSettings")) {
      t.object("containerSettings");
      throw ApiError.notSupported("containerSettings", "Running tasks in containers is not supported yet");
    }
    b.addAllResourceFiles(resourceFiles(t, "resourceFiles"));
    b.addAllEnvironmentSettings(environment(t, "environmentSettings"));
    UserIdentity user = userIdentity(t.object("userIdentity"));
    if (user != null) {
      b.setUserIdentity(user);
    }
    return b;
  }

  private static String poolId(Props poolInfo) {
    if (poolInfo.has("autoPoolSpecification")) {
      poolInfo.object("autoPoolSpecification");
      throw ApiError.notSupported("autoPoolSpecification", "Auto pools are not supported yet; create a pool and give its poolId");
    }
    String poolId = poolInfo.string("poolId");
    if (poolId == null) {
      throw ApiError.missingProperty("poolId");
    }
    if (!Ids.isValid(poolId)) {
      throw poolInfo.invalid("poolId", "An id has 1 to 64 letters, digits, hyphens and underscores");
    }
    return poolId;
  }

  private static Integer maxParallelTasks(Props p) {
    Integer maxParallel = p.integer("maxParallelTasks");
    if (maxParallel != null && maxParallel != -1 && maxParallel < 1) {
      throw p.invalid("maxParallelTasks", "The value must be -1 (unlimited) or at least 1");
    }
    return maxParallel;
  }

  private static JobConstraints jobConstraints(Props c) {
    if (c == null) {
      return null;
    }
    JobConstraints.Builder b = JobConstraints.newBuilder();
    Long wall = c.durationMs("maxWallClockTime");
    if (wall != null) {
      b.setMaxWallClockTimeMs(wall);
    }
    Integer retries = c.integer("maxTaskRetryCount", -1, Integer.MAX_VALUE);
    if (retries != null) {
      b.setMaxTaskRetryCount(retries);
    }
    return b.build();
  }

  /**
   * {@code JobPatchParameter} (PATCH: absent properties stay) or {@code JobUpdateParameter} (PUT:
   * absent properties reset to their defaults).
   */
  public static JobEntity.JobPatch jobPatch(ObjectNode body, boolean replace) {
    Props p = Props.root(body);
    Integer priority = p.integer("priority", -1000, 1000);
    Integer maxParallel = maxParallelTasks(p);
    Boolean preemption = p.bool("allowTaskPreemption");
    String onAll = p.enumValue("onAllTasksComplete", ON_ALL_TASKS_COMPLETE);
    JobConstraints constraints = jobConstraints(p.object("constraints"));
    Props poolInfo = replace ? p.requiredObject("poolInfo") : p.object("poolInfo");
    if (poolInfo != null) {
      // Moving a job to another pool is not supported yet; naming its own pool again is fine,
      // and the routes check that it is its own pool.
      poolId(poolInfo);
    }
    if (p.has("networkConfiguration")) {
      throw ApiError.notSupported("networkConfiguration", "A job's network configuration cannot be changed");
    }
    List<NameValue> metadata = p.has("metadata") ? metadata(p) : null;
    return new JobEntity.JobPatch(priority, maxParallel, constraints, onAll, null, metadata, preemption, replace);
  }

  /** The pool a PATCH or PUT names in {@code poolInfo}, or null. */
  public static String patchedPoolId(ObjectNode body) {
    Props poolInfo = Props.root(body).object("poolInfo");
    return poolInfo == null ? null : poolInfo.string("poolId");
  }

  /** {@code JobTerminateParameter}: the reason, or null. An empty body is allowed. */
  public static String terminateReason(ObjectNode body) {
    if (body == null) {
      return null;
    }
    String reason = Props.root(body).string("terminateReason");
    if (reason != null && reason.length() > 64) {
      throw Props.root(body).invalid("terminateReason", "At most 64 characters are allowed");
    }
    return reason;
  }

  // ------------------------------------------------------------------------------------- tasks

  public static TaskSpec task(ObjectNode body) {
    return task(Props.root(body));
  }

  public static TaskSpec task(Props p) {
    TaskSpec.Builder b = TaskSpec.newBuilder();
    b.setId(id(p, "id"));
    displayName(p).ifPresent(b::setDisplayName);
    b.setCommandLine(p.requiredText("commandLine"));
    if (p.has("containerSettings")) {
      p.object("containerSettings");
      throw ApiError.notSupported("containerSettings", "Running tasks in containers is not supported yet");
    }
    ExitConditions exit = exitConditions(p.object("exitConditions"));
    if (exit != null) {
      b.setExitConditions(exit);
    }
    b.addAllResourceFiles(resourceFiles(p, "resourceFiles"));
    b.addAllOutputFiles(outputFiles(p));
    b.addAllEnvironmentSettings(environment(p, "environmentSettings"));
    b.setAffinityInfoJson(p.json("affinityInfo", true));
    TaskConstraints c = taskConstraints(p.object("constraints"));
    if (c != null) {
      b.setConstraints(c);
    }
    Integer slots = p.integer("requiredSlots", 1, 256);
    b.setRequiredSlots(slots == null ? 1 : slots);
    UserIdentity user = userIdentity(p.object("userIdentity"));
    if (user != null) {
      b.setUserIdentity(user);
    }
    Props multi = p.object("multiInstanceSettings");
    if (multi != null) {
      Integer instances = multi.integer("numberOfInstances", 1, 1000);
      io.batchgrid.protocol.spec.MultiInstanceSettings.Builder m = io.batchgrid.protocol.spec.MultiInstanceSettings.newBuilder()
          .setNumberOfInstances(instances == null ? 1 : instances)
          .setCoordinationCommandLine(multi.requiredText("coordinationCommandLine"))
          .addAllCommonResourceFiles(resourceFiles(multi, "commonResourceFiles"));
      if (slots != null && slots != 1) {
        throw p.invalid("requiredSlots", "A multi-instance task must require exactly 1 slot");
      }
      b.setMultiInstanceSettings(m);
    }
    TaskDependencies deps = dependencies(p.object("dependsOn"));
    if (deps != null) {
      b.setDependsOn(deps);
    }
    b.addAllApplicationPackageReferences(packageReferences(p));
    Props token = p.object("authenticationTokenSettings");
    if (token != null && token.nonEmpty("access")) {
      throw ApiError.notSupported("authenticationTokenSettings", "Tasks cannot be given Batch authentication tokens yet");
    }
    return b.build();
  }

  /** Task_Update's body: the task's new constraints, or null (omitted: the defaults, as Azure resets them). */
  public static TaskConstraints taskUpdate(ObjectNode body) {
    return taskConstraints(Props.root(body).object("constraints"));
  }

  /** Azure's limit on a pool's package references. */
  static final int MAX_POOL_PACKAGES = 10;

  /**
   * {@code applicationPackageReferences}: ids as {@code ApplicationStore} names them, or Azure's
   * fully qualified {@code /subscriptions/.../applications/<name>} (its last segment is kept);
   * versions in Azure's form, empty for the default version. Whether they exist is checked by the
   * caller (pools) or on the node (tasks), as Azure does.
   */
  static List<ApplicationPackageReference> packageReferences(Props p) {
    List<ApplicationPackageReference> out = new ArrayList<>();
    for (Props r : p.objects("applicationPackageReferences")) {
      String id = r.requiredText("applicationId");
      int slash = id.toLowerCase(java.util.Locale.ROOT).lastIndexOf("/applications/");
      String name = slash >= 0 ? id.substring(slash + "/applications/".length()) : id;
      if (!ApplicationStore.APPLICATION_ID.matcher(name).matches()) {
        throw r.invalid("applicationId", "An application id has 1 to 64 letters, digits, '_' and '-'");
      }
      ApplicationPackageReference.Builder b = ApplicationPackageReference.newBuilder().setApplicationId(name);
      String version = r.string("version");
      if (version != null && !version.isEmpty()) {
        if (!ApplicationStore.VERSION.matcher(version).matches()) {
          throw r.invalid("version", "A version has 1 to 64 letters, digits, '_', '-' and '.', not starting with '.'");
        }
        b.setVersion(version);
      }
      out.add(b.build());
    }
    return out;
  }

  private static TaskConstraints taskConstraints(Props c) {
    if (c == null) {
      return null;
    }
    TaskConstraints.Builder b = TaskConstraints.newBuilder();
    Long wall = c.durationMs("maxWallClockTime");
    if (wall != null) {
      b.setMaxWallClockTimeMs(wall);
    }
    Long retention = c.durationMs("retentionTime");
    if (retention != null) {
      b.setRetentionTimeMs(retention);
    }
    Integer retries = c.integer("maxTaskRetryCount", -1, Integer.MAX_VALUE);
    if (retries != null) {
      b.setMaxTaskRetryCount(retries);
    }
    return b.build();
  }

  static UserIdentity userIdentity(Props u) {
    if (u == null) {
      return null;
    }
    UserIdentity.Builder b = UserIdentity.newBuilder();
    String name = u.string("username");
    Props auto = u.object("autoUser");
    if (name != null && auto != null) {
      throw u.invalid("username", "username and autoUser are mutually exclusive");
    }
    if (name != null) {
      // Named users are a pool's userAccounts, which batchgrid does not create on its nodes.
      throw ApiError.notSupported("userIdentity", "Named user accounts (the pool's userAccounts) are not created on "
          + "batchgrid nodes; give the task an autoUser (nonadmin runs as the node's unprivileged task user, admin as the "
          + "node's own user)");
    }
    if (auto != null) {
      AutoUser.Builder a = AutoUser.newBuilder();
      String scope = auto.enumValue("scope", AUTO_USER_SCOPE);
      if (scope != null) {
        a.setScope(scope);
      }
      String elevation = auto.enumValue("elevationLevel", ELEVATION);
      if (elevation != null) {
        a.setElevationLevel(elevation);
      }
      b.setAutoUser(a);
    }
    return b.build();
  }

  private static ExitConditions exitConditions(Props e) {
    if (e == null) {
      return null;
    }
    ExitConditions.Builder b = ExitConditions.newBuilder();
    for (Props m : e.objects("exitCodes")) {
      b.addExitCodes(ExitCodeMapping.newBuilder().setCode(m.requiredInteger("code"))
          .setExitOptions(exitOptions(m.requiredObject("exitOptions"))));
    }
    for (Props m : e.objects("exitCodeRanges")) {
      int start = m.requiredInteger("start");
      int end = m.requiredInteger("end");
      if (end < start) {
        throw m.invalid("end", "end must not be less than start");
      }
      b.addExitCodeRanges(ExitCodeRangeMapping.newBuilder().setStart(start).setEnd(end)
          .setExitOptions(exitOptions(m.requiredObject("exitOptions"))));
    }
    Props pre = e.object("preProcessingError");
    if (pre != null) {
      b.setPreProcessingError(exitOptions(pre));
    }
    Props upload = e.object("fileUploadError");
    if (upload != null) {
      b.setFileUploadError(exitOptions(upload));
    }
    Props dflt = e.object("default");
    if (dflt != null) {
      b.setDefault(exitOptions(dflt));
    }
    return b.build();
  }

  private static ExitOptions exitOptions(Props o) {
    ExitOptions.Builder b = ExitOptions.newBuilder();
    String job = o.enumValue("jobAction", JOB_ACTION);
    if (job != null) {
      b.setJobAction(job);
    }
    String dep = o.enumValue("dependencyAction", DEPENDENCY_ACTION);
    if (dep != null) {
      b.setDependencyAction(dep);
    }
    return b.build();
  }

  private static TaskDependencies dependencies(Props d) {
    if (d == null) {
      return null;
    }
    TaskDependencies.Builder b = TaskDependencies.newBuilder();
    for (String id : d.strings("taskIds")) {
      if (!Ids.isValid(id)) {
        throw d.invalid("taskIds", "'" + id + "' is not a valid task id");
      }
      b.addTaskIds(id);
    }
    for (Props r : d.objects("taskIdRanges")) {
      int start = r.requiredInteger("start");
      int end = r.requiredInteger("end");
      if (start < 0 || end < start) {
        throw r.invalid("end", "A range needs 0 <= start <= end");
      }
      b.addTaskIdRanges(TaskIdRange.newBuilder().setStart(start).setEnd(end));
    }
    return b.build();
  }

  static List<ResourceFile> resourceFiles(Props p, String name) {
    List<ResourceFile> out = new ArrayList<>();
    for (Props f : p.objects(name)) {
      ResourceFile.Builder b = ResourceFile.newBuilder();
      String auto = f.string("autoStorageContainerName");
      String container = f.string("storageContainerUrl");
      String http = f.string("httpUrl");
      int sources = (auto != null ? 1 : 0) + (container != null ? 1 : 0) + (http != null ? 1 : 0);
      if (sources != 1) {
        throw sources == 0 ? ApiError.missingProperty("httpUrl")
            : f.invalid("httpUrl", "Exactly one of autoStorageContainerName, storageContainerUrl and httpUrl must be given");
      }
      if (auto != null) {
        b.setAutoStorageContainerName(auto);
      }
      if (container != null) {
        b.setStorageContainerUrl(container);
      }
      if (http != null) {
        b.setHttpUrl(http);
        if (f.string("filePath") == null) {
          throw ApiError.missingProperty("filePath");
        }
      }
      String prefix = f.string("blobPrefix");
      if (prefix != null) {
        b.setBlobPrefix(prefix);
      }
      String filePath = f.string("filePath");
      if (filePath != null) {
        if (filePath.startsWith("/") || filePath.contains("..")) {
          throw f.invalid("filePath", "The path must be relative to the task's working directory and must not contain '..'");
        }
        b.setFilePath(filePath);
      }
      String mode = f.string("fileMode");
      if (mode != null) {
        if (!mode.matches("[0-7]{3,4}")) {
          throw f.invalid("fileMode", "An octal mode such as 0644 is expected");
        }
        b.setFileMode(mode);
      }
      b.setIdentityReferenceJson(f.json("identityReference", true));
      out.add(b.build());
    }
    return out;
  }

  private static List<OutputFile> outputFiles(Props p) {
    List<OutputFile> out = new ArrayList<>();
    for (Props f : p.objects("outputFiles")) {
      OutputFile.Builder b = OutputFile.newBuilder();
      b.setFilePattern(f.requiredText("filePattern"));
      Props container = f.requiredObject("destination").requiredObject("container");
      b.setContainerUrl(container.requiredText("containerUrl"));
      String path = container.string("path");
      if (path != null) {
        b.setPath(path);
      }
      for (Props h : container.objects("uploadHeaders")) {
        String value = h.string("value");
        b.addUploadHeaders(NameValue.newBuilder().setName(h.requiredText("name")).setValue(value == null ? "" : value));
      }
      b.setIdentityReferenceJson(container.json("identityReference", true));
      String condition = f.requiredObject("uploadOptions").enumValue("uploadCondition", UPLOAD_CONDITION);
      if (condition == null) {
        throw ApiError.missingProperty("uploadCondition");
      }
      b.setUploadCondition(condition);
      out.add(b.build());
    }
    return out;
  }

  // ------------------------------------------------------------------------------------ shared

  static String id(Props p, String name) {
    String id = p.requiredString(name);
    if (!Ids.isValid(id)) {
      throw p.invalid(name, "An id has 1 to 64 letters, digits, hyphens and underscores");
    }
    return id;
  }

  private static java.util.Optional<String> displayName(Props p) {
    String d = p.string("displayName");
    if (d != null && d.length() > MAX_DISPLAY_NAME) {
      throw p.invalid("displayName", "At most " + MAX_DISPLAY_NAME + " characters are allowed");
    }
    return java.util.Optional.ofNullable(d);
  }

  static List<NameValue> environment(Props p, String name) {
    List<NameValue> out = new ArrayList<>();
    for (Props e : p.objects(name)) {
      String value = e.string("value");
      out.add(NameValue.newBuilder().setName(e.requiredText("name")).setValue(value == null ? "" : value).build());
    }
    return out;
  }

  static List<NameValue> metadata(Props p) {
    List<NameValue> out = new ArrayList<>();
    for (Props e : p.objects("metadata")) {
      out.add(NameValue.newBuilder().setName(e.requiredText("name")).setValue(e.requiredString("value")).build());
    }
    return out;
  }

  private static void rejectNonEmpty(Props p, String name, String reason) {
    if (p.nonEmpty(name)) {
      throw ApiError.notSupported(name, reason);
    }
  }
}
