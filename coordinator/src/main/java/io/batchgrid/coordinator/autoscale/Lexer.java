package io.batchgrid.coordinator.autoscale;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a formula into tokens. Skips white space, line breaks, {@code // line} comments and
 * {@code /* block *\/} comments. Positions count lines from 1 (a line ends at {@code \n}, {@code \r\n}
 * or {@code \r}) and columns from 1.
 */
final class Lexer {

    private final String text;
    private int index;
    private int line = 1;
    private int lineStart;

    private Lexer(String text) {
        this.text = text;
    }

    /** All tokens of the text, ending with one {@link Token.Kind#END}. */
    static List<Token> tokenize(String text) throws FormulaException {
        return new Lexer(text).run();
    }

    private List<Token> run() throws FormulaException {
        List<Token> tokens = new ArrayList<>();
        while (true) {
            skipBlanksAndComments();
            if (index >= text.length()) {
                tokens.add(new Token(Token.Kind.END, "", 0, position(), line));
                return tokens;
            }
            tokens.add(next());
        }
    }

    private Position position() {
        return new Position(line, index - lineStart + 1);
    }

    private char peek(int ahead) {
        int i = index + ahead;
        return i < text.length() ? text.charAt(i) : '\0';
    }

    /** Moves past one character, keeping the line count. */
    private void advance() {
        char c = text.charAt(index++);
        if (c == '\n' || (c == '\r' && peek(0) != '\n')) {
            line++;
            lineStart = index;
        }
    }

    private void skipBlanksAndComments() throws FormulaException {
        while (index < text.length()) {
            char c = text.charAt(index);
            if (Character.isWhitespace(c) || c == '\u00a0' || c == '\ufeff') {
                advance();
            } else if (c == '/' && peek(1) == '/') {
                while (index < text.length() && text.charAt(index) != '\n' && text.charAt(index) != '\r') {
                    advance();
                }
            } else if (c == '/' && peek(1) == '*') {
                Position start = position();
                advance();
                advance();
                while (!(peek(0) == '*' && peek(1) == '/')) {
                    if (index >= text.length()) {
                        throw new FormulaException(FormulaError.syntax(start, "Unterminated comment"));
                    }
                    advance();
                }
                advance();
                advance();
            } else {
                return;
            }
        }
    }

    private Token next() throws FormulaException {
        Position start = position();
        char c = text.charAt(index);
        if (isDigit(c) || (c == '.' && isDigit(peek(1)))) {
            return number(start);
        }
        if (c == '"') {
            return string(start);
        }
        if (c == '$' || isNameStart(c)) {
            int from = index;
            if (c == '$') {
                advance();
                if (!isNameStart(peek(0))) {
                    throw new FormulaException(FormulaError.syntax(start, "Expected a variable name after '$'"));
                }
            }
            while (index < text.length() && isNamePart(text.charAt(index))) {
                advance();
            }
            Token.Kind kind = c == '$' ? Token.Kind.VARIABLE : Token.Kind.IDENTIFIER;
            return new Token(kind, text.substring(from, index), 0, start, line);
        }
        Token.Kind kind = switch (c) {
            case '+' -> Token.Kind.PLUS;
            case '-' -> Token.Kind.MINUS;
            case '*' -> Token.Kind.STAR;
            case '/' -> Token.Kind.SLASH;
            case '?' -> Token.Kind.QUESTION;
            case ':' -> Token.Kind.COLON;
            case '(' -> Token.Kind.LEFT_PAREN;
            case ')' -> Token.Kind.RIGHT_PAREN;
            case ',' -> Token.Kind.COMMA;
            case '.' -> Token.Kind.DOT;
            case ';' -> Token.Kind.SEMICOLON;
            case '<' -> peek(1) == '=' ? Token.Kind.LESS_EQUAL : Token.Kind.LESS;
            case '>' -> peek(1) == '=' ? Token.Kind.GREATER_EQUAL : Token.Kind.GREATER;
            case '=' -> peek(1) == '=' ? Token.Kind.EQUAL_EQUAL : Token.Kind.ASSIGN;
            case '!' -> peek(1) == '=' ? Token.Kind.BANG_EQUAL : Token.Kind.BANG;
            case '&' -> peek(1) == '&' ? Token.Kind.AND_AND : null;
            case '|' -> peek(1) == '|' ? Token.Kind.OR_OR : null;
            default -> null;
        };
        if (kind == null) {
            String hint = (c == '&' || c == '|') ? " (the operator is '" + c + c + "')" : "";
            throw new FormulaException(FormulaError.syntax(start, "Unexpected character '" + c + "'" + hint));
        }
        int from = index;
        int length = switch (kind) {
            case LESS_EQUAL, GREATER_EQUAL, EQUAL_EQUAL, BANG_EQUAL, AND_AND, OR_OR -> 2;
            default -> 1;
        };
        for (int i = 0; i < length; i++) {
            advance();
        }
        return new Token(kind, text.substring(from, index), 0, start, line);
    }

    private Token number(Position start) throws FormulaException {
        int from = index;
        while (isDigit(peek(0))) {
            advance();
        }
        if (peek(0) == '.' && isDigit(peek(1))) {
            advance();
            while (isDigit(peek(0))) {
                advance();
            }
        }
        if ((peek(0) == 'e' || peek(0) == 'E')
                && (isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
            advance();
            if (peek(0) == '+' || peek(0) == '-') {
                advance();
            }
            while (isDigit(peek(0))) {
                advance();
            }
        }
        if (isNameStart(peek(0))) {
            throw new FormulaException(FormulaError.syntax(position(),
                    "Unexpected '" + peek(0) + "' after the number " + text.substring(from, index)));
        }
        String literal = text.substring(from, index);
        return new Token(Token.Kind.NUMBER, literal, Double.parseDouble(literal), start, line);
    }

    private Token string(Position start) throws FormulaException {
        advance(); // opening quote
        int from = index;
        while (index < text.length() && text.charAt(index) != '"') {
            advance();
        }
        if (index >= text.length()) {
            throw new FormulaException(FormulaError.syntax(start, "Unterminated string literal"));
        }
        String contents = text.substring(from, index);
        advance(); // closing quote
        return new Token(Token.Kind.STRING, contents, 0, start, line);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isNameStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || isDigit(c);
    }
}
