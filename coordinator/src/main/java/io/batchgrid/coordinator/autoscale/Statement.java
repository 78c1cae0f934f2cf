package io.batchgrid.coordinator.autoscale;

/** One statement of a formula. */
public sealed interface Statement {

    Position position();

    /** {@code target = value}; the position is the target's. */
    record Assignment(Expr.Target target, Expr value, Position position) implements Statement {
    }

    /** A call evaluated for its effect, such as {@code stop()}. */
    record Evaluate(Expr expression, Position position) implements Statement {
    }
}
