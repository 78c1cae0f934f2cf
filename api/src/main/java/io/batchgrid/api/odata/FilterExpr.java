package io.batchgrid.api.odata;

import java.util.List;

/** The syntax tree of an OData {@code $filter}, checked against a {@link FilterSchema}. */
public sealed interface FilterExpr {

  enum Op {
    EQ, NE, GT, GE, LT, LE;

    /** The operator with its operands swapped: {@code 5 lt x} is {@code x gt 5}. */
    Op flipped() {
      return switch (this) {
        case GT -> LT;
        case GE -> LE;
        case LT -> GT;
        case LE -> GE;
        default -> this;
      };
    }
  }

  record And(FilterExpr left, FilterExpr right) implements FilterExpr {}

  record Or(FilterExpr left, FilterExpr right) implements FilterExpr {}

  record Not(FilterExpr operand) implements FilterExpr {}

  /** {@code path op literal}; {@code path} is the property's segments, e.g. [executionInfo, exitCode]. */
  record Compare(List<String> path, FilterSchema.Type type, Op op, Literal literal) implements FilterExpr {}

  /** {@code startswith(path, 'prefix')}. */
  record StartsWith(List<String> path, String prefix) implements FilterExpr {}

  sealed interface Literal {}

  record Str(String value) implements Literal {}

  record Num(double value) implements Literal {}

  record Bool(boolean value) implements Literal {}

  /** A {@code DateTime'…'} literal, kept as epoch milliseconds. */
  record DateTime(long epochMs) implements Literal {}

  enum Null implements Literal { INSTANCE }
}
