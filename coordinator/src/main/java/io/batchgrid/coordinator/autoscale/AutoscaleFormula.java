package io.batchgrid.coordinator.autoscale;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * An Azure Batch autoscale formula, parsed and checked: the entry point of this package.
 *
 * <pre>{@code
 * AutoscaleFormula formula = AutoscaleFormula.parse(text);      // FormulaException: code, message, position
 * AutoscaleRun run = formula.evaluate(sampleSource);             // never throws for a formula's own errors
 * run.results();        // "$TargetDedicatedNodes=4;$TargetLowPriorityNodes=0;$NodeDeallocationOption=requeue;..."
 * run.error();          // Optional<FormulaError>, e.g. InsufficientSampleData at Line 3, Col 30
 * run.targets();        // Optional<Targets>: what to resize the pool to, if the run succeeded and did not stop()
 * }</pre>
 *
 * Instances are immutable and may be evaluated from any number of threads at once.
 */
public final class AutoscaleFormula {

    /** Azure's limit on a formula's length, in characters. */
    public static final int MAX_LENGTH = 8192;

    private final String text;
    private final List<Statement> statements;

    private AutoscaleFormula(String text, List<Statement> statements) {
        this.text = text;
        this.statements = List.copyOf(statements);
    }

    /**
     * Parses and checks a formula. Everything that does not depend on sample data is checked here:
     * syntax, names, argument counts, operand types, assignments to read-only variables, variables read
     * before they are assigned.
     *
     * @throws FormulaException with code {@value FormulaError#SYNTAX_ERROR_CODE} and the position of the
     *                          problem, or {@value FormulaError#TOO_LONG_CODE} for a formula over
     *                          {@link #MAX_LENGTH} characters
     */
    public static AutoscaleFormula parse(String text) throws FormulaException {
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_LENGTH) {
            throw new FormulaException(FormulaError.tooLong(text.length()));
        }
        List<Statement> statements = Parser.parse(text);
        TypeChecker.check(statements);
        return new AutoscaleFormula(text, statements);
    }

    /**
     * Parses, checks and evaluates in one go, the way Azure's evaluateautoscale answers: a formula that
     * does not parse gives a run carrying the syntax error and the pool's current values.
     */
    public static AutoscaleRun evaluate(String text, SampleSource source) {
        try {
            return parse(text).evaluate(source);
        } catch (FormulaException e) {
            return new Evaluator(source, new SplittableRandom()).run(List.of()).withError(e.error());
        }
    }

    /** The formula as given. */
    public String text() {
        return text;
    }

    /** The parsed statements, in order. */
    public List<Statement> statements() {
        return statements;
    }

    /**
     * Evaluates the formula once against {@code source}, with an unseeded random generator for rand().
     *
     * @return the run: final variable values, plus an error if the evaluation failed; never null
     */
    public AutoscaleRun evaluate(SampleSource source) {
        return evaluate(source, new SplittableRandom());
    }

    /**
     * Evaluates the formula once against {@code source}, drawing rand() from {@code random} (pass a seeded
     * generator for repeatable runs). Runs on the calling thread; reads {@code source} only during the call.
     *
     * @return the run: final variable values, plus an error if the evaluation failed; never null
     */
    public AutoscaleRun evaluate(SampleSource source, RandomGenerator random) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(random, "random");
        return new Evaluator(source, random).run(statements);
    }

    @Override
    public String toString() {
        return text;
    }
}
