package io.batchgrid.coordinator.autoscale;

import java.util.List;

/**
 * An expression of the formula language, as the parser produces it. Names are already resolved:
 * a service variable, a user variable, a constant, a built-in function or a sample method.
 * {@link #position()} is where the expression's defining token is: an operator's symbol, a call's
 * name, a literal's first character.
 */
public sealed interface Expr {

    Position position();

    /** An expression that can be assigned to: a user variable or a writable service variable. */
    sealed interface Target extends Expr permits UserVariable, ServiceVariableRef {
        /** The name as results show it, with its {@code $}. */
        String displayName();
    }

    record NumberLiteral(double value, Position position) implements Expr {
    }

    record StringLiteral(String value, Position position) implements Expr {
    }

    /** A predefined name such as {@code TimeInterval_Minute} or {@code taskcompletion}. */
    record Constant(String name, Value value, Position position) implements Expr {
    }

    /** A variable the formula defines; {@code name} is without the optional {@code $}. */
    record UserVariable(String name, Position position) implements Target {
        @Override
        public String displayName() {
            return "$" + name;
        }
    }

    record ServiceVariableRef(ServiceVariable variable, Position position) implements Target {
        @Override
        public String displayName() {
            return variable.formulaName();
        }
    }

    record Unary(UnaryOperator operator, Expr operand, Position position) implements Expr {
    }

    record Binary(BinaryOperator operator, Expr left, Expr right, Position position) implements Expr {
    }

    /** {@code condition ? whenTrue : whenFalse}; only the chosen branch is evaluated. */
    record Conditional(Expr condition, Expr whenTrue, Expr whenFalse, Position position) implements Expr {
    }

    record Call(BuiltinFunction function, List<Expr> arguments, Position position) implements Expr {
        public Call {
            arguments = List.copyOf(arguments);
        }
    }

    /** {@code $Metric.Method(arguments)}; the position is the method name's. */
    record MethodCall(Expr receiver, SampleMethod method, List<Expr> arguments, Position position) implements Expr {
        public MethodCall {
            arguments = List.copyOf(arguments);
        }
    }

    /** {@code timestamp.member}; the position is the member name's. */
    record Member(Expr receiver, TimestampMember member, Position position) implements Expr {
    }

    enum UnaryOperator {
        NEGATE("-"), NOT("!"), PLUS("+");

        final String symbol;

        UnaryOperator(String symbol) {
            this.symbol = symbol;
        }
    }

    enum BinaryOperator {
        ADD("+"), SUBTRACT("-"), MULTIPLY("*"), DIVIDE("/"),
        LESS("<"), LESS_EQUAL("<="), GREATER(">"), GREATER_EQUAL(">="), EQUAL("=="), NOT_EQUAL("!="),
        AND("&&"), OR("||");

        final String symbol;

        BinaryOperator(String symbol) {
            this.symbol = symbol;
        }

        boolean isComparison() {
            return switch (this) {
                case LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL -> true;
                default -> false;
            };
        }
    }
}
