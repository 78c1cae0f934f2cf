package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.TaskSpec;

class DispatchPlannerTest {
  private static TaskSpec task(String id, int slots) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("true").setRequiredSlots(slots).build();
  }

  @Test
  void fillsFreeSlotsInQueueOrderAndLetsSmallTasksPassOneThatDoesNotFit() {
    JobRecord job = JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p").build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(task("a", 1), task("big", 3), task("b", 1), task("c", 1)), 2));
    Map<String, Integer> free = new HashMap<>(Map.of("n1", 2));
    List<TaskDispatch> plan = DispatchPlanner.plan(job, free, 10);
    assertEquals(List.of("a", "b"), plan.stream().map(TaskDispatch::taskId).toList());
    assertEquals(1, plan.get(0).attempt());
    assertEquals("workitems/J/job-1/a", plan.get(0).taskRootDirectory());
    assertEquals(0, free.get("n1"));
  }

  @Test
  void respectsTheTaskLimit() {
    JobRecord job = JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p").build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(task("a", 1), task("b", 1)), 2));
    assertEquals(1, DispatchPlanner.plan(job, new HashMap<>(Map.of("n", 4)), 1).size());
  }

  @Test
  void aRoundKeepsSlotsOwedAndLeavesReleasedMultiInstanceTasksToTheirGangs() {
    JobRecord job = JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p").build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(task("a", 1), task("b", 1), task("c", 1)), 2));
    assertEquals(List.of("a", "b"), DispatchPlanner.round(job, new HashMap<>(Map.of("n", 3)), 1, Map.of(), List.of())
        .stream().map(TaskDispatch::taskId).toList());
    io.batchgrid.protocol.job.TaskRecord gang = io.batchgrid.protocol.job.TaskRecord.added(TaskSpec.newBuilder().setId("mpi")
        .setCommandLine("x").setMultiInstanceSettings(io.batchgrid.protocol.spec.MultiInstanceSettings.newBuilder()
            .setNumberOfInstances(2)).build(), 2);
    assertEquals(3, DispatchPlanner.round(job, new HashMap<>(Map.of("n", 5)), 0, Map.of(), List.of(gang)).size());
  }
}
