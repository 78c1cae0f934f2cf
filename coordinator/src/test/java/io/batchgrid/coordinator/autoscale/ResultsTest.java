package io.batchgrid.coordinator.autoscale;

import static io.batchgrid.coordinator.autoscale.Eval.evaluationError;
import static io.batchgrid.coordinator.autoscale.Eval.run;
import static io.batchgrid.coordinator.autoscale.Eval.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The results string, the targets a run asks for, and the rules of the writable variables. */
class ResultsTest {

    private static final SampleSource POOL = source()
            .scalar(ServiceVariable.TARGET_DEDICATED_NODES, 4)
            .scalar(ServiceVariable.TARGET_LOW_PRIORITY_NODES, 2)
            .regular(ServiceVariable.PENDING_TASKS, 3, 7)
            .build();

    @Test
    void targetsComeFirstThenUserVariablesInOrdinalOrder() {
        AutoscaleRun run = run("zeta = 1; $alpha = 2; Beta = 3; $TargetLowPriorityNodes = 5; alpha2 = 4", POOL);
        assertEquals("$TargetDedicatedNodes=4;$TargetLowPriorityNodes=5;$NodeDeallocationOption=requeue;"
                + "$Beta=3;$alpha=2;$alpha2=4;$zeta=1", run.results());
        assertEquals(Optional.of(new AutoscaleRun.Targets(4, 5, NodeDeallocationOption.REQUEUE)), run.targets());
        assertEquals(run.timestamp(), Eval.NOW);
    }

    @Test
    void targetsReadThePoolsValuesUntilAssigned() {
        AutoscaleRun run = run("$before = $TargetDedicatedNodes; $TargetDedicatedNodes = $before * 2;"
                + " $after = $TargetDedicatedNodes", POOL);
        assertEquals("$TargetDedicatedNodes=8;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue;"
                + "$after=8;$before=4", run.results());
    }

    @Test
    void fractionalTargetsAreTruncated() {
        AutoscaleRun run = run("$TargetDedicatedNodes = 2.9; $TargetLowPriorityNodes = 0.5", POOL);
        assertEquals("$TargetDedicatedNodes=2.9;$TargetLowPriorityNodes=0.5;$NodeDeallocationOption=requeue",
                run.results());
        assertEquals(Optional.of(new AutoscaleRun.Targets(2, 0, NodeDeallocationOption.REQUEUE)), run.targets());
    }

    @Test
    void theFullNameWinsOverTheOldName() {
        assertEquals(5, targets(run("$TargetDedicated = 3; $TargetDedicatedNodes = 5", POOL)).dedicatedNodes());
        assertEquals(5, targets(run("$TargetDedicatedNodes = 5; $TargetDedicated = 3", POOL)).dedicatedNodes());
        assertEquals(3, targets(run("$TargetDedicated = 3", POOL)).dedicatedNodes());
        assertEquals(6, targets(run("$TargetLowPriority = 6", POOL)).lowPriorityNodes());
        assertEquals(4, ((Value.Num) run("$x = $TargetDedicated", POOL).variable("$x").orElseThrow()).value());
    }

    @Test
    void deallocationOptionIsValidatedAndNormalized() {
        assertEquals(NodeDeallocationOption.TASKCOMPLETION,
                targets(run("$NodeDeallocationOption = taskcompletion", POOL)).deallocationOption());
        assertEquals(NodeDeallocationOption.RETAINEDDATA,
                targets(run("$NodeDeallocationOption = \"RetainedData\"", POOL)).deallocationOption());
        assertEquals(NodeDeallocationOption.TERMINATE,
                targets(run("o = terminate; $NodeDeallocationOption = o", POOL)).deallocationOption());
        assertEquals("requeue", ((Value.Str) run("$x = $NodeDeallocationOption", POOL).variable("$x").orElseThrow())
                .value());
        FormulaError error = evaluationError("$NodeDeallocationOption = \"sometimes\"", POOL);
        assertEquals(FormulaError.EVALUATION_ERROR_CODE, error.code());
        assertEquals("Line 1, Col 27: 'sometimes' is not a node deallocation option;"
                + " use requeue, terminate, taskcompletion or retaineddata", error.value());
    }

    @Test
    void aOneValueVectorIsATarget() {
        assertEquals(7, targets(run("$TargetDedicatedNodes = $PendingTasks.GetSample(1)", POOL)).dedicatedNodes());
        assertEquals("Line 1, Col 39: Cannot assign a doubleVec of 3 values to $TargetDedicatedNodes;"
                        + " it takes a single double",
                evaluationError("$TargetDedicatedNodes = $PendingTasks.GetSample(3)", POOL).value());
    }

    @Test
    void targetsMustBeNodeCounts() {
        assertEquals("Line 2, Col 1: $TargetDedicatedNodes must be a number of nodes from 0 to 2147483647, not -1",
                evaluationError("$a = 1;\n$TargetDedicatedNodes = $a - 2", POOL).value());
        assertEquals("Line 1, Col 1: $TargetLowPriorityNodes must be a number of nodes from 0 to 2147483647, not NaN",
                evaluationError("$TargetLowPriorityNodes = 0 / 0", POOL).value());
        assertEquals("Line 1, Col 1: $TargetDedicatedNodes must be a number of nodes from 0 to 2147483647,"
                + " not Infinity", evaluationError("$TargetDedicatedNodes = 1 / 0", POOL).value());
        assertEquals("Line 1, Col 1: $TargetDedicatedNodes must be a number of nodes from 0 to 2147483647,"
                + " not -1", evaluationError("$TargetDedicated = -1", POOL).value());
        assertEquals("Line 1, Col 1: $TargetDedicatedNodes must be a number of nodes from 0 to 2147483647,"
                + " not -3", evaluationError("", source().scalar(ServiceVariable.TARGET_DEDICATED_NODES, -3).build())
                .value());
    }

    @Test
    void aFailedRunKeepsTheValuesItHadAndAsksForNothing() {
        AutoscaleRun run = run("$TargetDedicatedNodes = 9; $a = 1;\n$b = $ActiveTasks.GetSample(1); $c = 2", POOL);
        assertEquals("InsufficientSampleData", run.error().orElseThrow().code());
        assertEquals("Line 2, Col 19: Insufficient data from data set: $ActiveTasks wanted 1 samples, received 0",
                run.error().orElseThrow().value());
        assertEquals("$TargetDedicatedNodes=9;$TargetLowPriorityNodes=2;$NodeDeallocationOption=requeue;$a=1",
                run.results());
        assertTrue(run.targets().isEmpty());
        assertTrue(!run.succeeded() && !run.stopped());
    }

    @Test
    void scalarsComeFromTheSource() {
        SampleSource pool = source()
                .scalar(ServiceVariable.CURRENT_DEDICATED_NODES, 3)
                .scalar(ServiceVariable.CURRENT_LOW_PRIORITY_NODES, 5)
                .scalar(ServiceVariable.TASK_SLOTS_PER_NODE, 4)
                .scalar(ServiceVariable.USABLE_NODE_COUNT, 7)
                .build();
        AutoscaleRun run = run("$TargetDedicatedNodes = ($CurrentDedicatedNodes + $CurrentLowPriority) * $TaskSlotsPerNode"
                + " + $UsableNodeCount", pool);
        assertEquals(39, targets(run).dedicatedNodes());
    }

    private static AutoscaleRun.Targets targets(AutoscaleRun run) {
        return run.targets().orElseThrow(() -> new AssertionError("no targets: " + run));
    }
}
