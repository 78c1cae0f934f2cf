package io.batchgrid.coordinator.autoscale;

import static io.batchgrid.coordinator.autoscale.Eval.NOW;
import static io.batchgrid.coordinator.autoscale.Eval.assertSyntaxError;
import static io.batchgrid.coordinator.autoscale.Eval.evaluationError;
import static io.batchgrid.coordinator.autoscale.Eval.number;
import static io.batchgrid.coordinator.autoscale.Eval.printed;
import static io.batchgrid.coordinator.autoscale.Eval.source;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** GetSample, GetSamplePercent, GetSamplePeriod, Count and HistoryBeginTime, with enough and too few samples. */
class SampleMethodsTest {

    /** $PendingTasks: 1, 2, … 10 at 30-second intervals, the newest (10) now. */
    private static final SampleSource TEN = source().regular(ServiceVariable.PENDING_TASKS, 10,
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10).build();

    @Test
    void getSampleCountTakesTheNewestSamples() {
        assertEquals("[10]", printed("$PendingTasks.GetSample(1)", TEN));
        assertEquals("[8,9,10]", printed("$PendingTasks.GetSample(3)", TEN));
        assertEquals("[1,2,3,4,5,6,7,8,9,10]", printed("$PendingTasks.GetSample(10)", TEN));
    }

    @Test
    void getSampleCountFailsWithTooFewSamples() {
        FormulaError error = evaluationError("$x = $PendingTasks.GetSample(11)", TEN);
        assertEquals(FormulaError.INSUFFICIENT_SAMPLE_DATA_CODE, error.code());
        assertEquals("Autoscale evaluation failed due to insufficient sample data", error.message());
        assertEquals("Line 1, Col 20: Insufficient data from data set: $PendingTasks wanted 11 samples, received 10",
                error.value());
        assertEquals("Line 1, Col 19: Insufficient data from data set: $ActiveTasks wanted 1 samples, received 0",
                evaluationError("$x = $ActiveTasks.GetSample(1)", TEN).value());
    }

    @Test
    void getSampleCountMustBeAWholePositiveNumber() {
        assertEquals("Line 1, Col 30: GetSample(count) needs a whole number of samples of at least 1, not 0",
                evaluationError("$x = $PendingTasks.GetSample(0)", TEN).value());
        assertEquals("Line 1, Col 30: GetSample(count) needs a whole number of samples of at least 1, not 1.5",
                evaluationError("$x = $PendingTasks.GetSample(1.5)", TEN).value());
    }

    @Test
    void getSampleLooksBackFromNow() {
        // (now - 90 s, now]: the samples 60, 30 and 0 seconds old.
        assertEquals("[8,9,10]", printed("$PendingTasks.GetSample(90 * TimeInterval_Second)", TEN));
        assertEquals("[8,9,10]", printed("$PendingTasks.GetSample(time() - 90 * TimeInterval_Second)", TEN));
        // One look-back start and end, in either order: (now - 90 s, now - 30 s].
        assertEquals("[8,9]", printed(
                "$PendingTasks.GetSample(30 * TimeInterval_Second, 90 * TimeInterval_Second)", TEN));
        assertEquals("[8,9]", printed(
                "$PendingTasks.GetSample(90 * TimeInterval_Second, 30 * TimeInterval_Second)", TEN));
        assertEquals("[8,9]", printed("$PendingTasks.GetSample(time() - 90 * TimeInterval_Second,"
                + " time() - 30 * TimeInterval_Second)", TEN));
        assertEquals("[]", printed("$PendingTasks.GetSample(TimeInterval_Hour, 2 * TimeInterval_Hour)", TEN));
    }

    @Test
    void getSampleWithAPercentageChecksTheWindow() {
        // 10 samples over 10 minutes (20 periods): 50 %.
        assertEquals(10, ((Value.Vec) Eval.value("$PendingTasks.GetSample(TimeInterval_Minute * 10, 50)", TEN)).size());
        FormulaError error = evaluationError("$x = $PendingTasks.GetSample(TimeInterval_Minute * 10, 51)", TEN);
        assertEquals(FormulaError.INSUFFICIENT_SAMPLE_DATA_CODE, error.code());
        assertEquals("Line 1, Col 20: Insufficient data from data set: $PendingTasks wanted 51%, received 50%",
                error.value());
        // (now - 6 min, now - 3 min] is 6 periods; the history begins 4.5 minutes ago: 4 samples, 66 %.
        assertEquals("Line 1, Col 20: Insufficient data from data set: $PendingTasks wanted 75%, received 66%",
                evaluationError("$x = $PendingTasks.GetSample(TimeInterval_Minute * 3, TimeInterval_Minute * 6, 75)",
                        TEN).value());
        assertEquals("[3,4,5,6,7,8]", printed(
                "$PendingTasks.GetSample(TimeInterval_Minute, TimeInterval_Minute * 4, 100)", TEN));
    }

    @Test
    void getSamplePercentReportsTheShareOfExpectedSamples() {
        assertEquals(100, number("$PendingTasks.GetSamplePercent(TimeInterval_Minute * 5)", TEN));
        assertEquals(50, number("$PendingTasks.GetSamplePercent(TimeInterval_Minute * 10)", TEN));
        // (now - 10 min, now - 1 min]: 18 periods, holding the 8 samples 60 to 270 seconds old.
        assertEquals(800.0 / 18, number("$PendingTasks.GetSamplePercent(TimeInterval_Minute, TimeInterval_Minute * 10)",
                TEN), 1e-12);
        assertEquals(0, number("$ActiveTasks.GetSamplePercent(TimeInterval_Minute * 10)", TEN));
        // A window shorter than one period holds one sample at most, and that is all of it.
        assertEquals(100, number("$PendingTasks.GetSamplePercent(TimeInterval_Second)", TEN));
    }

    @Test
    void samplesAfterNowAreOutsideEveryWindow() {
        SampleSource future = source().series(ServiceVariable.PENDING_TASKS, ArraySampleSeries.builder()
                .add(NOW.minusSeconds(30), 1).add(NOW, 2).add(NOW.plusSeconds(30), 3).build()).build();
        assertEquals("[1,2]", printed("$PendingTasks.GetSample(TimeInterval_Minute * 5)", future));
    }

    @Test
    void nodeMetricsReturnEveryNodesValues() {
        SampleSource cpu = source().series(ServiceVariable.CPU_PERCENT, ArraySampleSeries.builder()
                .add(NOW.minusSeconds(60), 10, 20, 30)
                .add(NOW.minusSeconds(30), 40, 50)
                .add(NOW, 60, 70, 80, 90)
                .build()).build();
        assertEquals("[40,50,60,70,80,90]", printed("$CPUPercent.GetSample(TimeInterval_Minute)", cpu));
        assertEquals("[60,70,80,90]", printed("$CPUPercent.GetSample(1)", cpu));
        assertEquals(50, number("avg($CPUPercent.GetSample(2 * TimeInterval_Minute))", cpu));
        assertEquals(3, number("$CPUPercent.Count()", cpu));
        assertEquals(100, number("$CPUPercent.GetSamplePercent(TimeInterval_Minute)", cpu));
    }

    @Test
    void countPeriodAndHistoryBeginTime() {
        assertEquals(10, number("$PendingTasks.Count()", TEN));
        assertEquals(0, number("$ActiveTasks.Count()", TEN));
        assertEquals("00:00:30", printed("$PendingTasks.GetSamplePeriod()", TEN));
        assertEquals("00:00:05", printed("$CPUPercent.GetSamplePeriod()",
                source().samplePeriod(Duration.ofSeconds(5)).build()));
        assertEquals("2024-03-06T09:55:30.000Z", printed("$PendingTasks.HistoryBeginTime()", TEN));
        assertEquals(1, number("val($PendingTasks.GetSample($PendingTasks.HistoryBeginTime() - TimeInterval_Second), 0)",
                TEN));
        FormulaError error = evaluationError("$x = $ActiveTasks.HistoryBeginTime()", TEN);
        assertEquals(FormulaError.INSUFFICIENT_SAMPLE_DATA_CODE, error.code());
        assertEquals("Line 1, Col 19: Insufficient data from data set: $ActiveTasks has no samples", error.value());
    }

    @Test
    void methodNamesIgnoreCase() {
        assertEquals("[10]", printed("$pendingtasks.getsample(1)", TEN));
    }

    @Test
    void misusedSampleMethodsAreSyntaxErrors() {
        assertSyntaxError("$x = $PendingTasks + 1", 1, 6,
                "$PendingTasks is a set of samples; read it with a sample method such as"
                        + " $PendingTasks.GetSample(TimeInterval_Minute * 5)");
        assertSyntaxError("$TargetDedicatedNodes = $PendingTasks", 1, 25,
                "$PendingTasks is a set of samples; read it with a sample method such as"
                        + " $PendingTasks.GetSample(TimeInterval_Minute * 5)");
        assertSyntaxError("$x = $CurrentDedicatedNodes.GetSample(1)", 1, 29,
                "GetSample() is a method of a metric such as $CPUPercent, not of $CurrentDedicatedNodes, a double");
        assertSyntaxError("$x = time().GetSample(1)", 1, 13,
                "GetSample() is a method of a metric such as $CPUPercent, not of a timestamp");
        assertSyntaxError("$x = $PendingTasks.GetSamples(1)", 1, 20, "Unknown method 'GetSamples'");
        assertSyntaxError("$x = $PendingTasks.GetSample()", 1, 20, "GetSample() takes 1 to 3 arguments, not 0");
        assertSyntaxError("$x = $PendingTasks.GetSample(5, 50)", 1, 33,
                "GetSample(count) takes no further arguments; to ask for a percentage, give a time");
        assertSyntaxError("$x = $PendingTasks.GetSample(TimeInterval_Hour, 50, 50)", 1, 53,
                "GetSample(start, percent) takes no third argument");
        assertSyntaxError("$x = $PendingTasks.GetSample(\"1h\")", 1, 30,
                "An argument of GetSample() must be a double, timeinterval or timestamp, not a string");
        assertSyntaxError("$x = $PendingTasks.GetSamplePercent(5)", 1, 37,
                "An argument of GetSamplePercent() must be a timeinterval or timestamp, not a double");
        assertSyntaxError("$x = $PendingTasks.Count(1)", 1, 20, "Count() takes no arguments");
    }
}
