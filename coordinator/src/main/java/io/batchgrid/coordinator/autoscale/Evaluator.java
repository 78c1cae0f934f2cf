package io.batchgrid.coordinator.autoscale;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Runs a checked formula against one {@link SampleSource}. One instance per evaluation; not thread-safe.
 * The type checker has already rejected every ill-typed operation, so a type mismatch here is a bug
 * ({@link IllegalStateException}), not a formula error.
 */
final class Evaluator {

    /** Ends the evaluation with a formula error. */
    private static final class Failure extends RuntimeException {
        final FormulaError error;

        Failure(FormulaError error) {
            super(error.toString(), null, false, false);
            this.error = error;
        }
    }

    /** Ends the evaluation because the formula called stop(). */
    private static final class Stop extends RuntimeException {
        Stop() {
            super("stop()", null, false, false);
        }
    }

    private final SampleSource source;
    private final RandomGenerator random;
    private final long nowTicks;
    private final long periodTicks;
    private final Map<String, Value> userVariables = new HashMap<>();
    private final Map<ServiceVariable, Value> writable = new EnumMap<>(ServiceVariable.class);
    private final Map<ServiceVariable, Position> assignedAt = new EnumMap<>(ServiceVariable.class);
    private final Map<ServiceVariable, SampleSeries> series = new EnumMap<>(ServiceVariable.class);
    private final Map<ServiceVariable, Double> scalars = new EnumMap<>(ServiceVariable.class);

    Evaluator(SampleSource source, RandomGenerator random) {
        this.source = source;
        this.random = random;
        this.nowTicks = Value.Timestamp.of(source.now()).ticks();
        long period = source.samplePeriod().toNanos() / 100;
        if (period <= 0) {
            throw new IllegalArgumentException("sample period must be positive: " + source.samplePeriod());
        }
        this.periodTicks = period;
    }

    AutoscaleRun run(List<Statement> statements) {
        Optional<FormulaError> error = Optional.empty();
        boolean stopped = false;
        try {
            for (Statement statement : statements) {
                execute(statement);
            }
            validateTargets();
        } catch (Failure f) {
            error = Optional.of(f.error);
        } catch (Stop s) {
            stopped = true;
        }
        return new AutoscaleRun(source.now(), resultVariables(), error, stopped);
    }

    private static Failure failure(Position at, String detail) {
        return new Failure(FormulaError.evaluation(at, detail));
    }

    // ---- statements and results

    private void execute(Statement statement) {
        if (statement instanceof Statement.Evaluate e) {
            eval(e.expression());
            return;
        }
        Statement.Assignment assignment = (Statement.Assignment) statement;
        Value value = eval(assignment.value());
        Expr.Target target = assignment.target();
        if (target instanceof Expr.UserVariable user) {
            userVariables.put(user.name(), value);
            return;
        }
        ServiceVariable variable = ((Expr.ServiceVariableRef) target).variable();
        if (variable == ServiceVariable.NODE_DEALLOCATION_OPTION) {
            String text = ((Value.Str) value).value();
            NodeDeallocationOption option = NodeDeallocationOption.parse(text).orElseThrow(() ->
                    failure(assignment.value().position(), "'" + text + "' is not a node deallocation option;"
                            + " use requeue, terminate, taskcompletion or retaineddata"));
            value = new Value.Str(option.wireName());
        } else if (value instanceof Value.Vec vec) {
            if (vec.size() != 1) {
                throw failure(assignment.value().position(), "Cannot assign a doubleVec of " + vec.size()
                        + " values to " + variable.formulaName() + "; it takes a single double");
            }
            value = new Value.Num(vec.values()[0]);
        }
        writable.put(variable, value);
        assignedAt.put(variable, assignment.position());
    }

    /** The value a target ends with: its full name if assigned, else its old name if assigned, else the pool's. */
    private Value finalTarget(ServiceVariable full, ServiceVariable old) {
        Value v = writable.get(full);
        if (v == null) {
            v = writable.get(old);
        }
        return v != null ? v : new Value.Num(scalar(full));
    }

    private void validateTargets() {
        check(ServiceVariable.TARGET_DEDICATED_NODES, ServiceVariable.TARGET_DEDICATED);
        check(ServiceVariable.TARGET_LOW_PRIORITY_NODES, ServiceVariable.TARGET_LOW_PRIORITY);
    }

    private void check(ServiceVariable full, ServiceVariable old) {
        double value = ((Value.Num) finalTarget(full, old)).value();
        if (!(value >= 0) || value >= Integer.MAX_VALUE + 1.0) {
            Position at = assignedAt.getOrDefault(full, assignedAt.getOrDefault(old, new Position(1, 1)));
            throw failure(at, full.formulaName() + " must be a number of nodes from 0 to " + Integer.MAX_VALUE
                    + ", not " + ResultFormat.number(value));
        }
    }

    private List<AutoscaleRun.ResultVariable> resultVariables() {
        List<AutoscaleRun.ResultVariable> list = new ArrayList<>(3 + userVariables.size());
        list.add(new AutoscaleRun.ResultVariable(ServiceVariable.TARGET_DEDICATED_NODES.formulaName(),
                finalTarget(ServiceVariable.TARGET_DEDICATED_NODES, ServiceVariable.TARGET_DEDICATED)));
        list.add(new AutoscaleRun.ResultVariable(ServiceVariable.TARGET_LOW_PRIORITY_NODES.formulaName(),
                finalTarget(ServiceVariable.TARGET_LOW_PRIORITY_NODES, ServiceVariable.TARGET_LOW_PRIORITY)));
        list.add(new AutoscaleRun.ResultVariable(ServiceVariable.NODE_DEALLOCATION_OPTION.formulaName(),
                writable.getOrDefault(ServiceVariable.NODE_DEALLOCATION_OPTION,
                        new Value.Str(NodeDeallocationOption.REQUEUE.wireName()))));
        new TreeMap<>(userVariables).forEach((name, value) ->
                list.add(new AutoscaleRun.ResultVariable("$" + name, value)));
        return list;
    }

    private double scalar(ServiceVariable v) {
        return scalars.computeIfAbsent(v, source::scalar);
    }

    private SampleSeries series(ServiceVariable v) {
        return series.computeIfAbsent(v, k -> {
            SampleSeries s = source.series(k);
            return s != null ? s : SampleSeries.empty();
        });
    }

    // ---- expressions

    private Value eval(Expr expr) {
        if (expr instanceof Expr.NumberLiteral n) {
            return new Value.Num(n.value());
        } else if (expr instanceof Expr.StringLiteral s) {
            return new Value.Str(s.value());
        } else if (expr instanceof Expr.Constant c) {
            return c.value();
        } else if (expr instanceof Expr.UserVariable u) {
            Value v = userVariables.get(u.name());
            if (v == null) {
                throw new IllegalStateException("unassigned variable passed the checker: " + u);
            }
            return v;
        } else if (expr instanceof Expr.ServiceVariableRef ref) {
            return readService(ref.variable());
        } else if (expr instanceof Expr.Unary u) {
            return unary(u);
        } else if (expr instanceof Expr.Binary b) {
            return binary(b);
        } else if (expr instanceof Expr.Conditional c) {
            return truthy(eval(c.condition())) ? eval(c.whenTrue()) : eval(c.whenFalse());
        } else if (expr instanceof Expr.Call c) {
            return Functions.call(this, c);
        } else if (expr instanceof Expr.MethodCall m) {
            return method(m);
        } else if (expr instanceof Expr.Member m) {
            return new Value.Num(m.member().of((Value.Timestamp) eval(m.receiver())));
        }
        throw new IllegalStateException("unknown expression " + expr);
    }

    /** Evaluates an argument; used by {@link Functions}. */
    Value evaluate(Expr expr) {
        return eval(expr);
    }

    long nowTicks() {
        return nowTicks;
    }

    RandomGenerator random() {
        return random;
    }

    static RuntimeException fail(Position at, String detail) {
        return failure(at, detail);
    }

    static RuntimeException stop() {
        return new Stop();
    }

    private Value readService(ServiceVariable v) {
        if (v.kind() == ServiceVariable.Kind.SCALAR) {
            return new Value.Num(scalar(v));
        }
        Value assigned = writable.get(v);
        if (assigned != null) {
            return assigned;
        }
        return switch (v) {
            case NODE_DEALLOCATION_OPTION -> new Value.Str(NodeDeallocationOption.REQUEUE.wireName());
            case TARGET_DEDICATED, TARGET_LOW_PRIORITY -> readService(v.canonical());
            case TARGET_DEDICATED_NODES, TARGET_LOW_PRIORITY_NODES -> new Value.Num(scalar(v));
            default -> throw new IllegalStateException("metric read as a value: " + v);
        };
    }

    static boolean truthy(Value v) {
        return ((Value.Num) v).value() != 0;
    }

    private Value unary(Expr.Unary u) {
        Value v = eval(u.operand());
        return switch (u.operator()) {
            case PLUS -> v;
            case NOT -> Value.Num.of(!truthy(v));
            case NEGATE -> {
                if (v instanceof Value.Num n) {
                    yield new Value.Num(-n.value());
                } else if (v instanceof Value.Vec vec) {
                    double[] out = new double[vec.size()];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = -vec.values()[i];
                    }
                    yield new Value.Vec(out);
                } else if (v instanceof Value.Interval i) {
                    yield new Value.Interval(-i.ticks());
                }
                throw new IllegalStateException("bad operand for -: " + v);
            }
        };
    }

    private Value binary(Expr.Binary b) {
        Expr.BinaryOperator op = b.operator();
        if (op == Expr.BinaryOperator.AND) {
            return Value.Num.of(truthy(eval(b.left())) && truthy(eval(b.right())));
        }
        if (op == Expr.BinaryOperator.OR) {
            return Value.Num.of(truthy(eval(b.left())) || truthy(eval(b.right())));
        }
        Value left = eval(b.left());
        Value right = eval(b.right());
        if (op.isComparison()) {
            return Value.Num.of(compare(op, left, right));
        }
        if (left instanceof Value.Num l && right instanceof Value.Num r) {
            return new Value.Num(arithmetic(op, l.value(), r.value()));
        }
        if ((left instanceof Value.Num || left instanceof Value.Vec)
                && (right instanceof Value.Num || right instanceof Value.Vec)) {
            return vectorArithmetic(b, left, right);
        }
        return timeArithmetic(b, left, right);
    }

    private static double arithmetic(Expr.BinaryOperator op, double l, double r) {
        return switch (op) {
            case ADD -> l + r;
            case SUBTRACT -> l - r;
            case MULTIPLY -> l * r;
            case DIVIDE -> l / r;
            default -> throw new IllegalStateException("not arithmetic: " + op);
        };
    }

    private static Value vectorArithmetic(Expr.Binary b, Value left, Value right) {
        double[] l = left instanceof Value.Vec v ? v.values() : null;
        double[] r = right instanceof Value.Vec v ? v.values() : null;
        if (l != null && r != null && l.length != r.length) {
            throw failure(b.position(), "Operator '" + b.operator().symbol + "' needs doubleVecs of the same length, not "
                    + l.length + " and " + r.length);
        }
        int n = l != null ? l.length : r.length;
        double ls = l == null ? ((Value.Num) left).value() : 0;
        double rs = r == null ? ((Value.Num) right).value() : 0;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = arithmetic(b.operator(), l != null ? l[i] : ls, r != null ? r[i] : rs);
        }
        return new Value.Vec(out);
    }

    private static Value timeArithmetic(Expr.Binary b, Value left, Value right) {
        try {
            switch (b.operator()) {
                case ADD -> {
                    if (left instanceof Value.Interval l && right instanceof Value.Interval r) {
                        return new Value.Interval(Math.addExact(l.ticks(), r.ticks()));
                    } else if (left instanceof Value.Timestamp t && right instanceof Value.Interval i) {
                        return new Value.Timestamp(Math.addExact(t.ticks(), i.ticks()));
                    } else if (left instanceof Value.Interval i && right instanceof Value.Timestamp t) {
                        return new Value.Timestamp(Math.addExact(t.ticks(), i.ticks()));
                    }
                }
                case SUBTRACT -> {
                    if (left instanceof Value.Interval l && right instanceof Value.Interval r) {
                        return new Value.Interval(Math.subtractExact(l.ticks(), r.ticks()));
                    } else if (left instanceof Value.Timestamp l && right instanceof Value.Timestamp r) {
                        return new Value.Interval(Math.subtractExact(l.ticks(), r.ticks()));
                    } else if (left instanceof Value.Timestamp t && right instanceof Value.Interval i) {
                        return new Value.Timestamp(Math.subtractExact(t.ticks(), i.ticks()));
                    }
                }
                case MULTIPLY -> {
                    if (left instanceof Value.Interval i && right instanceof Value.Num n) {
                        return scale(b, i.ticks(), n.value());
                    } else if (left instanceof Value.Num n && right instanceof Value.Interval i) {
                        return scale(b, i.ticks(), n.value());
                    }
                }
                case DIVIDE -> {
                    if (left instanceof Value.Interval i && right instanceof Value.Num n) {
                        if (n.value() == 0) {
                            throw failure(b.position(), "Division of a timeinterval by zero");
                        }
                        return scale(b, i.ticks(), 1 / n.value());
                    }
                }
                default -> {
                }
            }
        } catch (ArithmeticException overflow) {
            throw failure(b.position(), "The time is out of range");
        }
        throw new IllegalStateException("bad operands for " + b.operator() + ": " + left + ", " + right);
    }

    private static Value.Interval scale(Expr.Binary b, long ticks, double factor) {
        double scaled = Math.rint(ticks * factor);
        if (!Double.isFinite(scaled) || Math.abs(scaled) >= 9.2e18) {
            throw failure(b.position(), "The timeinterval is out of range");
        }
        return new Value.Interval((long) scaled);
    }

    private static boolean compare(Expr.BinaryOperator op, Value left, Value right) {
        if (left instanceof Value.Num l && right instanceof Value.Num r) {
            double a = l.value();
            double b = r.value();
            return switch (op) {
                case LESS -> a < b;
                case LESS_EQUAL -> a <= b;
                case GREATER -> a > b;
                case GREATER_EQUAL -> a >= b;
                case EQUAL -> a == b;
                case NOT_EQUAL -> a != b;
                default -> throw new IllegalStateException(op.name());
            };
        }
        int c;
        if (left instanceof Value.Str l && right instanceof Value.Str r) {
            c = l.value().compareTo(r.value());
        } else if (left instanceof Value.Timestamp l && right instanceof Value.Timestamp r) {
            c = Long.compare(l.ticks(), r.ticks());
        } else if (left instanceof Value.Interval l && right instanceof Value.Interval r) {
            c = Long.compare(l.ticks(), r.ticks());
        } else {
            throw new IllegalStateException("bad operands for " + op + ": " + left + ", " + right);
        }
        return switch (op) {
            case LESS -> c < 0;
            case LESS_EQUAL -> c <= 0;
            case GREATER -> c > 0;
            case GREATER_EQUAL -> c >= 0;
            case EQUAL -> c == 0;
            case NOT_EQUAL -> c != 0;
            default -> throw new IllegalStateException(op.name());
        };
    }

    // ---- sample methods

    private Value method(Expr.MethodCall m) {
        ServiceVariable metric = ((Expr.ServiceVariableRef) m.receiver()).variable();
        SampleSeries history = series(metric);
        List<Value> args = new ArrayList<>(m.arguments().size());
        for (Expr arg : m.arguments()) {
            args.add(eval(arg));
        }
        return switch (m.method()) {
            case GET_SAMPLE_PERIOD -> new Value.Interval(periodTicks);
            case COUNT -> new Value.Num(history.size());
            case HISTORY_BEGIN_TIME -> {
                if (history.size() == 0) {
                    throw new Failure(FormulaError.insufficientSamples(m.position(),
                            "Insufficient data from data set: " + metric.formulaName() + " has no samples"));
                }
                yield new Value.Timestamp(history.timestampMillis(0) * Value.TICKS_PER_MILLI);
            }
            case GET_SAMPLE_PERCENT -> new Value.Num(window(history, args.get(0),
                    args.size() > 1 ? args.get(1) : null).percent);
            case GET_SAMPLE -> getSample(m, metric, history, args);
        };
    }

    private Value getSample(Expr.MethodCall m, ServiceVariable metric, SampleSeries history, List<Value> args) {
        if (args.get(0) instanceof Value.Num count) {
            double requested = count.value();
            if (!(requested >= 1) || requested != Math.floor(requested) || requested > Integer.MAX_VALUE) {
                throw failure(m.arguments().get(0).position(),
                        "GetSample(count) needs a whole number of samples of at least 1, not "
                                + ResultFormat.number(requested));
            }
            int wanted = (int) requested;
            int available = history.size();
            if (available < wanted) {
                throw new Failure(FormulaError.insufficientSamples(m.position(), "Insufficient data from data set: "
                        + metric.formulaName() + " wanted " + wanted + " samples, received " + available));
            }
            return values(history, available - wanted, available);
        }
        Value end = args.size() > 1 && !(args.get(1) instanceof Value.Num) ? args.get(1) : null;
        Value percentArg = args.get(args.size() - 1) instanceof Value.Num p && args.size() > 1 ? p : null;
        Window w = window(history, args.get(0), end);
        if (percentArg != null) {
            double required = ((Value.Num) percentArg).value();
            if (w.percent < required) {
                throw new Failure(FormulaError.insufficientSamples(m.position(), "Insufficient data from data set: "
                        + metric.formulaName() + " wanted " + ResultFormat.number(required) + "%, received "
                        + (long) Math.floor(w.percent) + "%"));
            }
        }
        return values(history, w.from, w.to);
    }

    private static Value.Vec values(SampleSeries history, int from, int to) {
        double[] out = new double[history.valueCount(from, to)];
        history.copyValues(from, to, out, 0);
        return new Value.Vec(out);
    }

    /** Samples {@code from} (inclusive) to {@code to} (exclusive) lie in the window, which holds {@code percent}%. */
    private record Window(int from, int to, double percent) {
    }

    /**
     * The samples between two points in time, each a timestamp or a timeinterval looking back from now
     * (a missing end is now), in either order: later than the earlier point, no later than the later one,
     * so that ten minutes of 30-second samples are 20 samples. The percentage compares the samples found
     * with the whole sample periods the window spans (at least one), capped at 100.
     */
    private Window window(SampleSeries history, Value start, Value end) {
        long a = pointInTime(start);
        long b = end == null ? nowTicks : pointInTime(end);
        long lo = Math.min(a, b);
        long hi = Math.max(a, b);
        // A sample at t belongs to the window when lo < t <= hi.
        long loMillis = Math.floorDiv(lo, Value.TICKS_PER_MILLI);
        long hiMillis = Math.floorDiv(hi, Value.TICKS_PER_MILLI);
        int from = firstAtOrAfter(history, loMillis + 1);
        int to = firstAtOrAfter(history, hiMillis + 1);
        to = Math.max(from, to);
        long span;
        try {
            span = Math.subtractExact(hi, lo);
        } catch (ArithmeticException e) {
            span = Long.MAX_VALUE;
        }
        long expected = Math.max(1, span / periodTicks);
        double percent = Math.min(100.0, 100.0 * (to - from) / expected);
        return new Window(from, to, percent);
    }

    private long pointInTime(Value v) {
        if (v instanceof Value.Timestamp t) {
            return t.ticks();
        }
        long ticks = ((Value.Interval) v).ticks();
        try {
            return Math.subtractExact(nowTicks, ticks);
        } catch (ArithmeticException e) {
            return ticks > 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** The index of the first sample recorded at or after {@code millis}; size() when there is none. */
    private static int firstAtOrAfter(SampleSeries history, long millis) {
        int lo = 0;
        int hi = history.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (history.timestampMillis(mid) < millis) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    static double[] flatten(List<Value> values) {
        int n = 0;
        for (Value v : values) {
            n += v instanceof Value.Vec vec ? vec.size() : 1;
        }
        double[] out = new double[n];
        int at = 0;
        for (Value v : values) {
            if (v instanceof Value.Vec vec) {
                System.arraycopy(vec.values(), 0, out, at, vec.size());
                at += vec.size();
            } else {
                out[at++] = ((Value.Num) v).value();
            }
        }
        return out;
    }

}
