package io.batchgrid.api.odata;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The properties a list operation can filter on, with their types: what the Azure Batch
 * documentation names for each list, on the wire JSON's paths ({@code executionInfo/exitCode}).
 * Property names are matched case-sensitively, as Azure does.
 */
public final class FilterSchema {

  /** A property's type; {@code ENUM} carries its allowed (lowercase) values. */
  public record Type(Kind kind, Set<String> values) {
    public enum Kind { STRING, ENUM, NUMBER, BOOLEAN, DATETIME }

    static final Type STRING = new Type(Kind.STRING, Set.of());
    static final Type NUMBER = new Type(Kind.NUMBER, Set.of());
    static final Type BOOLEAN = new Type(Kind.BOOLEAN, Set.of());
    static final Type DATETIME = new Type(Kind.DATETIME, Set.of());

    static Type oneOf(String... values) {
      return new Type(Kind.ENUM, Set.of(values));
    }

    String describe() {
      return kind == Kind.ENUM ? "one of " + String.join(", ", new java.util.TreeSet<>(values))
          : kind.name().toLowerCase(Locale.ROOT);
    }
  }

  private final String what;
  private final Map<String, Type> properties;

  private FilterSchema(String what, Map<String, Type> properties) {
    this.what = what;
    this.properties = properties;
  }

  /** The type of {@code path}, or null when it cannot be filtered on. */
  public Type type(String path) {
    return properties.get(path);
  }

  public Set<String> properties() {
    return properties.keySet();
  }

  public String what() {
    return what;
  }

  private static final class Builder {
    private final String what;
    private final Map<String, Type> p = new LinkedHashMap<>();

    Builder(String what) {
      this.what = what;
    }

    Builder add(Type t, String... names) {
      for (String n : names) {
        p.put(n, t);
      }
      return this;
    }

    FilterSchema build() {
      return new FilterSchema(what, Map.copyOf(p));
    }
  }

  static final Type TASK_STATE = Type.oneOf("active", "preparing", "running", "completed");
  static final Type JOB_STATE = Type.oneOf("active", "disabling", "disabled", "enabling", "terminating", "completed",
      "deleting");
  static final Type NODE_STATE = Type.oneOf("idle", "rebooting", "reimaging", "running", "unusable", "creating",
      "starting", "waitingforstarttask", "starttaskfailed", "unknown", "leavingpool", "offline", "preempted",
      "upgradingos", "deallocated", "deallocating");

  public static final FilterSchema TASKS = new Builder("tasks")
      .add(Type.STRING, "id", "displayName", "url", "eTag", "commandLine",
          "executionInfo/failureInfo/code", "executionInfo/failureInfo/message",
          "nodeInfo/affinityId", "nodeInfo/nodeUrl", "nodeInfo/poolId", "nodeInfo/nodeId",
          "nodeInfo/taskRootDirectory", "nodeInfo/taskRootDirectoryUrl")
      .add(Type.DATETIME, "lastModified", "creationTime", "stateTransitionTime", "previousStateTransitionTime",
          "executionInfo/startTime", "executionInfo/endTime", "executionInfo/lastRetryTime",
          "executionInfo/lastRequeueTime")
      .add(TASK_STATE, "state", "previousState")
      .add(Type.NUMBER, "executionInfo/exitCode", "executionInfo/retryCount", "executionInfo/requeueCount",
          "requiredSlots", "constraints/maxTaskRetryCount", "constraints/retentionTime")
      .add(Type.oneOf("success", "failure"), "executionInfo/result")
      .add(Type.oneOf("usererror", "servererror"), "executionInfo/failureInfo/category")
      .build();

  public static final FilterSchema JOBS = new Builder("jobs")
      .add(Type.STRING, "id", "displayName", "url", "eTag", "poolInfo/poolId", "executionInfo/poolId",
          "executionInfo/terminateReason", "executionInfo/schedulingError/code")
      .add(Type.DATETIME, "lastModified", "creationTime", "stateTransitionTime", "previousStateTransitionTime",
          "executionInfo/startTime", "executionInfo/endTime")
      .add(JOB_STATE, "state", "previousState")
      .add(Type.NUMBER, "priority", "maxParallelTasks", "constraints/maxTaskRetryCount")
      .add(Type.BOOLEAN, "allowTaskPreemption", "usesTaskDependencies")
      .add(Type.oneOf("noaction", "terminatejob"), "onAllTasksComplete")
      .add(Type.oneOf("noaction", "performexitoptionsjobaction"), "onTaskFailure")
      .build();

  /** Job_ListPreparationAndReleaseTaskStatus: the node and how each of the two tasks ran there. */
  public static final FilterSchema PREPARATION_AND_RELEASE_STATUS = new Builder("job preparation and release task status")
      .add(Type.STRING, "poolId", "nodeId", "nodeUrl",
          "jobPreparationTaskExecutionInfo/taskRootDirectory", "jobPreparationTaskExecutionInfo/failureInfo/code",
          "jobReleaseTaskExecutionInfo/taskRootDirectory", "jobReleaseTaskExecutionInfo/failureInfo/code")
      .add(Type.oneOf("running", "completed"), "jobPreparationTaskExecutionInfo/state", "jobReleaseTaskExecutionInfo/state")
      .add(Type.oneOf("success", "failure"), "jobPreparationTaskExecutionInfo/result", "jobReleaseTaskExecutionInfo/result")
      .add(Type.NUMBER, "jobPreparationTaskExecutionInfo/exitCode", "jobPreparationTaskExecutionInfo/retryCount",
          "jobReleaseTaskExecutionInfo/exitCode")
      .add(Type.DATETIME, "jobPreparationTaskExecutionInfo/startTime", "jobPreparationTaskExecutionInfo/endTime",
          "jobReleaseTaskExecutionInfo/startTime", "jobReleaseTaskExecutionInfo/endTime")
      .build();

  public static final FilterSchema POOLS = new Builder("pools")
      .add(Type.STRING, "id", "displayName", "url", "eTag", "vmSize", "autoScaleFormula",
          "virtualMachineConfiguration/nodeAgentSKUId", "virtualMachineConfiguration/imageReference/publisher",
          "virtualMachineConfiguration/imageReference/offer", "virtualMachineConfiguration/imageReference/sku")
      .add(Type.DATETIME, "lastModified", "creationTime", "stateTransitionTime", "allocationStateTransitionTime")
      .add(Type.oneOf("active", "deleting"), "state")
      .add(Type.oneOf("steady", "resizing", "stopping"), "allocationState")
      .add(Type.NUMBER, "currentDedicatedNodes", "currentLowPriorityNodes", "targetDedicatedNodes",
          "targetLowPriorityNodes", "taskSlotsPerNode")
      .add(Type.BOOLEAN, "enableAutoScale", "enableInterNodeCommunication")
      .build();

  public static final FilterSchema NODES = new Builder("nodes")
      .add(Type.STRING, "id", "url", "ipAddress", "affinityId", "vmSize")
      .add(Type.DATETIME, "stateTransitionTime", "lastBootTime", "allocationTime")
      .add(NODE_STATE, "state")
      .add(Type.oneOf("enabled", "disabled"), "schedulingState")
      .add(Type.NUMBER, "totalTasksRun", "runningTasksCount", "runningTaskSlotsCount", "totalTasksSucceeded")
      .add(Type.BOOLEAN, "isDedicated")
      .build();

  public static final FilterSchema JOB_SCHEDULES = new Builder("job schedules")
      .add(Type.STRING, "id", "displayName", "url", "eTag", "jobSpecification/poolInfo/poolId",
          "executionInfo/recentJob/id")
      .add(Type.DATETIME, "lastModified", "creationTime", "stateTransitionTime", "executionInfo/nextRunTime",
          "executionInfo/endTime", "schedule/doNotRunUntil", "schedule/doNotRunAfter")
      .add(Type.oneOf("active", "completed", "disabled", "terminating", "deleting"), "state", "previousState")
      .add(Type.NUMBER, "jobSpecification/priority")
      .build();

  /** Supported images ({@code GET /supportedimages}). */
  public static final FilterSchema IMAGES = new Builder("supported images")
      .add(Type.STRING, "nodeAgentSKUId", "imageReference/publisher", "imageReference/offer", "imageReference/sku",
          "imageReference/version")
      .add(Type.oneOf("linux", "windows"), "osType")
      .add(Type.oneOf("verified", "unverified"), "verificationType")
      .build();

  /** Node counts per pool ({@code GET /nodecounts}). */
  public static final FilterSchema NODE_COUNTS = new Builder("node counts")
      .add(Type.STRING, "poolId")
      .build();

  /** Applications and pool usage metrics: batchgrid has none, so filters on their ids only. */
  public static final FilterSchema APPLICATIONS = new Builder("applications")
      .add(Type.STRING, "id", "displayName")
      .build();

  public static final FilterSchema USAGE_METRICS = new Builder("pool usage metrics")
      .add(Type.STRING, "poolId", "vmSize")
      .add(Type.DATETIME, "startTime", "endTime")
      .add(Type.NUMBER, "totalCoreHours")
      .build();

  /** Node and task files: Azure filters them by {@code name} (e.g. {@code startswith(name,'wd/')}). */
  public static final FilterSchema FILES = new Builder("files")
      .add(Type.STRING, "name", "url")
      .add(Type.BOOLEAN, "isDirectory")
      .build();
}
