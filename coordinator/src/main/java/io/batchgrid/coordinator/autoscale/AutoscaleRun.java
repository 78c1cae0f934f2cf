package io.batchgrid.coordinator.autoscale;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The outcome of one evaluation, shaped like Azure's {@code autoScaleRun}: when it ran, the final value
 * of every variable, and an error if it failed. A failed or stopped run still lists the values the
 * variables had when it ended, as Azure does.
 *
 * @param timestamp the evaluation's "now"
 * @param variables $TargetDedicatedNodes, $TargetLowPriorityNodes, $NodeDeallocationOption, then the
 *                  formula's own variables in ordinal order of their names
 * @param error     present when the evaluation failed
 * @param stopped   true when the formula called {@code stop()}
 */
public record AutoscaleRun(Instant timestamp, List<ResultVariable> variables, Optional<FormulaError> error,
                           boolean stopped) {

    public AutoscaleRun {
        Objects.requireNonNull(timestamp, "timestamp");
        variables = List.copyOf(variables);
        Objects.requireNonNull(error, "error");
    }

    /** One variable's final value; {@code name} carries its {@code $}. */
    public record ResultVariable(String name, Value value) {
        /** {@code $name=value}, as in the results string. */
        @Override
        public String toString() {
            return name + "=" + value.format();
        }
    }

    /** The node counts and deallocation option a successful run asks the pool to move to. */
    public record Targets(int dedicatedNodes, int lowPriorityNodes, NodeDeallocationOption deallocationOption) {
    }

    /** This run with {@code error} instead of its own. */
    AutoscaleRun withError(FormulaError error) {
        return new AutoscaleRun(timestamp, variables, Optional.of(error), stopped);
    }

    /** True when the evaluation ended without an error (including a run ended by {@code stop()}). */
    public boolean succeeded() {
        return error.isEmpty();
    }

    /**
     * Azure's results string: {@code $TargetDedicatedNodes=4;$TargetLowPriorityNodes=0;
     * $NodeDeallocationOption=requeue;$myVar=...}, no trailing separator.
     */
    public String results() {
        return variables.stream().map(ResultVariable::toString).collect(Collectors.joining(";"));
    }

    /** The final value of the variable named {@code name} (with its {@code $}, case as listed), if listed. */
    public Optional<Value> variable(String name) {
        return variables.stream().filter(v -> v.name().equals(name)).map(ResultVariable::value).findFirst();
    }

    /**
     * What the pool should be resized to: present only for a run that succeeded and was not stopped.
     * Fractional targets are truncated (formulas such as {@code (tasks + 3) / 4} rely on it).
     */
    public Optional<Targets> targets() {
        if (!succeeded() || stopped) {
            return Optional.empty();
        }
        return Optional.of(new Targets(nodeCount(ServiceVariable.TARGET_DEDICATED_NODES),
                nodeCount(ServiceVariable.TARGET_LOW_PRIORITY_NODES),
                NodeDeallocationOption.parse(stringValue(ServiceVariable.NODE_DEALLOCATION_OPTION))
                        .orElse(NodeDeallocationOption.REQUEUE)));
    }

    private int nodeCount(ServiceVariable v) {
        return (int) ((Value.Num) variable(v.formulaName()).orElseThrow()).value();
    }

    private String stringValue(ServiceVariable v) {
        return ((Value.Str) variable(v.formulaName()).orElseThrow()).value();
    }
}
