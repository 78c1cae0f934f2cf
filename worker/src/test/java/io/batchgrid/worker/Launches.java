package io.batchgrid.worker;

import java.util.List;

import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.NameValue;
import io.batchgrid.protocol.spec.TaskConstraints;
import io.batchgrid.protocol.spec.TaskSpec;

/** Task launches for tests. */
final class Launches {
  private Launches() {}

  static TaskLaunch launch(String jobId, String taskId, int attempt, String commandLine) {
    return new TaskLaunch(jobId, taskId, attempt, spec(taskId, commandLine).build(), List.of());
  }

  static TaskSpec.Builder spec(String taskId, String commandLine) {
    return TaskSpec.newBuilder().setId(taskId).setCommandLine(commandLine);
  }

  static TaskSpec.Builder withWallClock(TaskSpec.Builder spec, long millis) {
    return spec.setConstraints(TaskConstraints.newBuilder().setMaxWallClockTimeMs(millis));
  }

  static NameValue nv(String name, String value) {
    return NameValue.newBuilder().setName(name).setValue(value).build();
  }
}
