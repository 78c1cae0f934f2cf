package io.batchgrid.worker;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.batchgrid.protocol.node.NodeLayout;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.UserIdentity;

/**
 * The environment a task's process sees. Built from scratch rather than inherited: the worker's
 * own variables (credentials, JVM and service settings) must not leak into user code, and a task
 * must see the same environment whichever way the node was started.
 */
final class TaskEnvironment {
  /** What a task inherits from the worker: enough to find programs and behave like a login. */
  private static final List<String> INHERITED = List.of("PATH", "HOME", "LANG");

  private TaskEnvironment() {}

  /**
   * Layers, each overriding the one before: inherited variables, the job's common environment, the
   * task's environment settings, then the AZ_BATCH_* variables (the node's facts cannot be faked).
   */
  static Map<String, String> build(
      Map<String, String> workerEnv, TaskLaunch launch, NodeConfig node, Path taskDir, Path workingDir) {
    Map<String, String> env = new HashMap<>(64);
    for (String name : INHERITED) {
      String value = workerEnv.get(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    putAll(env, launch.jobEnvironment());
    putAll(env, launch.spec().getEnvironmentSettingsList());

    Path root = node.nodeRoot();
    env.put("AZ_BATCH_ACCOUNT_NAME", node.accountName());
    if (node.accountUrl() != null) {
      env.put("AZ_BATCH_ACCOUNT_URL", node.accountUrl());
    }
    env.put("AZ_BATCH_POOL_ID", node.poolId());
    env.put("AZ_BATCH_NODE_ID", node.nodeId());
    env.put("AZ_BATCH_NODE_IS_DEDICATED", "true");
    env.put("AZ_BATCH_NODE_ROOT_DIR", root.toString());
    env.put("AZ_BATCH_NODE_SHARED_DIR", root.resolve(NodeLayout.SHARED).toString());
    env.put("AZ_BATCH_NODE_STARTUP_DIR", root.resolve(NodeLayout.STARTUP).toString());
    env.put("AZ_BATCH_JOB_ID", launch.jobId());
    env.put("AZ_BATCH_TASK_ID", launch.taskId());
    env.put("AZ_BATCH_TASK_DIR", taskDir.toString());
    env.put("AZ_BATCH_TASK_WORKING_DIR", workingDir.toString());
    env.put("AZ_BATCH_TASK_USER_IDENTITY", userIdentity(launch.spec().getUserIdentity()));
    // Every task of a job with a preparation task (its release task too, but not the preparation
    // itself) finds the preparation's directories, as on Azure.
    String prep = launch.jobPreparationTaskId();
    if (!prep.isEmpty() && !prep.equalsIgnoreCase(launch.taskId())) {
      Path prepDir = TaskPaths.taskDir(root, launch.jobId(), prep);
      env.put("AZ_BATCH_JOB_PREP_DIR", prepDir.toString());
      env.put("AZ_BATCH_JOB_PREP_WORKING_DIR", prepDir.resolve(TaskPaths.WORKING_DIR).toString());
    }
    if (launch.instance() != null) {
      // Multi-instance tasks, as on Azure: the coordination and application commands see them all.
      env.put("AZ_BATCH_HOST_LIST", String.join(",", launch.instance().hosts()));
      env.put("AZ_BATCH_NODE_LIST", String.join(";", launch.instance().hosts()));
      env.put("AZ_BATCH_MASTER_NODE", launch.instance().masterNode());
      env.put("AZ_BATCH_IS_CURRENT_NODE_MASTER", Boolean.toString(launch.instance().primary()));
      env.put("AZ_BATCH_TASK_SHARED_DIR", taskDir.toString());
    }
    return env;
  }

  /**
   * The environment of the pool's start task: the same layers as a task's, in the node's
   * {@code startup} directory, without job and task ids (Azure sets none for a start task).
   */
  static Map<String, String> forStartTask(Map<String, String> workerEnv, io.batchgrid.protocol.spec.StartTaskSpec spec,
      NodeConfig node) {
    Map<String, String> env = new HashMap<>(32);
    for (String name : INHERITED) {
      String value = workerEnv.get(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    putAll(env, spec.getEnvironmentSettingsList());
    Path root = node.nodeRoot();
    Path startup = root.resolve(NodeLayout.STARTUP);
    env.put("AZ_BATCH_ACCOUNT_NAME", node.accountName());
    if (node.accountUrl() != null) {
      env.put("AZ_BATCH_ACCOUNT_URL", node.accountUrl());
    }
    env.put("AZ_BATCH_POOL_ID", node.poolId());
    env.put("AZ_BATCH_NODE_ID", node.nodeId());
    env.put("AZ_BATCH_NODE_IS_DEDICATED", "true");
    env.put("AZ_BATCH_NODE_ROOT_DIR", root.toString());
    env.put("AZ_BATCH_NODE_SHARED_DIR", root.resolve(NodeLayout.SHARED).toString());
    env.put("AZ_BATCH_NODE_STARTUP_DIR", startup.toString());
    env.put("AZ_BATCH_NODE_STARTUP_WORKING_DIR", startup.resolve(NodeTaskRunner.WORKING_DIR).toString());
    env.put("AZ_BATCH_TASK_DIR", startup.toString());
    env.put("AZ_BATCH_TASK_WORKING_DIR", startup.resolve(NodeTaskRunner.WORKING_DIR).toString());
    env.put("AZ_BATCH_TASK_USER_IDENTITY", userIdentity(spec.getUserIdentity()));
    return env;
  }

  /**
   * Azure's name for the identity a task runs as (which user that is on the node: {@link TaskUser}).
   */
  static String userIdentity(UserIdentity identity) {
    if (!identity.getUserName().isEmpty()) {
      return identity.getUserName();
    }
    // Azure's defaults: an auto-user of pool scope, without elevation.
    String scope = "task".equalsIgnoreCase(identity.getAutoUser().getScope()) ? "Task" : "Pool";
    String elevation = "admin".equalsIgnoreCase(identity.getAutoUser().getElevationLevel()) ? "Admin" : "NonAdmin";
    return scope + elevation;
  }

  private static void putAll(Map<String, String> env, List<NameValue> settings) {
    for (NameValue nv : settings) {
      if (!nv.getName().isEmpty()) {
        env.put(nv.getName(), nv.getValue());
      }
    }
  }
}
