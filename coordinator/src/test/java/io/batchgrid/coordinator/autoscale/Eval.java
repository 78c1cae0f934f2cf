package io.batchgrid.coordinator.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Instant;
import java.util.SplittableRandom;

/** Small helpers shared by the unit tests. */
final class Eval {

    /** A Wednesday. */
    static final Instant NOW = Instant.parse("2024-03-06T10:00:00Z");

    private Eval() {
    }

    static InMemorySampleSource.Builder source() {
        return InMemorySampleSource.at(NOW);
    }

    static AutoscaleRun run(String formula) {
        return run(formula, source().build());
    }

    static AutoscaleRun run(String formula, SampleSource source) {
        try {
            return AutoscaleFormula.parse(formula).evaluate(source, new SplittableRandom(7));
        } catch (FormulaException e) {
            return fail("expected the formula to parse: " + e.getMessage());
        }
    }

    /** Runs {@code $x = expression} and returns $x's value, failing the test on an error. */
    static Value value(String expression) {
        return value(expression, source().build());
    }

    static Value value(String expression, SampleSource source) {
        AutoscaleRun run = run("$x = " + expression, source);
        assertTrue(run.succeeded(), () -> "evaluation failed: " + run.error().orElseThrow());
        return run.variable("$x").orElseThrow();
    }

    static double number(String expression) {
        return ((Value.Num) value(expression)).value();
    }

    static double number(String expression, SampleSource source) {
        return ((Value.Num) value(expression, source)).value();
    }

    /** The printed form of $x after {@code $x = expression}. */
    static String printed(String expression) {
        return value(expression).format();
    }

    static String printed(String expression, SampleSource source) {
        return value(expression, source).format();
    }

    /** The error of a formula that must not parse. */
    static FormulaError syntaxError(String formula) {
        FormulaException e = assertThrows(FormulaException.class, () -> AutoscaleFormula.parse(formula));
        return e.error();
    }

    /** Asserts that the formula does not parse, with this code, position and detail. */
    static void assertSyntaxError(String formula, int line, int column, String detail) {
        FormulaError error = syntaxError(formula);
        assertEquals(FormulaError.SYNTAX_ERROR_CODE, error.code(), error::toString);
        assertEquals(new Position(line, column), error.position(), error::toString);
        assertEquals(detail, error.detail());
    }

    /** The error of a formula that parses but fails when evaluated. */
    static FormulaError evaluationError(String formula, SampleSource source) {
        AutoscaleRun run = run(formula, source);
        return run.error().orElseGet(() -> fail("expected an evaluation error, got " + run.results()));
    }

    static FormulaError evaluationError(String formula) {
        return evaluationError(formula, source().build());
    }
}
