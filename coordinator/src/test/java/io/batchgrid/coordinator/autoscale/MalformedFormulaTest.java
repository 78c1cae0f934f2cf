package io.batchgrid.coordinator.autoscale;

import static io.batchgrid.coordinator.autoscale.Eval.assertSyntaxError;
import static io.batchgrid.coordinator.autoscale.Eval.source;
import static io.batchgrid.coordinator.autoscale.Eval.syntaxError;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Formulas Azure would reject with AutoScalingFormulaSyntaxError, and where the error points. */
class MalformedFormulaTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", quoteCharacter = '"', value = {
            // unterminated
            "$x = 1; /* never closed => 1 => 9 => Unterminated comment",
            "$x = (1 + 2; => 1 => 12 => Expected ')' to close the '(' at Line 1, Col 6 but found ';'",
            "$x = max(1, 2 => 1 => 14 => Expected ')' to close the arguments of max opened at Line 1, Col 9 but found the end of the formula",
            "$x = 1 + => 1 => 9 => Expected an expression but found the end of the formula",
            "$x = => 1 => 5 => Expected an expression but found the end of the formula",
            "$x = 1 ? 2 => 1 => 11 => Expected ':' in the conditional expression started at Line 1, Col 8 but found the end of the formula",
            // characters and tokens
            "$x = 1 # 2 => 1 => 8 => Unexpected character '#'",
            "$x = 1 & 2 => 1 => 8 => Unexpected character '&' (the operator is '&&')",
            "$x = 1 | 2 => 1 => 8 => Unexpected character '|' (the operator is '||')",
            "$ = 1 => 1 => 1 => Expected a variable name after '$'",
            "$x = 2x => 1 => 7 => Unexpected 'x' after the number 2",
            "$x = 1.2.3 => 1 => 9 => Unexpected '.3'; statements are separated by ';'",
            "$x = $PendingTasks. => 1 => 20 => Expected a name after '.' but found the end of the formula",
            "$x = $y(1) => 1 => 6 => '$y' is a variable, not a function",
            // names
            "$x = foo(1) => 1 => 6 => Unknown function 'foo'",
            "$x = time().hours => 1 => 13 => Unknown member 'hours'",
            "$x = y + 1 => 1 => 6 => The variable $y is used before it is assigned",
            "$x = $x + 1 => 1 => 6 => The variable $x is used before it is assigned",
            "taskcompletion = 1 => 1 => 1 => Cannot assign to the constant taskcompletion",
            "TimeInterval_Minute = 2 => 1 => 1 => Cannot assign to the constant TimeInterval_Minute",
            // read-only variables
            "$CPUPercent = 5 => 1 => 1 => Cannot assign to the read-only variable $CPUPercent",
            "$PendingTasks = 5 => 1 => 1 => Cannot assign to the read-only variable $PendingTasks",
            "$CurrentDedicatedNodes = 5 => 1 => 1 => Cannot assign to the read-only variable $CurrentDedicatedNodes",
            "$currentdedicated = 5 => 1 => 1 => Cannot assign to the read-only variable $CurrentDedicatedNodes",
            "$TaskSlotsPerNode = 5 => 1 => 1 => Cannot assign to the read-only variable $TaskSlotsPerNode",
            "$UsableNodeCount = 5 => 1 => 1 => Cannot assign to the read-only variable $UsableNodeCount",
            // types of the writable variables
            "$TargetLowPriorityNodes = time() => 1 => 27 => Cannot assign a timestamp to $TargetLowPriorityNodes; it takes a double",
            "$NodeDeallocationOption = 1 => 1 => 27 => Cannot assign a double to $NodeDeallocationOption; it takes requeue, terminate, taskcompletion or retaineddata",
    })
    void isRejectedWithAPosition(String formula, int line, int column, String detail) {
        assertSyntaxError(formula, line, column, detail);
    }

    @Test
    void positionsCountLinesAndColumns() {
        String formula = "// scale on pending tasks\n"
                + "$samples = $PendingTasks.GetSamplePercent(TimeInterval_Minute * 15);\r\n"
                + "\t$tasks = $samples < 70 ? 1 : avg($PendingTasks.GetSample(TimeInterval_Minute * 15));\n"
                + "$TargetDedicatedNodes = $tasks + time();\n";
        assertSyntaxError(formula, 4, 32, "Operator '+' cannot be applied to a double and a timestamp");
    }

    @Test
    void stringsAreCheckedToo() {
        assertSyntaxError("$x = time(\"2024-03-06", 1, 11, "Unterminated string literal");
        assertSyntaxError("$TargetDedicatedNodes = \"four\"", 1, 25,
                "Cannot assign a string to $TargetDedicatedNodes; it takes a double");
    }

    @Test
    void anUnterminatedStringSpanningLinesPointsAtItsStart() {
        assertSyntaxError("$a = 1;\n$b = \"abc\n\n$c = 2;", 2, 6, "Unterminated string literal");
    }

    @Test
    void errorsCarryAzuresCodeMessageAndValue() {
        FormulaError error = syntaxError("$TargetDedicatedNodes = avrg(1)");
        assertEquals("AutoScalingFormulaSyntaxError", error.code());
        assertEquals("The specified auto-scaling formula has a syntax error.", error.message());
        assertEquals("Message", FormulaError.VALUE_NAME);
        assertEquals("Line 1, Col 25: Unknown function 'avrg'", error.value());
    }

    @Test
    void formulasLongerThan8KiBAreRejected() {
        String ok = "$a = 1;" + " ".repeat(AutoscaleFormula.MAX_LENGTH - 7);
        assertEquals(AutoscaleFormula.MAX_LENGTH, ok.length());
        Eval.run(ok);
        FormulaError error = syntaxError(ok + " ");
        assertEquals("AutoScalingFormulaTooLong", error.code());
        assertEquals("The formula is 8193 characters long; the maximum is 8192", error.detail());
    }

    @Test
    void evaluatingAMalformedFormulaGivesARunWithTheErrorAndThePoolsValues() {
        AutoscaleRun run = AutoscaleFormula.evaluate("$TargetDedicatedNodes = 3 +",
                source().scalar(ServiceVariable.TARGET_DEDICATED_NODES, 2).build());
        assertEquals("AutoScalingFormulaSyntaxError Line 1, Col 28: Expected an expression but found the end of the formula",
                run.error().map(e -> e.code() + " " + e.value()).orElse("none"));
        assertEquals("$TargetDedicatedNodes=2;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue", run.results());
        assertEquals(true, run.targets().isEmpty());
    }
}
