package io.batchgrid.coordinator.autoscale;

import java.util.Objects;

/**
 * What went wrong with a formula, shaped like Azure Batch's {@code AutoScaleRunError} / {@code BatchError}:
 * a stable {@link #code()}, a generic {@link #message()} for the code, and one detail value (Azure names it
 * {@value #VALUE_NAME}) that reads {@code "Line L, Col C: <what exactly>"}.
 *
 * @param code     one of the {@code *_CODE} constants below
 * @param message  the generic message Azure uses for that code
 * @param detail   what exactly went wrong, without the position prefix
 * @param position where in the formula it went wrong
 */
public record FormulaError(String code, String message, String detail, Position position) {

    /** Azure's code for a formula that does not parse or does not type-check (HTTP 400 on enable/evaluate). */
    public static final String SYNTAX_ERROR_CODE = "AutoScalingFormulaSyntaxError";
    /** Azure's code for a formula longer than {@link AutoscaleFormula#MAX_LENGTH} characters. */
    public static final String TOO_LONG_CODE = "AutoScalingFormulaTooLong";
    /** Azure's code for a run that asked for more samples than the history holds. */
    public static final String INSUFFICIENT_SAMPLE_DATA_CODE = "InsufficientSampleData";
    /**
     * batchgrid's code for every other failure at evaluation time (bad argument, index out of range,
     * unparseable time, invalid target). Azure documents no public code for these.
     */
    public static final String EVALUATION_ERROR_CODE = "AutoScalingFormulaEvaluationError";

    /** The name of the single entry in an Azure error's {@code values} array. */
    public static final String VALUE_NAME = "Message";

    public FormulaError {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(position, "position");
    }

    static FormulaError syntax(Position at, String detail) {
        return new FormulaError(SYNTAX_ERROR_CODE, "The specified auto-scaling formula has a syntax error.",
                detail, at);
    }

    static FormulaError tooLong(int length) {
        return new FormulaError(TOO_LONG_CODE, "The specified auto-scaling formula exceeds lengths limit.",
                "The formula is " + length + " characters long; the maximum is " + AutoscaleFormula.MAX_LENGTH,
                new Position(1, 1));
    }

    static FormulaError insufficientSamples(Position at, String detail) {
        return new FormulaError(INSUFFICIENT_SAMPLE_DATA_CODE,
                "Autoscale evaluation failed due to insufficient sample data", detail, at);
    }

    static FormulaError evaluation(Position at, String detail) {
        return new FormulaError(EVALUATION_ERROR_CODE, "Autoscale evaluation failed", detail, at);
    }

    /** The value of the {@value #VALUE_NAME} entry: {@code "Line 15, Col 44: Insufficient data from ..."}. */
    public String value() {
        return position + ": " + detail;
    }

    @Override
    public String toString() {
        return code + ": " + value();
    }
}
