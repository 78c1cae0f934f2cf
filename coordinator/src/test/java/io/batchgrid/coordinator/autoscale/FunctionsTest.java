package io.batchgrid.coordinator.autoscale;

import static io.batchgrid.coordinator.autoscale.Eval.assertSyntaxError;
import static io.batchgrid.coordinator.autoscale.Eval.evaluationError;
import static io.batchgrid.coordinator.autoscale.Eval.number;
import static io.batchgrid.coordinator.autoscale.Eval.printed;
import static io.batchgrid.coordinator.autoscale.Eval.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every built-in function, with doubles, doubleVecs and doubleVecLists. */
class FunctionsTest {

    /** v = [1,2,3] as a doubleVec, through the extension vec(). */
    private static final String V = "vec(1, 2, 3)";

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiterString = " => ", value = {
            "avg(1, 2, 3, 4) => 2.5",
            // the documentation's own example: avg(v, 7) is avg(1, 2, 3, 7)
            "avg(" + V + ", 7) => 3.25",
            "avg(" + V + ") => 2",
            "len(" + V + ", 7, " + V + ") => 7",
            "len(5) => 1",
            "lg(8) => 3",
            "ln(1) => 0",
            "log(1000) => 3",
            "max(" + V + ", -4) => 3",
            "min(" + V + ", -4) => -4",
            "max(7) => 7",
            "norm(3, 4) => 5",
            "norm(vec(3), 4) => 5",
            "range(" + V + ", 10) => 9",
            "sum(" + V + ", 10) => 16",
            "std(2, 4, 4, 4, 5, 5, 7, 9) => 2.1380899352993950",
            "std(5) => 0",
            "percentile(vec(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50) => 5",
            "percentile(vec(10, 1, 9, 2, 8, 3, 7, 4, 6, 5), 90) => 9",
            "percentile(vec(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0) => 1",
            "percentile(vec(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 100) => 10",
            "percentile(vec(1, 2, 3), 34) => 2",
            "percentile(4, 50) => 4",
            "val(" + V + ", 0) => 1",
            "val(" + V + ", 2) => 3",
            "val(" + V + ", 1.9) => 2",
            "ceil(1.2) => 2",
            "ceil(-1.2) => -1",
            "floor(1.8) => 1",
            "floor(-1.2) => -2",
            "round(2.5) => 3",
            "round(-2.5) => -3",
            "round(2.4999) => 2",
            "round(0.49999999999999994) => 0",
            "round(-0.4) => 0",
    })
    void numericFunctions(String expression, double expected) {
        assertEquals(expected, number(expression), 1e-12);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiterString = " => ", value = {
            // "A vec(double) must be explicitly passed; otherwise the double version is assumed"
            "lg(vec(2, 4)) => [1,2]",
            "lg(2, 4) => [1,2]",
            "lg(vec(8)) => [3]",
            "ln(vec(1)) => [0]",
            "log(vec(10, 100)) => [1,2]",
            "ceil(vec(1.2, -1.2)) => [2,-1]",
            "floor(vec(1.8), 2.5) => [1,2]",
            "round(vec(0.5, 1.5, -0.5)) => [1,2,-1]",
            "vec(" + V + ", 4) => [1,2,3,4]",
    })
    void componentWiseFunctionsReturnVectors(String expression, String expectedPrinted) {
        assertEquals(expectedPrinted, printed(expression));
    }

    @Test
    void randIsUniformAndSeedable() throws FormulaException {
        AutoscaleFormula f = AutoscaleFormula.parse("$a = rand(); $b = rand()");
        AutoscaleRun run = f.evaluate(source().build(), new SplittableRandom(42));
        SplittableRandom expected = new SplittableRandom(42);
        assertEquals(new Value.Num(expected.nextDouble()), run.variable("$a").orElseThrow());
        assertEquals(new Value.Num(expected.nextDouble()), run.variable("$b").orElseThrow());
        assertEquals(run.results(), f.evaluate(source().build(), new SplittableRandom(42)).results());
        assertNotEquals(run.results(), f.evaluate(source().build(), new SplittableRandom(43)).results());
        for (int i = 0; i < 100; i++) {
            double r = number("rand()");
            assertTrue(r >= 0 && r < 1, "rand() out of [0, 1): " + r);
        }
    }

    @Test
    void percentileSelectionAgreesWithSorting() {
        SplittableRandom random = new SplittableRandom(11);
        for (int round = 0; round < 200; round++) {
            double[] values = new double[1 + random.nextInt(60)];
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextInt(10); // many duplicates
            }
            double[] sorted = values.clone();
            java.util.Arrays.sort(sorted);
            int k = random.nextInt(values.length);
            assertEquals(sorted[k], Functions.select(values.clone(), k), () -> java.util.Arrays.toString(values));
        }
    }

    @Test
    void stopEndsTheEvaluation() {
        AutoscaleRun run = Eval.run("$TargetDedicatedNodes = 2; $a = 1;\n$b = $a > 0 ? stop() : 5;\n$TargetDedicatedNodes = 9");
        assertTrue(run.stopped());
        assertTrue(run.succeeded());
        assertEquals("$TargetDedicatedNodes=2;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$a=1",
                run.results());
        assertTrue(run.targets().isEmpty(), "a stopped run asks for no resize");
    }

    @Test
    void stopFitsAnyType() {
        AutoscaleRun run = Eval.run("$t = 0 ? stop() : time(); $d = 1 ? 4 : stop(); $x = 1 + (0 ? stop() : 2)");
        assertEquals("$TargetDedicatedNodes=0;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;$d=4;"
                + "$t=2024-03-06T10:00:00.000Z;$x=3", run.results());
    }

    @ParameterizedTest(name = "time(\"{0}\")")
    @CsvSource(delimiterString = " => ", value = {
            "2016-10-13T19:18:47.805Z => 2016-10-13T19:18:47.805Z",
            "2016-10-13T19:18:47.8051234Z => 2016-10-13T19:18:47.805Z",
            "2016-10-13T19:18:47+02:00 => 2016-10-13T17:18:47.000Z",
            "2016-10-13T19:18Z => 2016-10-13T19:18:00.000Z",
            "2016-10-13 => 2016-10-13T00:00:00.000Z",
            "2016-10 => 2016-10-01T00:00:00.000Z",
            "2016 => 2016-01-01T00:00:00.000Z",
            "Thu, 13 Oct 2016 19:18:47 GMT => 2016-10-13T19:18:47.000Z",
    })
    void timeParsesW3cDtfAndRfc1123(String text, String expected) {
        assertEquals(expected, printed("time(\"" + text + "\")"));
    }

    @Test
    void timeWithoutArgumentsOrWithAnEmptyStringIsNow() {
        assertEquals("2024-03-06T10:00:00.000Z", printed("time()"));
        assertEquals("2024-03-06T10:00:00.000Z", printed("time(\"\")"));
    }

    @Test
    void timeRejectsWhatAzureRejects() {
        // Java's Instant.toString() prints nine fraction digits; .NET's DateTime holds seven.
        FormulaError error = evaluationError("$t = time(\"2023-04-14T10:00:00.123456789Z\")");
        assertEquals(FormulaError.EVALUATION_ERROR_CODE, error.code());
        assertEquals("Line 1, Col 11: '2023-04-14T10:00:00.123456789Z' is not a W3C-DTF or RFC 1123 time",
                error.value());
        assertEquals("Line 2, Col 12: 'yesterday' is not a W3C-DTF or RFC 1123 time",
                evaluationError("$a = 1;\n$t = (time(\"yesterday\") < time()) ? 1 : 0").value());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", value = {
            "avg($PendingTasks.GetSample(TimeInterval_Minute)) => Line 1, Col 6: avg() needs at least one value, but its arguments hold none",
            "min($PendingTasks.GetSample(TimeInterval_Minute)) => Line 1, Col 6: min() needs at least one value, but its arguments hold none",
            "std($PendingTasks.GetSample(TimeInterval_Minute)) => Line 1, Col 6: std() needs at least one value, but its arguments hold none",
            "val(vec(1, 2, 3), 3) => Line 1, Col 24: val() index 3 is out of range for a doubleVec of 3 values",
            "val(vec(1, 2, 3), -1) => Line 1, Col 24: val() index -1 is out of range for a doubleVec of 3 values",
            "percentile(vec(1, 2), 101) => Line 1, Col 28: percentile() needs a percentage from 0 to 100, not 101",
            "percentile($PendingTasks.GetSample(TimeInterval_Minute), 50) => Line 1, Col 6: percentile() of an empty doubleVec",
    })
    void badArgumentsFailTheEvaluation(String expression, String expected) {
        FormulaError error = evaluationError("$x = " + expression);
        assertEquals(FormulaError.EVALUATION_ERROR_CODE, error.code());
        assertEquals(expected, error.value());
    }

    @Test
    void emptyListsHaveASumLengthAndNorm() {
        String empty = "$PendingTasks.GetSample(TimeInterval_Minute)";
        assertEquals(0, number("sum(" + empty + ")"));
        assertEquals(0, number("len(" + empty + ")"));
        assertEquals(0, number("norm(" + empty + ")"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", value = {
            "$x = rand(1) => 6 => rand() takes 0 arguments, not 1",
            "$x = stop(1) => 6 => stop() takes 0 arguments, not 1",
            "$x = percentile(vec(1)) => 6 => percentile() takes 2 arguments, not 1",
            "$x = val(vec(1), 0, 1) => 6 => val() takes 2 arguments, not 3",
            "$x = avg() => 6 => avg() needs at least 1 argument",
            "$x = time(\"a\", \"b\") => 6 => time() takes at most 1 argument, not 2",
            "$x = time(5) => 11 => An argument of time() must be a string, not a double",
            "$x = avg(1, time()) => 13 => An argument of avg() must be a double or doubleVec, not a timestamp",
            "$x = val(1, TimeInterval_Zero) => 13 => An argument of val() must be a double, not a timeinterval",
            "$x = avrg(1, 2) => 6 => Unknown function 'avrg'",
    })
    void badCallsAreSyntaxErrors(String formula, int column, String detail) {
        assertSyntaxError(formula, 1, column, detail);
    }
}
