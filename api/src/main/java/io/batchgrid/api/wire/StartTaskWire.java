package io.batchgrid.api.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.routes.ApiError;
import io.batchgrid.protocol.FailureInfo;
import io.batchgrid.protocol.node.StartTaskInfo;
import io.batchgrid.protocol.spec.StartTaskSpec;
import io.batchgrid.protocol.spec.UserIdentity;

/**
 * A pool's start task on the wire: Azure's {@code StartTask} read from pool add, patch and
 * update-properties bodies, and written back on the pool and its nodes, and a node's
 * {@code StartTaskInformation}.
 */
public final class StartTaskWire {
  private StartTaskWire() {}

  /**
   * Azure's {@code StartTask}: commandLine required; {@code waitForSuccess} true when absent (the
   * default of every api-version batchgrid serves); {@code maxTaskRetryCount} from -1 (no limit).
   */
  static StartTaskSpec read(Props p) {
    StartTaskSpec.Builder b = StartTaskSpec.newBuilder();
    b.setCommandLine(p.requiredText("commandLine"));
    if (p.has("containerSettings") && !p.node().get("containerSettings").isNull()) {
      p.object("containerSettings");
      throw ApiError.notSupported("containerSettings", "Running start tasks in containers is not supported yet");
    }
    b.addAllResourceFiles(SpecReader.resourceFiles(p, "resourceFiles"));
    b.addAllEnvironmentSettings(SpecReader.environment(p, "environmentSettings"));
    UserIdentity user = SpecReader.userIdentity(p.object("userIdentity"));
    if (user != null) {
      b.setUserIdentity(user);
    }
    Integer retries = p.integer("maxTaskRetryCount", -1, Integer.MAX_VALUE);
    b.setMaxTaskRetryCount(retries == null ? 0 : retries);
    Boolean wait = p.bool("waitForSuccess");
    b.setWaitForSuccess(wait == null || wait);
    return b.build();
  }

  static ObjectNode write(StartTaskSpec s) {
    ObjectNode o = Json.object();
    o.put("commandLine", s.getCommandLine());
    if (s.getResourceFilesCount() > 0) {
      o.set("resourceFiles", WireWriter.resourceFiles(s.getResourceFilesList()));
    }
    if (s.getEnvironmentSettingsCount() > 0) {
      o.set("environmentSettings", WireWriter.nameValues(s.getEnvironmentSettingsList()));
    }
    o.set("userIdentity", WireWriter.userIdentity(s.hasUserIdentity() ? s.getUserIdentity() : null));
    o.put("maxTaskRetryCount", s.getMaxTaskRetryCount());
    o.put("waitForSuccess", s.getWaitForSuccess());
    return o;
  }

  /** Azure's {@code StartTaskInformation}; null for a node that joined a pool without a start task. */
  static ObjectNode write(StartTaskInfo i) {
    if (i == null || i.state() == StartTaskInfo.State.NONE) {
      return null;
    }
    ObjectNode o = Json.object();
    o.put("state", i.state() == StartTaskInfo.State.RUNNING ? "running" : "completed");
    o.put("startTime", WireTime.iso(i.startTimeMs()));
    if (i.endTimeMs() > 0) {
      o.put("endTime", WireTime.iso(i.endTimeMs()));
    }
    if (i.exitCode() != null) {
      o.put("exitCode", i.exitCode());
    }
    FailureInfo f = i.failureInfo();
    if (f != null) {
      WireWriter.putFailureInfo(o, f);
    }
    o.put("retryCount", i.retryCount());
    if (i.lastRetryTimeMs() > 0) {
      o.put("lastRetryTime", WireTime.iso(i.lastRetryTimeMs()));
    }
    if (i.result() != null) {
      o.put("result", i.result());
    }
    return o;
  }
}
