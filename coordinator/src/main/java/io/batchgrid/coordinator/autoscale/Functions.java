package io.batchgrid.coordinator.autoscale;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.DoubleUnaryOperator;

/** The built-in functions at evaluation time. */
final class Functions {

    private static final double LN2 = Math.log(2);

    private Functions() {
    }

    static Value call(Evaluator evaluator, Expr.Call call) {
        BuiltinFunction function = call.function();
        if (function == BuiltinFunction.STOP) {
            throw Evaluator.stop();
        }
        List<Value> args = new ArrayList<>(call.arguments().size());
        for (Expr arg : call.arguments()) {
            args.add(evaluator.evaluate(arg));
        }
        Position at = call.position();
        String name = function.formulaName();
        return switch (function) {
            case AVG -> {
                double[] v = nonEmpty(at, name, args);
                yield new Value.Num(sum(v) / v.length);
            }
            case LEN -> new Value.Num(Evaluator.flatten(args).length);
            case MAX -> {
                double max = Double.NEGATIVE_INFINITY;
                for (double d : nonEmpty(at, name, args)) {
                    max = Math.max(max, d);
                }
                yield new Value.Num(max);
            }
            case MIN -> {
                double min = Double.POSITIVE_INFINITY;
                for (double d : nonEmpty(at, name, args)) {
                    min = Math.min(min, d);
                }
                yield new Value.Num(min);
            }
            case RANGE -> {
                double[] v = nonEmpty(at, name, args);
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                for (double d : v) {
                    min = Math.min(min, d);
                    max = Math.max(max, d);
                }
                yield new Value.Num(max - min);
            }
            case NORM -> {
                double squares = 0;
                for (double d : Evaluator.flatten(args)) {
                    squares += d * d;
                }
                yield new Value.Num(Math.sqrt(squares));
            }
            case STD -> {
                double[] v = nonEmpty(at, name, args);
                if (v.length == 1) {
                    yield Value.Num.ZERO;
                }
                double mean = sum(v) / v.length;
                double squares = 0;
                for (double d : v) {
                    squares += (d - mean) * (d - mean);
                }
                yield new Value.Num(Math.sqrt(squares / (v.length - 1)));
            }
            case SUM -> new Value.Num(sum(Evaluator.flatten(args)));
            case VEC -> new Value.Vec(Evaluator.flatten(args));
            case CEIL -> componentWise(args, Math::ceil);
            case FLOOR -> componentWise(args, Math::floor);
            case ROUND -> componentWise(args, Functions::roundHalfAwayFromZero);
            case LG -> componentWise(args, d -> Math.log(d) / LN2);
            case LN -> componentWise(args, Math::log);
            case LOG -> componentWise(args, Math::log10);
            case PERCENTILE -> percentile(call, args);
            case VAL -> val(call, args);
            case RAND -> new Value.Num(evaluator.random().nextDouble());
            case TIME -> time(evaluator, call, args);
            case STOP -> throw new IllegalStateException("handled above");
        };
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s;
    }

    private static double[] nonEmpty(Position at, String name, List<Value> args) {
        double[] v = Evaluator.flatten(args);
        if (v.length == 0) {
            throw Evaluator.fail(at, name + "() needs at least one value, but its arguments hold none");
        }
        return v;
    }

    /** One double in, one double out; anything else (a vector, or several arguments) gives a doubleVec. */
    private static Value componentWise(List<Value> args, DoubleUnaryOperator f) {
        if (args.size() == 1 && args.get(0) instanceof Value.Num n) {
            return new Value.Num(f.applyAsDouble(n.value()));
        }
        double[] v = Evaluator.flatten(args);
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(v[i]);
        }
        return new Value.Vec(v);
    }

    static double roundHalfAwayFromZero(double d) {
        if (!Double.isFinite(d)) {
            return d;
        }
        double abs = Math.abs(d);
        double r = Math.floor(abs);
        // abs - floor(abs) is exact, unlike floor(abs + 0.5), which rounds 0.49999999999999994 up to 1.
        if (abs - r >= 0.5) {
            r += 1;
        }
        return Math.copySign(r, d);
    }

    private static double[] vector(Value v) {
        return v instanceof Value.Vec vec ? vec.values() : new double[] {((Value.Num) v).value()};
    }

    /** Nearest rank: the smallest element with at least p% of the values at or below it. */
    private static Value percentile(Expr.Call call, List<Value> args) {
        double[] v = vector(args.get(0));
        double p = ((Value.Num) args.get(1)).value();
        if (!(p >= 0 && p <= 100)) {
            throw Evaluator.fail(call.arguments().get(1).position(),
                    "percentile() needs a percentage from 0 to 100, not " + ResultFormat.number(p));
        }
        if (v.length == 0) {
            throw Evaluator.fail(call.position(), "percentile() of an empty doubleVec");
        }
        int rank = (int) Math.ceil(p / 100.0 * v.length);
        return new Value.Num(select(v.clone(), Math.max(0, rank - 1)));
    }

    /** The k-th smallest value (0-based), found by quickselect in linear expected time; reorders {@code a}. */
    static double select(double[] a, int k) {
        int lo = 0;
        int hi = a.length - 1;
        while (lo < hi) {
            double pivot = a[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (Double.compare(a[i], pivot) < 0) {
                    i++;
                }
                while (Double.compare(a[j], pivot) > 0) {
                    j--;
                }
                if (i <= j) {
                    double t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return a[k];
            }
        }
        return a[k];
    }

    private static Value val(Expr.Call call, List<Value> args) {
        double[] v = vector(args.get(0));
        double i = ((Value.Num) args.get(1)).value();
        if (!(i >= 0 && i < v.length)) {
            throw Evaluator.fail(call.arguments().get(1).position(), "val() index " + ResultFormat.number(i)
                    + " is out of range for a doubleVec of " + v.length + " value" + (v.length == 1 ? "" : "s"));
        }
        return new Value.Num(v[(int) i]);
    }

    private static Value time(Evaluator evaluator, Expr.Call call, List<Value> args) {
        if (args.isEmpty() || ((Value.Str) args.get(0)).value().isEmpty()) {
            return new Value.Timestamp(evaluator.nowTicks());
        }
        String text = ((Value.Str) args.get(0)).value();
        Optional<Instant> parsed = TimeParser.parse(text);
        if (parsed.isEmpty()) {
            throw Evaluator.fail(call.arguments().get(0).position(), "'" + text
                    + "' is not a W3C-DTF or RFC 1123 time");
        }
        try {
            return Value.Timestamp.of(parsed.get());
        } catch (ArithmeticException e) {
            throw Evaluator.fail(call.arguments().get(0).position(), "'" + text + "' is out of range");
        }
    }
}
