package io.batchgrid.coordinator.autoscale;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Recursive-descent parser from tokens to statements. Grammar, loosest binding first:
 *
 * <pre>
 * formula     := statement? ( separator statement? )*
 * separator   := ';'  |  a line break before a token that starts an assignment
 * statement   := target '=' expression  |  call
 * expression  := or ( '?' expression ':' expression )?          right-associative
 * or          := and ( '||' and )*
 * and         := equality ( '&amp;&amp;' equality )*
 * equality    := relational ( ( '==' | '!=' ) relational )*
 * relational  := additive ( ( '&lt;' | '&lt;=' | '&gt;' | '&gt;=' ) additive )*
 * additive    := term ( ( '+' | '-' ) term )*
 * term        := unary ( ( '*' | '/' ) unary )*
 * unary       := ( '-' | '!' | '+' ) unary  |  postfix
 * postfix     := primary ( '.' name ( '(' arguments ')' )? )*
 * primary     := number | string | name '(' arguments ')' | name | $name | '(' expression ')'
 * </pre>
 */
final class Parser {

    private final List<Token> tokens;
    private int current;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Statement> parse(String text) throws FormulaException {
        return new Parser(Lexer.tokenize(text)).formula();
    }

    private Token peek() {
        return tokens.get(current);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(current + ahead, tokens.size() - 1));
    }

    private Token previous() {
        return tokens.get(current - 1);
    }

    private boolean check(Token.Kind kind) {
        return peek().kind() == kind;
    }

    private boolean match(Token.Kind kind) {
        if (check(kind)) {
            current++;
            return true;
        }
        return false;
    }

    private Token expect(Token.Kind kind, String context) throws FormulaException {
        if (check(kind)) {
            return tokens.get(current++);
        }
        throw error(peek(), "Expected " + kind.describe() + " " + context + " but found " + peek().describe());
    }

    private static FormulaException error(Token at, String detail) {
        return new FormulaException(FormulaError.syntax(at.position(), detail));
    }

    private List<Statement> formula() throws FormulaException {
        List<Statement> statements = new ArrayList<>();
        while (true) {
            while (match(Token.Kind.SEMICOLON)) {
                // empty statements are allowed
            }
            if (check(Token.Kind.END)) {
                return statements;
            }
            statements.add(statement());
            if (check(Token.Kind.SEMICOLON) || check(Token.Kind.END)) {
                continue;
            }
            if (startsAssignmentOnNewLine()) {
                continue;
            }
            throw error(peek(), "Unexpected " + peek().describe() + "; statements are separated by ';'");
        }
    }

    /** A line break ends a statement when the next line begins a new assignment. */
    private boolean startsAssignmentOnNewLine() {
        Token next = peek();
        return next.position().line() > previous().endLine()
                && (next.kind() == Token.Kind.IDENTIFIER || next.kind() == Token.Kind.VARIABLE)
                && peek(1).kind() == Token.Kind.ASSIGN;
    }

    private Statement statement() throws FormulaException {
        Token first = peek();
        if ((first.kind() == Token.Kind.IDENTIFIER || first.kind() == Token.Kind.VARIABLE)
                && peek(1).kind() == Token.Kind.ASSIGN) {
            current += 2;
            Expr.Target target = target(first);
            Expr value = expression();
            return new Statement.Assignment(target, value, first.position());
        }
        Expr expression = expression();
        if (check(Token.Kind.ASSIGN)) {
            throw error(peek(), "Only a variable can be assigned to");
        }
        if (expression instanceof Expr.Call || expression instanceof Expr.MethodCall) {
            return new Statement.Evaluate(expression, first.position());
        }
        throw new FormulaException(FormulaError.syntax(first.position(),
                "A statement must be an assignment such as '$TargetDedicatedNodes = 1'"));
    }

    private Expr.Target target(Token name) throws FormulaException {
        if (name.kind() == Token.Kind.IDENTIFIER && Constants.byName(name.text()).isPresent()) {
            throw error(name, "Cannot assign to the constant " + name.text());
        }
        Expr resolved = variable(name);
        if (resolved instanceof Expr.Target target) {
            return target;
        }
        throw error(name, "Cannot assign to " + name.text());
    }

    /** A name used as a variable: a service variable (with or without its '$') or a user variable. */
    private static Expr variable(Token name) {
        String dollarName = name.kind() == Token.Kind.VARIABLE ? name.text() : "$" + name.text();
        Optional<ServiceVariable> service = ServiceVariable.byName(dollarName);
        if (service.isPresent()) {
            return new Expr.ServiceVariableRef(service.get(), name.position());
        }
        return new Expr.UserVariable(dollarName.substring(1), name.position());
    }

    private Expr expression() throws FormulaException {
        Expr condition = or();
        if (check(Token.Kind.QUESTION)) {
            Token question = tokens.get(current++);
            Expr whenTrue = expression();
            expect(Token.Kind.COLON, "in the conditional expression started at " + question.position());
            Expr whenFalse = expression();
            return new Expr.Conditional(condition, whenTrue, whenFalse, question.position());
        }
        return condition;
    }

    private Expr or() throws FormulaException {
        Expr left = and();
        while (check(Token.Kind.OR_OR)) {
            Token op = tokens.get(current++);
            left = new Expr.Binary(Expr.BinaryOperator.OR, left, and(), op.position());
        }
        return left;
    }

    private Expr and() throws FormulaException {
        Expr left = equality();
        while (check(Token.Kind.AND_AND)) {
            Token op = tokens.get(current++);
            left = new Expr.Binary(Expr.BinaryOperator.AND, left, equality(), op.position());
        }
        return left;
    }

    private Expr equality() throws FormulaException {
        Expr left = relational();
        while (check(Token.Kind.EQUAL_EQUAL) || check(Token.Kind.BANG_EQUAL)) {
            Token op = tokens.get(current++);
            Expr.BinaryOperator operator = op.kind() == Token.Kind.EQUAL_EQUAL
                    ? Expr.BinaryOperator.EQUAL : Expr.BinaryOperator.NOT_EQUAL;
            left = new Expr.Binary(operator, left, relational(), op.position());
        }
        return left;
    }

    private Expr relational() throws FormulaException {
        Expr left = additive();
        while (true) {
            Expr.BinaryOperator operator = switch (peek().kind()) {
                case LESS -> Expr.BinaryOperator.LESS;
                case LESS_EQUAL -> Expr.BinaryOperator.LESS_EQUAL;
                case GREATER -> Expr.BinaryOperator.GREATER;
                case GREATER_EQUAL -> Expr.BinaryOperator.GREATER_EQUAL;
                default -> null;
            };
            if (operator == null) {
                return left;
            }
            Token op = tokens.get(current++);
            left = new Expr.Binary(operator, left, additive(), op.position());
        }
    }

    private Expr additive() throws FormulaException {
        Expr left = term();
        while (check(Token.Kind.PLUS) || check(Token.Kind.MINUS)) {
            Token op = tokens.get(current++);
            Expr.BinaryOperator operator = op.kind() == Token.Kind.PLUS
                    ? Expr.BinaryOperator.ADD : Expr.BinaryOperator.SUBTRACT;
            left = new Expr.Binary(operator, left, term(), op.position());
        }
        return left;
    }

    private Expr term() throws FormulaException {
        Expr left = unary();
        while (check(Token.Kind.STAR) || check(Token.Kind.SLASH)) {
            Token op = tokens.get(current++);
            Expr.BinaryOperator operator = op.kind() == Token.Kind.STAR
                    ? Expr.BinaryOperator.MULTIPLY : Expr.BinaryOperator.DIVIDE;
            left = new Expr.Binary(operator, left, unary(), op.position());
        }
        return left;
    }

    private Expr unary() throws FormulaException {
        Expr.UnaryOperator operator = switch (peek().kind()) {
            case MINUS -> Expr.UnaryOperator.NEGATE;
            case BANG -> Expr.UnaryOperator.NOT;
            case PLUS -> Expr.UnaryOperator.PLUS;
            default -> null;
        };
        if (operator != null) {
            Token op = tokens.get(current++);
            return new Expr.Unary(operator, unary(), op.position());
        }
        return postfix();
    }

    private Expr postfix() throws FormulaException {
        Expr expr = primary();
        while (match(Token.Kind.DOT)) {
            Token name = expect(Token.Kind.IDENTIFIER, "after '.'");
            if (check(Token.Kind.LEFT_PAREN)) {
                SampleMethod method = SampleMethod.byName(name.text()).orElseThrow(() ->
                        error(name, "Unknown method '" + name.text() + "'"));
                expr = new Expr.MethodCall(expr, method, arguments(name), name.position());
            } else {
                TimestampMember member = TimestampMember.byName(name.text()).orElseThrow(() ->
                        error(name, "Unknown member '" + name.text() + "'"));
                expr = new Expr.Member(expr, member, name.position());
            }
        }
        return expr;
    }

    private Expr primary() throws FormulaException {
        Token token = peek();
        switch (token.kind()) {
            case NUMBER -> {
                current++;
                return new Expr.NumberLiteral(token.number(), token.position());
            }
            case STRING -> {
                current++;
                return new Expr.StringLiteral(token.text(), token.position());
            }
            case LEFT_PAREN -> {
                current++;
                Expr inner = expression();
                expect(Token.Kind.RIGHT_PAREN, "to close the '(' at " + token.position());
                return inner;
            }
            case IDENTIFIER -> {
                current++;
                if (check(Token.Kind.LEFT_PAREN)) {
                    BuiltinFunction function = BuiltinFunction.byName(token.text()).orElseThrow(() ->
                            error(token, "Unknown function '" + token.text() + "'"));
                    return new Expr.Call(function, arguments(token), token.position());
                }
                Optional<Value> constant = Constants.byName(token.text());
                if (constant.isPresent()) {
                    return new Expr.Constant(token.text(), constant.get(), token.position());
                }
                return variable(token);
            }
            case VARIABLE -> {
                current++;
                if (check(Token.Kind.LEFT_PAREN)) {
                    throw error(token, "'" + token.text() + "' is a variable, not a function");
                }
                return variable(token);
            }
            default -> throw error(token, "Expected an expression but found " + token.describe());
        }
    }

    private List<Expr> arguments(Token name) throws FormulaException {
        Token open = expect(Token.Kind.LEFT_PAREN, "after " + name.text());
        List<Expr> arguments = new ArrayList<>();
        if (match(Token.Kind.RIGHT_PAREN)) {
            return arguments;
        }
        do {
            arguments.add(expression());
        } while (match(Token.Kind.COMMA));
        expect(Token.Kind.RIGHT_PAREN, "to close the arguments of " + name.text() + " opened at " + open.position());
        return arguments;
    }
}
