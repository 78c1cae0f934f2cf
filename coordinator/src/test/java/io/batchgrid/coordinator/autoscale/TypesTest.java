package io.batchgrid.coordinator.autoscale;

import static io.batchgrid.coordinator.autoscale.Eval.assertSyntaxError;
import static io.batchgrid.coordinator.autoscale.Eval.evaluationError;
import static io.batchgrid.coordinator.autoscale.Eval.number;
import static io.batchgrid.coordinator.autoscale.Eval.printed;
import static io.batchgrid.coordinator.autoscale.Eval.source;
import static io.batchgrid.coordinator.autoscale.Eval.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The types, Azure's operation table, and how each type prints in a results string. */
class TypesTest {

    private static final SampleSource VECTORS = source()
            .regular(ServiceVariable.PENDING_TASKS, 3, 1, 2, 3)
            .regular(ServiceVariable.ACTIVE_TASKS, 3, 10, 20, 30)
            .regular(ServiceVariable.RUNNING_TASKS, 2, 5)
            .build();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiterString = " => ", value = {
            // double op double
            "7 + 2 => 9", "7 - 2 => 5", "7 * 2 => 14", "7 / 2 => 3.5",
            // double op timeinterval, timeinterval op double, timeinterval op timeinterval
            "2 * TimeInterval_Hour => 02:00:00",
            "TimeInterval_Hour * 1.5 => 01:30:00",
            "TimeInterval_Hour / 4 => 00:15:00",
            "TimeInterval_Minute + TimeInterval_Second => 00:01:01",
            "TimeInterval_Minute - TimeInterval_Hour => -00:59:00",
            "-TimeInterval_Second => -00:00:01",
            // timestamp arithmetic
            "time(\"2024-03-06T10:00:00Z\") + TimeInterval_Day => 2024-03-07T10:00:00.000Z",
            "TimeInterval_Hour + time(\"2024-03-06T10:00:00Z\") => 2024-03-06T11:00:00.000Z",
            "time(\"2024-03-06T10:00:00Z\") - TimeInterval_Week => 2024-02-28T10:00:00.000Z",
            "time(\"2024-03-06\") - time(\"2024-03-04T12:00:00Z\") => 1.12:00:00",
            "time(\"2024-03-04\") - time(\"2024-03-06\") => -2.00:00:00",
            // comparisons give doubles, for every comparable type
            "\"abc\" < \"abd\" => 1", "\"b\" == \"b\" => 1", "\"B\" == \"b\" => 0",
            "time(\"2024-03-06\") < time(\"2024-03-07\") => 1",
            "TimeInterval_Minute * 60 == TimeInterval_Hour => 1",
            "TimeInterval_Second >= TimeInterval_Minute => 0",
            "2 <= 2 => 1", "2 != 2 => 0", "0 / 0 == 0 / 0 => 0",
            // logical operators give 1 or 0
            "5 && 3 => 1", "5 && 0 => 0", "0 || -2 => 1", "!5 => 0", "!0 => 1",
    })
    void operationTable(String expression, String expectedPrinted) {
        assertEquals(expectedPrinted, printed(expression));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiterString = " => ", value = {
            "$PendingTasks.GetSample(3) * 2 => [2,4,6]",
            "$PendingTasks.GetSample(3) + 0.5 => [1.5,2.5,3.5]",
            "10 - $PendingTasks.GetSample(3) => [9,8,7]",
            "$ActiveTasks.GetSample(3) / $PendingTasks.GetSample(3) => [10,10,10]",
            "$ActiveTasks.GetSample(3) - $PendingTasks.GetSample(3) => [9,18,27]",
            "-$PendingTasks.GetSample(3) => [-1,-2,-3]",
            "$PendingTasks.GetSample(1) => [3]",
    })
    void vectorArithmeticIsComponentWise(String expression, String expectedPrinted) {
        assertEquals(expectedPrinted, printed(expression, VECTORS));
    }

    @Test
    void vectorsOfDifferentLengthsDoNotAdd() {
        FormulaError error = evaluationError("$v = $PendingTasks.GetSample(3) +\n $RunningTasks.GetSample(2)", VECTORS);
        assertEquals(FormulaError.EVALUATION_ERROR_CODE, error.code());
        assertEquals("Line 1, Col 33: Operator '+' needs doubleVecs of the same length, not 3 and 2", error.value());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", value = {
            "0.1 + 0.2 => 0.3",
            "1 / 3 => 0.333333333333333",
            "2 / 3 => 0.666666666666667",
            "100000 * 100000 * 100000 * 100000 => 1E+20",
            "0.00000015 => 1.5E-07",
            "0.0001 => 0.0001",
            "123456789012345678 => 1.23456789012346E+17",
            "999999999999999 => 999999999999999",
            "-2.5 => -2.5",
            "1 / 0 => Infinity",
            "-1 / 0 => -Infinity",
            "0 / 0 => NaN",
            "-0 => 0",
    })
    void numbersPrintLikeDotNet(String expression, String expectedPrinted) {
        assertEquals(expectedPrinted, printed(expression));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", value = {
            "TimeInterval_Zero => 00:00:00",
            "TimeInterval_100ns => 00:00:00.0000001",
            "TimeInterval_Microsecond => 00:00:00.0000010",
            "TimeInterval_Millisecond => 00:00:00.0010000",
            "TimeInterval_Second => 00:00:01",
            "TimeInterval_Minute => 00:01:00",
            "TimeInterval_Hour => 01:00:00",
            "TimeInterval_Day => 1.00:00:00",
            "TimeInterval_Week => 7.00:00:00",
            "TimeInterval_Year => 365.00:00:00",
    })
    void timeIntervalConstantsPrintLikeTimeSpans(String constant, String expectedPrinted) {
        assertEquals(expectedPrinted, printed(constant));
    }

    @Test
    void stringsAndTimestampsPrintAsIs() {
        assertEquals("requeue", printed("requeue"));
        assertEquals("hello world", printed("\"hello world\""));
        assertEquals("2016-10-13T19:18:47.805Z", printed("time(\"2016-10-13T19:18:47.805Z\")"));
        assertInstanceOf(Value.Timestamp.class, value("time()"));
    }

    @Test
    void timestampMembersAreUtcFields() {
        String t = "time(\"2016-10-13T19:18:47.805-02:00\")";
        assertEquals(2016, number(t + ".year"));
        assertEquals(10, number(t + ".month"));
        assertEquals(13, number(t + ".day"));
        assertEquals(4, number(t + ".weekday")); // Thursday
        assertEquals(21, number(t + ".hour"));
        assertEquals(18, number(t + ".minute"));
        assertEquals(47, number(t + ".second"));
        assertEquals(0, number("time(\"2024-03-10T00:00:00Z\").weekday")); // Sunday
        assertEquals(6, number("time(\"2024-03-09T00:00:00Z\").WeekDay")); // Saturday
    }

    @Test
    void variablesMayChangeType() {
        assertEquals("00:00:02", printed("1; $x = $x * 2 * TimeInterval_Second"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", value = {
            "$x = time() + 1 => 13 => Operator '+' cannot be applied to a timestamp and a double",
            "$x = time() + time() => 13 => Operator '+' cannot be applied to a timestamp and a timestamp",
            "$x = TimeInterval_Hour / TimeInterval_Minute => 24 => Operator '/' cannot be applied to a timeinterval and a timeinterval",
            "$x = 1 - TimeInterval_Hour => 8 => Operator '-' cannot be applied to a double and a timeinterval",
            "$x = \"a\" + \"b\" => 10 => Operator '+' cannot be applied to a string and a string",
            "$x = \"a\" < 1 => 10 => Operator '<' cannot be applied to a string and a double",
            "$x = TimeInterval_Hour < 1 => 24 => Operator '<' cannot be applied to a timeinterval and a double",
            "$x = time() && 1 => 13 => Operator '&&' cannot be applied to a timestamp and a double",
            "$x = !TimeInterval_Hour => 6 => Operator '!' cannot be applied to a timeinterval",
            "$x = -\"a\" => 6 => Operator '-' cannot be applied to a string",
            "$x = 1 ? 2 : time() => 8 => The branches of '?:' have different types: double and timestamp",
            "$x = time() ? 1 : 2 => 6 => The condition of '?:' must be a double, not a timestamp",
            "$x = (1).hour => 10 => Member 'hour' needs a timestamp, not a double",
    })
    void illTypedOperationsAreSyntaxErrors(String formula, int column, String detail) {
        assertSyntaxError(formula.strip(), 1, column, detail);
    }

    @Test
    void vectorComparisonIsNotInTheTable() {
        assertSyntaxError("$x = $PendingTasks.GetSample(1) > 0", 1, 33,
                "Operator '>' cannot be applied to a doubleVec and a double");
    }
}
