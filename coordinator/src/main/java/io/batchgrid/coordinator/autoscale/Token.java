package io.batchgrid.coordinator.autoscale;

/**
 * One token of a formula.
 *
 * @param kind     what it is
 * @param text     its text as written (for a string literal: the contents without the quotes)
 * @param number   the value of a {@link Kind#NUMBER}, otherwise 0
 * @param position where it starts
 * @param endLine  the line it ends on (a string literal may span lines)
 */
record Token(Kind kind, String text, double number, Position position, int endLine) {

    enum Kind {
        NUMBER, STRING,
        /** A name without a dollar sign: a user variable, a function, a constant, a method or member. */
        IDENTIFIER,
        /** A name with its dollar sign: a service variable or a user variable. */
        VARIABLE,
        PLUS("+"), MINUS("-"), STAR("*"), SLASH("/"), BANG("!"),
        LESS("<"), LESS_EQUAL("<="), GREATER(">"), GREATER_EQUAL(">="), EQUAL_EQUAL("=="), BANG_EQUAL("!="),
        AND_AND("&&"), OR_OR("||"), QUESTION("?"), COLON(":"), ASSIGN("="),
        LEFT_PAREN("("), RIGHT_PAREN(")"), COMMA(","), DOT("."), SEMICOLON(";"),
        END;

        private final String symbol;

        Kind() {
            this.symbol = null;
        }

        Kind(String symbol) {
            this.symbol = symbol;
        }

        /** How the kind reads in an error message. */
        String describe() {
            return switch (this) {
                case NUMBER -> "a number";
                case STRING -> "a string";
                case IDENTIFIER, VARIABLE -> "a name";
                case END -> "the end of the formula";
                default -> "'" + symbol + "'";
            };
        }
    }

    /** How this token reads in an error message. */
    String describe() {
        return switch (kind) {
            case END -> "the end of the formula";
            case STRING -> "\"" + text + "\"";
            default -> "'" + text + "'";
        };
    }
}
