package io.batchgrid.coordinator.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.Test;

import io.batchgrid.protocol.job.JobEvent;
import io.batchgrid.protocol.job.JobRecord;
import io.batchgrid.protocol.job.JobTaskKind;
import io.batchgrid.protocol.job.TaskDispatch;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.node.CoordinatorMessage;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.RunningTask;
import io.batchgrid.protocol.node.TaskLaunch;
import io.batchgrid.protocol.spec.JobSpec;
import io.batchgrid.protocol.spec.JobTaskSpec;
import io.batchgrid.protocol.spec.MultiInstanceSettings;
import io.batchgrid.protocol.spec.TaskSpec;

/**
 * The orders the job sends its nodes and the slots they take and free, with synchronous inboxes as
 * the nodes' agents (no actor system).
 */
class NodeOrdersTest {
  private final TestInbox<NodeMessage> n1 = TestInbox.create();
  private final TestInbox<NodeMessage> n2 = TestInbox.create();
  private final TestInbox<CoordinatorMessage> gateway = TestInbox.create();
  private final Leases leases = new Leases();
  private final MultiInstanceRuns gangs = new MultiInstanceRuns();
  private final NodeOrders orders = new NodeOrders(leases, gangs, gateway.getRef());

  private static TaskSpec task(String id, int slots) {
    return TaskSpec.newBuilder().setId(id).setCommandLine("x").setRequiredSlots(slots).build();
  }

  private static JobRecord job(TaskSpec... tasks) {
    return JobRecord.empty().apply(new JobEvent.JobCreated(JobSpec.newBuilder().setId("J").setPoolId("p")
            .setJobPreparationTask(JobTaskSpec.newBuilder().setId("prep").setCommandLine("x"))
            .setJobReleaseTask(JobTaskSpec.newBuilder().setId("rel").setCommandLine("x")).build(), 1))
        .apply(new JobEvent.TasksAdded(List.of(tasks), 2));
  }

  @Test
  void dispatchedTasksGoToTheirNodeInOneMessageOnItsLeaseAndStopFreesTheirSlots() {
    JobRecord s = job(task("a", 1), task("b", 2), task("c", 1));
    leases.grant("n1", n1.getRef(), 3);
    leases.grant("n2", n2.getRef(), 1);
    List<TaskDispatch> plan = List.of(new TaskDispatch("a", "n1", 1, "d"), new TaskDispatch("b", "n1", 1, "d"),
        new TaskDispatch("c", "n2", 1, "d"));
    s.apply(new JobEvent.TasksDispatched(plan, 3));
    orders.run(s, plan);
    NodeMessage.RunTasks toN1 = assertInstanceOf(NodeMessage.RunTasks.class, n1.receiveMessage());
    assertEquals(List.of("a", "b"), toN1.tasks().stream().map(TaskLaunch::taskId).toList());
    assertEquals("prep", toN1.tasks().get(0).jobPreparationTaskId());
    assertEquals(gateway.getRef(), toN1.reportTo());
    assertEquals(1, ((NodeMessage.RunTasks) n2.receiveMessage()).tasks().size());
    assertEquals(0, leases.totalFree());

    orders.stop(s, List.of(s.task("b")));
    assertEquals(new NodeMessage.TerminateTask("J", "b", 1), n1.receiveMessage());
    assertEquals(2, leases.totalFree());
  }

  @Test
  void jobTasksReachANodeThroughItsLeaseOrAsLastSeenUntilItIsLost() {
    JobRecord s = job().apply(new JobEvent.JobTaskStarted(JobTaskKind.PREPARATION, "p", "n1", 1, 2));
    assertFalse(orders.runJobTask(s, JobTaskKind.RELEASE, "n1", 1));
    orders.seen("n1", n1.getRef());
    assertTrue(orders.runJobTask(s, JobTaskKind.RELEASE, "n1", 1));
    NodeMessage.RunJobTask release = assertInstanceOf(NodeMessage.RunJobTask.class, n1.receiveMessage());
    assertEquals("rel", release.launch().taskId());
    orders.stopPreparations(s, List.of("n1"));
    assertEquals(new NodeMessage.TerminateTask("J", "prep", 1), n1.receiveMessage());
    orders.lost("n1");
    assertFalse(orders.runJobTask(s, JobTaskKind.RELEASE, "n1", 1));
  }

  @Test
  void aGangRunsOneInstancePerNodeOnADrainedLeaseAndStoppingItFreesEverySlot() {
    JobRecord s = job(TaskSpec.newBuilder().setId("mpi").setCommandLine("app")
        .setMultiInstanceSettings(MultiInstanceSettings.newBuilder().setNumberOfInstances(2)).build());
    s.apply(new JobEvent.TasksDispatched(List.of(new TaskDispatch("mpi", "n1", 1, "d")), 3));
    TaskRecord t = s.task("mpi");
    orders.runGang(s, t, 1, List.of(new JobEntity.GangMember("n1", n1.getRef()), new JobEntity.GangMember("n2", n2.getRef())), 3);
    assertEquals(0, ((NodeMessage.RunTasks) n1.receiveMessage()).tasks().get(0).instance().index());
    assertEquals(1, ((NodeMessage.RunTasks) n2.receiveMessage()).tasks().get(0).instance().index());
    assertFalse(leases.accepts("n1")); // no single task follows an instance there
    assertEquals(List.of(t), orders.runningOn(s, "n2"));

    orders.stop(s, List.of(t));
    assertEquals(new NodeMessage.TerminateTask("J", "mpi", 1), n1.receiveMessage());
    assertEquals(new NodeMessage.TerminateTask("J", "mpi", 1), n2.receiveMessage());
    assertFalse(gangs.isRunning("mpi"));
    assertEquals(List.of(), orders.runningOn(s, "n2"));
  }

  @Test
  void staleAttemptsAreStoppedOnTheNodeThatRunsThem() {
    orders.stopStale(job(), n2.getRef(), List.of(new RunningTask("J", "old", 2, 1)));
    assertEquals(new NodeMessage.TerminateTask("J", "old", 2), n2.receiveMessage());
    assertFalse(n1.hasMessages());
  }
}
