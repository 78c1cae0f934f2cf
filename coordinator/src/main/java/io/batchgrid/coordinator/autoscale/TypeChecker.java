package io.batchgrid.coordinator.autoscale;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a parsed formula before it runs: assignments only to writable variables, variables assigned
 * before they are read, argument counts, and the operand types of Azure's operation table. A formula
 * has no loops or branches between statements, so the type of every variable at every statement is
 * known exactly and all of these are found without sample data.
 */
final class TypeChecker {

    private final Map<String, Type> userVariables = new HashMap<>();

    private TypeChecker() {
    }

    static void check(List<Statement> statements) throws FormulaException {
        TypeChecker checker = new TypeChecker();
        for (Statement statement : statements) {
            checker.statement(statement);
        }
    }

    private static FormulaException error(Position at, String detail) {
        return new FormulaException(FormulaError.syntax(at, detail));
    }

    private void statement(Statement statement) throws FormulaException {
        if (statement instanceof Statement.Evaluate evaluate) {
            valueType(evaluate.expression());
            return;
        }
        Statement.Assignment assignment = (Statement.Assignment) statement;
        Type type = valueType(assignment.value());
        Expr.Target target = assignment.target();
        if (target instanceof Expr.UserVariable user) {
            userVariables.put(user.name(), type);
            return;
        }
        ServiceVariable variable = ((Expr.ServiceVariableRef) target).variable();
        if (variable.kind() != ServiceVariable.Kind.WRITABLE) {
            throw error(target.position(), "Cannot assign to the read-only variable " + variable.formulaName());
        }
        boolean fits = switch (variable.canonical()) {
            case NODE_DEALLOCATION_OPTION -> type == Type.STRING || type == Type.NONE;
            default -> type == Type.DOUBLE || type == Type.DOUBLE_VEC || type == Type.NONE;
        };
        if (!fits) {
            String wanted = variable == ServiceVariable.NODE_DEALLOCATION_OPTION
                    ? "requeue, terminate, taskcompletion or retaineddata" : "a double";
            throw error(assignment.value().position(), "Cannot assign a " + type + " to "
                    + variable.formulaName() + "; it takes " + wanted);
        }
    }

    /** The type of an expression used as a value (anything but the receiver of a sample method). */
    private Type valueType(Expr expr) throws FormulaException {
        Type type = typeOf(expr);
        if (type == Type.SAMPLES) {
            String name = ((Expr.ServiceVariableRef) expr).variable().formulaName();
            throw error(expr.position(), name + " is a set of samples; read it with a sample method such as "
                    + name + ".GetSample(TimeInterval_Minute * 5)");
        }
        return type;
    }

    private Type typeOf(Expr expr) throws FormulaException {
        if (expr instanceof Expr.NumberLiteral) {
            return Type.DOUBLE;
        } else if (expr instanceof Expr.StringLiteral) {
            return Type.STRING;
        } else if (expr instanceof Expr.Constant constant) {
            return constant.value().type();
        } else if (expr instanceof Expr.UserVariable user) {
            Type type = userVariables.get(user.name());
            if (type == null) {
                throw error(user.position(), "The variable " + user.displayName() + " is used before it is assigned");
            }
            return type;
        } else if (expr instanceof Expr.ServiceVariableRef ref) {
            ServiceVariable v = ref.variable();
            return switch (v.kind()) {
                case METRIC -> Type.SAMPLES;
                case SCALAR -> Type.DOUBLE;
                case WRITABLE -> v == ServiceVariable.NODE_DEALLOCATION_OPTION ? Type.STRING : Type.DOUBLE;
            };
        } else if (expr instanceof Expr.Unary unary) {
            return unary(unary);
        } else if (expr instanceof Expr.Binary binary) {
            return binary(binary);
        } else if (expr instanceof Expr.Conditional conditional) {
            return conditional(conditional);
        } else if (expr instanceof Expr.Call call) {
            return call(call);
        } else if (expr instanceof Expr.MethodCall call) {
            return method(call);
        } else if (expr instanceof Expr.Member member) {
            Type receiver = valueType(member.receiver());
            if (receiver != Type.TIMESTAMP && receiver != Type.NONE) {
                throw error(member.position(), "Member '" + member.member().formulaName()
                        + "' needs a timestamp, not a " + receiver);
            }
            return Type.DOUBLE;
        }
        throw new IllegalStateException("unknown expression " + expr);
    }

    private Type unary(Expr.Unary unary) throws FormulaException {
        Type operand = valueType(unary.operand());
        if (operand == Type.NONE) {
            return Type.NONE;
        }
        boolean ok = switch (unary.operator()) {
            case NOT -> operand == Type.DOUBLE;
            case NEGATE, PLUS -> operand == Type.DOUBLE || operand == Type.DOUBLE_VEC || operand == Type.TIMEINTERVAL;
        };
        if (!ok) {
            throw error(unary.position(), "Operator '" + unary.operator().symbol + "' cannot be applied to a " + operand);
        }
        return operand;
    }

    private Type binary(Expr.Binary binary) throws FormulaException {
        Type left = valueType(binary.left());
        Type right = valueType(binary.right());
        if (left == Type.NONE || right == Type.NONE) {
            return Type.NONE;
        }
        Type result = resultType(binary.operator(), left, right);
        if (result == null) {
            throw error(binary.position(), "Operator '" + binary.operator().symbol
                    + "' cannot be applied to a " + left + " and a " + right);
        }
        return result;
    }

    /** Azure's operation table (plus the symmetric forms of vector and interval arithmetic); null when not allowed. */
    static Type resultType(Expr.BinaryOperator op, Type left, Type right) {
        boolean numeric = isNumeric(left) && isNumeric(right);
        Type numericResult = left == Type.DOUBLE_VEC || right == Type.DOUBLE_VEC ? Type.DOUBLE_VEC : Type.DOUBLE;
        return switch (op) {
            case ADD -> {
                if (numeric) {
                    yield numericResult;
                } else if (left == Type.TIMEINTERVAL && right == Type.TIMEINTERVAL) {
                    yield Type.TIMEINTERVAL;
                } else if ((left == Type.TIMESTAMP && right == Type.TIMEINTERVAL)
                        || (left == Type.TIMEINTERVAL && right == Type.TIMESTAMP)) {
                    yield Type.TIMESTAMP;
                }
                yield null;
            }
            case SUBTRACT -> {
                if (numeric) {
                    yield numericResult;
                } else if (left == Type.TIMEINTERVAL && right == Type.TIMEINTERVAL) {
                    yield Type.TIMEINTERVAL;
                } else if (left == Type.TIMESTAMP && right == Type.TIMESTAMP) {
                    yield Type.TIMEINTERVAL;
                } else if (left == Type.TIMESTAMP && right == Type.TIMEINTERVAL) {
                    yield Type.TIMESTAMP;
                }
                yield null;
            }
            case MULTIPLY -> {
                if (numeric) {
                    yield numericResult;
                } else if ((left == Type.DOUBLE && right == Type.TIMEINTERVAL)
                        || (left == Type.TIMEINTERVAL && right == Type.DOUBLE)) {
                    yield Type.TIMEINTERVAL;
                }
                yield null;
            }
            case DIVIDE -> {
                if (numeric) {
                    yield numericResult;
                } else if (left == Type.TIMEINTERVAL && right == Type.DOUBLE) {
                    yield Type.TIMEINTERVAL;
                }
                yield null;
            }
            case LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL -> left == right
                    && (left == Type.DOUBLE || left == Type.STRING || left == Type.TIMESTAMP
                    || left == Type.TIMEINTERVAL) ? Type.DOUBLE : null;
            case AND, OR -> left == Type.DOUBLE && right == Type.DOUBLE ? Type.DOUBLE : null;
        };
    }

    private static boolean isNumeric(Type t) {
        return t == Type.DOUBLE || t == Type.DOUBLE_VEC;
    }

    private Type conditional(Expr.Conditional conditional) throws FormulaException {
        Type condition = valueType(conditional.condition());
        if (condition != Type.DOUBLE && condition != Type.NONE) {
            throw error(conditional.condition().position(), "The condition of '?:' must be a double, not a " + condition);
        }
        Type whenTrue = valueType(conditional.whenTrue());
        Type whenFalse = valueType(conditional.whenFalse());
        if (whenTrue == Type.NONE) {
            return whenFalse;
        }
        if (whenFalse == Type.NONE || whenTrue == whenFalse) {
            return whenTrue;
        }
        throw error(conditional.position(), "The branches of '?:' have different types: " + whenTrue
                + " and " + whenFalse);
    }

    private Type call(Expr.Call call) throws FormulaException {
        List<Expr> args = call.arguments();
        String name = call.function().formulaName();
        switch (call.function()) {
            case AVG, LEN, MAX, MIN, NORM, RANGE, STD, SUM, VEC -> {
                atLeast(call, 1);
                numericArguments(call);
                return call.function() == BuiltinFunction.VEC ? Type.DOUBLE_VEC : Type.DOUBLE;
            }
            case CEIL, FLOOR, ROUND, LG, LN, LOG -> {
                atLeast(call, 1);
                numericArguments(call);
                return args.size() == 1 && valueType(args.get(0)) == Type.DOUBLE ? Type.DOUBLE : Type.DOUBLE_VEC;
            }
            case PERCENTILE, VAL -> {
                exactly(call, 2);
                expect(args.get(0), name, Type.DOUBLE_VEC, Type.DOUBLE);
                expect(args.get(1), name, Type.DOUBLE);
                return Type.DOUBLE;
            }
            case RAND -> {
                exactly(call, 0);
                return Type.DOUBLE;
            }
            case STOP -> {
                exactly(call, 0);
                return Type.NONE;
            }
            case TIME -> {
                if (args.size() > 1) {
                    throw error(call.position(), "time() takes at most 1 argument, not " + args.size());
                }
                if (args.size() == 1) {
                    expect(args.get(0), name, Type.STRING);
                }
                return Type.TIMESTAMP;
            }
        }
        throw new IllegalStateException("unknown function " + call.function());
    }

    private Type method(Expr.MethodCall call) throws FormulaException {
        Type receiver = typeOf(call.receiver());
        String name = call.method().formulaName();
        if (receiver != Type.SAMPLES) {
            String what = receiver == Type.DOUBLE && call.receiver() instanceof Expr.ServiceVariableRef ref
                    ? ref.variable().formulaName() + ", a double" : "a " + receiver;
            throw error(call.position(), name + "() is a method of a metric such as $CPUPercent, not of " + what);
        }
        List<Expr> args = call.arguments();
        switch (call.method()) {
            case GET_SAMPLE -> {
                if (args.isEmpty() || args.size() > 3) {
                    throw error(call.position(), "GetSample() takes 1 to 3 arguments, not " + args.size());
                }
                Type first = expect(args.get(0), name, Type.DOUBLE, Type.TIMEINTERVAL, Type.TIMESTAMP);
                if (first == Type.DOUBLE && args.size() > 1) {
                    throw error(args.get(1).position(),
                            "GetSample(count) takes no further arguments; to ask for a percentage, give a time");
                }
                if (args.size() >= 2) {
                    Type second = expect(args.get(1), name, Type.TIMEINTERVAL, Type.TIMESTAMP, Type.DOUBLE);
                    if (second == Type.DOUBLE && args.size() == 3) {
                        throw error(args.get(2).position(), "GetSample(start, percent) takes no third argument");
                    }
                    if (args.size() == 3) {
                        expect(args.get(2), name, Type.DOUBLE);
                    }
                }
                return Type.DOUBLE_VEC;
            }
            case GET_SAMPLE_PERCENT -> {
                if (args.isEmpty() || args.size() > 2) {
                    throw error(call.position(), "GetSamplePercent() takes 1 or 2 arguments, not " + args.size());
                }
                for (Expr arg : args) {
                    expect(arg, name, Type.TIMEINTERVAL, Type.TIMESTAMP);
                }
                return Type.DOUBLE;
            }
            case GET_SAMPLE_PERIOD -> {
                noArguments(call);
                return Type.TIMEINTERVAL;
            }
            case COUNT -> {
                noArguments(call);
                return Type.DOUBLE;
            }
            case HISTORY_BEGIN_TIME -> {
                noArguments(call);
                return Type.TIMESTAMP;
            }
        }
        throw new IllegalStateException("unknown method " + call.method());
    }

    private void noArguments(Expr.MethodCall call) throws FormulaException {
        if (!call.arguments().isEmpty()) {
            throw error(call.position(), call.method().formulaName() + "() takes no arguments");
        }
    }

    private void atLeast(Expr.Call call, int n) throws FormulaException {
        if (call.arguments().size() < n) {
            throw error(call.position(), call.function().formulaName() + "() needs at least " + n + " argument");
        }
    }

    private void exactly(Expr.Call call, int n) throws FormulaException {
        int size = call.arguments().size();
        if (size != n) {
            throw error(call.position(), call.function().formulaName() + "() takes " + n + " argument"
                    + (n == 1 ? "" : "s") + ", not " + size);
        }
    }

    private void numericArguments(Expr.Call call) throws FormulaException {
        for (Expr arg : call.arguments()) {
            expect(arg, call.function().formulaName(), Type.DOUBLE, Type.DOUBLE_VEC);
        }
    }

    /** The argument's type, which must be one of {@code allowed} (or nothing, for stop()). */
    private Type expect(Expr arg, String function, Type... allowed) throws FormulaException {
        Type type = valueType(arg);
        if (type == Type.NONE) {
            return type;
        }
        for (Type t : allowed) {
            if (t == type) {
                return type;
            }
        }
        StringBuilder wanted = new StringBuilder();
        for (int i = 0; i < allowed.length; i++) {
            if (i > 0) {
                wanted.append(i == allowed.length - 1 ? " or " : ", ");
            }
            wanted.append(allowed[i]);
        }
        throw error(arg.position(), "An argument of " + function + "() must be a " + wanted + ", not a " + type);
    }
}
