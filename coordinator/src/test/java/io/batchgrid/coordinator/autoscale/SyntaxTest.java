package io.batchgrid.coordinator.autoscale;

import static io.batchgrid.coordinator.autoscale.Eval.assertSyntaxError;
import static io.batchgrid.coordinator.autoscale.Eval.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Statements, separators, comments, names: what parses and what it parses into. */
class SyntaxTest {

    @Test
    void parsesIntoResolvedStatements() throws FormulaException {
        List<Statement> statements = AutoscaleFormula.parse(
                "n = $PendingTasks.GetSample(1); $TargetDedicatedNodes = max(n) * 2")
                .statements();
        assertEquals(2, statements.size());
        Statement.Assignment first = (Statement.Assignment) statements.get(0);
        assertEquals(new Expr.UserVariable("n", new Position(1, 1)), first.target());
        Expr.MethodCall call = assertInstanceOf(Expr.MethodCall.class, first.value());
        assertEquals(SampleMethod.GET_SAMPLE, call.method());
        assertEquals(new Expr.ServiceVariableRef(ServiceVariable.PENDING_TASKS, new Position(1, 5)), call.receiver());
        assertEquals(new Position(1, 19), call.position());

        Statement.Assignment second = (Statement.Assignment) statements.get(1);
        assertEquals(ServiceVariable.TARGET_DEDICATED_NODES, ((Expr.ServiceVariableRef) second.target()).variable());
        Expr.Binary times = assertInstanceOf(Expr.Binary.class, second.value());
        assertEquals(Expr.BinaryOperator.MULTIPLY, times.operator());
        assertEquals(new Position(1, 64), times.position());
        assertEquals(BuiltinFunction.MAX, ((Expr.Call) times.left()).function());
    }

    @Test
    void semicolonsLineBreaksAndEmptyStatements() {
        assertEquals("$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$a=1;$b=2",
                run(";;$a = 1;; $b = 2;").results());
        // A line break ends a statement when the next line starts an assignment ...
        assertEquals(2.0, ((Value.Num) run("$a = 1\n$b = $a + 1").variable("$b").orElseThrow()).value());
        // ... and continues it otherwise.
        assertEquals(3.0, ((Value.Num) run("$a = 1\n  + 2").variable("$a").orElseThrow()).value());
        assertEquals(3.0, ((Value.Num) run("$a = 1 +\r\n  2").variable("$a").orElseThrow()).value());
    }

    @Test
    void commentsAreSkipped() {
        AutoscaleRun run = run("// first\n$a = 1; /* block\n spanning lines */ $b = 2 // trailing\n");
        assertEquals("$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$a=1;$b=2",
                run.results());
    }

    @Test
    void dollarSignIsOptionalForUserVariables() {
        AutoscaleRun run = run("a = 2; $a = a + 1; b = $a * 2");
        assertEquals("$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$a=3;$b=6",
                run.results());
    }

    @Test
    void predefinedNamesIgnoreCase() {
        AutoscaleRun run = run("$targetdedicatednodes = MAX(1, 2) * (timeinterval_minute > TimeInterval_Second);"
                + " $NODEDEALLOCATIONOPTION = TaskCompletion");
        assertEquals("$TargetDedicatedNodes=2;$TargetLowPriorityNodes=0;$NodeDeallocationOption=taskcompletion",
                run.results());
    }

    @Test
    void userVariablesAreCaseSensitive() {
        AutoscaleRun run = run("x = 1; X = 2");
        assertEquals("$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$X=2;$x=1",
                run.results());
    }

    @Test
    void aUserVariableMayShareAFunctionsName() {
        assertEquals(3.0, ((Value.Num) run("round = 3; $y = round(round + 0.4)").variable("$round").orElseThrow())
                .value());
    }

    @Test
    void aCallMayStandAlone() {
        assertEquals(true, run("$TargetDedicatedNodes = 2; stop()").stopped());
    }

    @Test
    void emptyFormulaKeepsThePool() {
        assertEquals("$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue",
                run("  // nothing\n").results());
    }

    @Test
    void twoStatementsOnOneLineNeedASemicolon() {
        assertSyntaxError("$a = 1 $b = 2", 1, 8, "Unexpected '$b'; statements are separated by ';'");
    }

    @Test
    void aStatementIsAnAssignmentOrACall() {
        assertSyntaxError("$a = 1;\n$a == 2;", 2, 1, "A statement must be an assignment such as '$TargetDedicatedNodes = 1'");
        assertSyntaxError("5 = $a", 1, 3, "Only a variable can be assigned to");
    }
}
