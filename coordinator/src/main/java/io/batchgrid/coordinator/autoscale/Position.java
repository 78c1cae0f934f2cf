package io.batchgrid.coordinator.autoscale;

/**
 * A place in a formula's text: 1-based line and 1-based column (in UTF-16 characters, a tab counts
 * as one), the way Azure Batch reports it ("Line 15, Col 44").
 */
public record Position(int line, int column) {

    public Position {
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("line and column start at 1: " + line + ":" + column);
        }
    }

    /** {@code "Line 3, Col 17"}, the prefix Azure puts before an error's detail. */
    @Override
    public String toString() {
        return "Line " + line + ", Col " + column;
    }
}
