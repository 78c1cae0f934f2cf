package io.batchgrid.api.odata;

import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

import io.batchgrid.api.odata.FilterExpr.Op;
import io.batchgrid.api.wire.WireTime;

/**
 * A parsed {@code $filter} compiled to a predicate over an entity's wire JSON.
 *
 * <p>Semantics: strings (and enum values) compare ordinally, ignoring case, as Azure Batch ids and
 * states do; numbers as doubles; {@code DateTime} against the property's ISO 8601 UTC time (the wire
 * times all have the same fixed width, so they compare as text). A missing or null property equals
 * only {@code null}: every other comparison with it is false, except {@code ne}, which is true.
 */
public final class Filter {
  private Filter() {}

  public static final Predicate<JsonNode> ALL = o -> true;

  /** Parses and compiles; a {@link FilterException} says what is wrong and where. */
  public static Predicate<JsonNode> compile(String filter, FilterSchema schema) {
    return compile(FilterParser.parse(filter, schema));
  }

  public static Predicate<JsonNode> compile(FilterExpr e) {
    if (e instanceof FilterExpr.And a) {
      Predicate<JsonNode> l = compile(a.left());
      Predicate<JsonNode> r = compile(a.right());
      return o -> l.test(o) && r.test(o);
    }
    if (e instanceof FilterExpr.Or a) {
      Predicate<JsonNode> l = compile(a.left());
      Predicate<JsonNode> r = compile(a.right());
      return o -> l.test(o) || r.test(o);
    }
    if (e instanceof FilterExpr.Not n) {
      Predicate<JsonNode> inner = compile(n.operand());
      return o -> !inner.test(o);
    }
    if (e instanceof FilterExpr.StartsWith s) {
      String[] path = s.path().toArray(String[]::new);
      String prefix = s.prefix();
      return o -> {
        JsonNode v = value(o, path);
        return v != null && v.isTextual() && v.textValue().regionMatches(true, 0, prefix, 0, prefix.length());
      };
    }
    FilterExpr.Compare c = (FilterExpr.Compare) e;
    return compare(c.path(), c.op(), c.literal());
  }

  private static Predicate<JsonNode> compare(List<String> pathList, Op op, FilterExpr.Literal literal) {
    String[] path = pathList.toArray(String[]::new);
    if (literal == FilterExpr.Null.INSTANCE) {
      boolean wantNull = op == Op.EQ;
      return o -> {
        JsonNode v = value(o, path);
        return (v == null || v.isNull()) == wantNull;
      };
    }
    Comparison cmp;
    if (literal instanceof FilterExpr.Str s) {
      String text = s.value();
      cmp = v -> v.isTextual() ? Integer.signum(v.textValue().compareToIgnoreCase(text)) : null;
    } else if (literal instanceof FilterExpr.Num n) {
      double d = n.value();
      cmp = v -> v.isNumber() ? Integer.signum(Double.compare(v.doubleValue(), d)) : null;
    } else if (literal instanceof FilterExpr.Bool b) {
      boolean want = b.value();
      cmp = v -> v.isBoolean() ? (v.booleanValue() == want ? 0 : 1) : null;
    } else {
      String iso = WireTime.iso(((FilterExpr.DateTime) literal).epochMs());
      cmp = v -> v.isTextual() ? Integer.signum(v.textValue().compareTo(iso)) : null;
    }
    return o -> {
      JsonNode v = value(o, path);
      Integer r = v == null || v.isNull() ? null : cmp.apply(v);
      if (r == null) {
        return op == Op.NE;
      }
      return switch (op) {
        case EQ -> r == 0;
        case NE -> r != 0;
        case GT -> r > 0;
        case GE -> r >= 0;
        case LT -> r < 0;
        case LE -> r <= 0;
      };
    };
  }

  @FunctionalInterface
  private interface Comparison {
    /** -1, 0, 1; null when the value has another type. */
    Integer apply(JsonNode v);
  }

  private static JsonNode value(JsonNode o, String[] path) {
    JsonNode n = o;
    for (String p : path) {
      if (n == null) {
        return null;
      }
      n = n.get(p);
    }
    return n;
  }
}
