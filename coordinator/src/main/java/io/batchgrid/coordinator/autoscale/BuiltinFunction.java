package io.batchgrid.coordinator.autoscale;

import java.util.Locale;
import java.util.Optional;

/** The built-in functions. A {@code doubleVecList} argument list is any mix of doubles and doubleVecs. */
public enum BuiltinFunction {
    /** avg(doubleVecList): the mean of all values. */
    AVG,
    /** ceil(double) or ceil(doubleVecList): the smallest integral value at or above (component-wise for a list). */
    CEIL,
    /** floor(double) or floor(doubleVecList): the largest integral value at or below (component-wise for a list). */
    FLOOR,
    /** len(doubleVecList): the number of values. */
    LEN,
    /** lg(double) or lg(doubleVecList): log base 2 (component-wise for a list). */
    LG,
    /** ln(double) or ln(doubleVecList): natural log (component-wise for a list). */
    LN,
    /** log(double) or log(doubleVecList): log base 10 (component-wise for a list). */
    LOG,
    /** max(doubleVecList): the largest value. */
    MAX,
    /** min(doubleVecList): the smallest value. */
    MIN,
    /** norm(doubleVecList): the two-norm. */
    NORM,
    /** percentile(doubleVec v, double p): the element at the p-th percentile (nearest rank), p in [0, 100]. */
    PERCENTILE,
    /** rand(): a random value in [0, 1). */
    RAND,
    /** range(doubleVecList): max minus min. */
    RANGE,
    /** round(double) or round(doubleVecList): the nearest integral value, halves away from zero. */
    ROUND,
    /** std(doubleVecList): the sample standard deviation (n - 1). */
    STD,
    /** stop(): ends the evaluation; the run's targets are not to be applied. */
    STOP,
    /** sum(doubleVecList): the sum. */
    SUM,
    /** time() or time(string): now, or the W3C-DTF / RFC 1123 time in the string. */
    TIME,
    /** val(doubleVec v, double i): element i, counting from 0. */
    VAL,
    /** vec(doubleVecList): the list as one doubleVec (a batchgrid extension: Azure's docs name vec() but do not list it). */
    VEC;

    /** The name as written in formulas. */
    public String formulaName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The function with that name, ignoring case. */
    public static Optional<BuiltinFunction> byName(String name) {
        for (BuiltinFunction f : values()) {
            if (f.formulaName().equalsIgnoreCase(name)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
