package io.batchgrid.coordinator.autoscale;

/** Thrown by {@link AutoscaleFormula#parse(String)} for a formula that cannot be accepted; carries the error. */
public final class FormulaException extends Exception {

    private final FormulaError error;

    public FormulaException(FormulaError error) {
        super(error.toString(), null, false, false);
        this.error = error;
    }

    /** The error, with Azure's code and the position of the problem. */
    public FormulaError error() {
        return error;
    }
}
