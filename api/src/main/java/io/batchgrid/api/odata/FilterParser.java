package io.batchgrid.api.odata;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.batchgrid.api.odata.FilterExpr.Op;
import io.batchgrid.api.odata.FilterSchema.Type;

/**
 * Parses the OData {@code $filter} subset Azure Batch accepts, checked against a list's
 * {@link FilterSchema}:
 *
 * <pre>
 * filter     := or
 * or         := and ('or' and)*
 * and        := unary ('and' unary)*
 * unary      := 'not' unary | primary
 * primary    := '(' or ')' | 'startswith' '(' path ',' string ')' | operand op operand
 * operand    := path | string | number | 'true' | 'false' | 'null' | DateTime'…'
 * op         := eq | ne | gt | ge | lt | le
 * path       := name ('/' name)*
 * </pre>
 *
 * Keywords are case-insensitive, property names are not. One side of a comparison is a property,
 * the other a literal of the property's type (or {@code null}, with eq and ne). Every error is a
 * {@link FilterException} naming the 1-based position.
 */
public final class FilterParser {

  /** Longer filters are refused: no legitimate query needs more, and parsing stays cheap. */
  public static final int MAX_LENGTH = 8192;
  /** Deeper nesting is refused, so that no filter can exhaust the stack. */
  static final int MAX_DEPTH = 100;

  private enum Kind { NAME, STRING, NUMBER, DATETIME, LPAREN, RPAREN, COMMA, END }

  private record Token(Kind kind, String text, int pos) {
    boolean is(String keyword) {
      return kind == Kind.NAME && text.equalsIgnoreCase(keyword);
    }
  }

  private final FilterSchema schema;
  private final List<Token> tokens;
  private int next;
  private int depth;

  private FilterParser(String text, FilterSchema schema) {
    this.schema = schema;
    this.tokens = tokenize(text);
  }

  public static FilterExpr parse(String filter, FilterSchema schema) {
    if (filter.length() > MAX_LENGTH) {
      throw new FilterException(MAX_LENGTH + 1, "The filter is longer than " + MAX_LENGTH + " characters");
    }
    FilterParser p = new FilterParser(filter, schema);
    if (p.peek().kind() == Kind.END) {
      throw new FilterException(1, "The filter is empty");
    }
    FilterExpr e = p.or();
    Token t = p.peek();
    if (t.kind() != Kind.END) {
      throw new FilterException(t.pos(), "Unexpected '" + t.text() + "'; expected 'and', 'or' or the end");
    }
    return e;
  }

  // -------------------------------------------------------------------------------- tokens

  private static List<Token> tokenize(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int pos = i + 1;
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '(') {
        out.add(new Token(Kind.LPAREN, "(", pos));
        i++;
      } else if (c == ')') {
        out.add(new Token(Kind.RPAREN, ")", pos));
        i++;
      } else if (c == ',') {
        out.add(new Token(Kind.COMMA, ",", pos));
        i++;
      } else if (c == '\'') {
        StringBuilder b = new StringBuilder();
        i = quoted(s, i, b);
        out.add(new Token(Kind.STRING, b.toString(), pos));
      } else if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
        int j = i + 1;
        while (j < s.length() && (Character.isDigit(s.charAt(j)) || s.charAt(j) == '.' || s.charAt(j) == 'e'
            || s.charAt(j) == 'E' || ((s.charAt(j) == '-' || s.charAt(j) == '+')
                && (s.charAt(j - 1) == 'e' || s.charAt(j - 1) == 'E')))) {
          j++;
        }
        out.add(new Token(Kind.NUMBER, s.substring(i, j), pos));
        i = j;
      } else if (Character.isLetter(c) || c == '_' || c == '$') {
        int j = i + 1;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_' || s.charAt(j) == '/'
            || s.charAt(j) == '$')) {
          j++;
        }
        String word = s.substring(i, j);
        if (j < s.length() && s.charAt(j) == '\'' && word.equalsIgnoreCase("datetime")) {
          StringBuilder b = new StringBuilder();
          i = quoted(s, j, b);
          out.add(new Token(Kind.DATETIME, b.toString(), pos));
        } else {
          out.add(new Token(Kind.NAME, word, pos));
          i = j;
        }
      } else {
        throw new FilterException(pos, "Unexpected character '" + c + "'");
      }
    }
    out.add(new Token(Kind.END, "end of the filter", s.length() + 1));
    return out;
  }

  /** Reads a quoted string starting at {@code s[start] == '\''} ('' is a quote); returns the index after it. */
  private static int quoted(String s, int start, StringBuilder b) {
    int i = start + 1;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\'') {
        if (i + 1 < s.length() && s.charAt(i + 1) == '\'') {
          b.append('\'');
          i += 2;
          continue;
        }
        return i + 1;
      }
      b.append(c);
      i++;
    }
    throw new FilterException(start + 1, "The string is not closed with a quote");
  }

  // -------------------------------------------------------------------------------- grammar

  private Token peek() {
    return tokens.get(next);
  }

  private Token take() {
    Token t = tokens.get(next);
    if (t.kind() != Kind.END) {
      next++;
    }
    return t;
  }

  private Token expect(Kind kind, String what) {
    Token t = take();
    if (t.kind() != kind) {
      throw new FilterException(t.pos(), "Expected " + what + " but found '" + t.text() + "'");
    }
    return t;
  }

  private FilterExpr or() {
    FilterExpr left = and();
    while (peek().is("or")) {
      take();
      left = new FilterExpr.Or(left, and());
    }
    return left;
  }

  private FilterExpr and() {
    FilterExpr left = unary();
    while (peek().is("and")) {
      take();
      left = new FilterExpr.And(left, unary());
    }
    return left;
  }

  private FilterExpr unary() {
    if (++depth > MAX_DEPTH) {
      throw new FilterException(peek().pos(), "The filter is nested more than " + MAX_DEPTH + " levels deep");
    }
    try {
      if (peek().is("not")) {
        take();
        return new FilterExpr.Not(unary());
      }
      return primary();
    } finally {
      depth--;
    }
  }

  private FilterExpr primary() {
    Token t = peek();
    if (t.kind() == Kind.LPAREN) {
      take();
      FilterExpr e = or();
      expect(Kind.RPAREN, "')'");
      return e;
    }
    if (t.is("startswith") && tokens.get(Math.min(next + 1, tokens.size() - 1)).kind() == Kind.LPAREN) {
      take();
      take();
      Token prop = expect(Kind.NAME, "a property name");
      Type type = property(prop);
      if (type.kind() != Type.Kind.STRING && type.kind() != Type.Kind.ENUM) {
        throw new FilterException(prop.pos(), "startswith needs a string property; " + prop.text() + " is "
            + type.describe());
      }
      expect(Kind.COMMA, "','");
      Token prefix = expect(Kind.STRING, "a quoted string");
      expect(Kind.RPAREN, "')'");
      return new FilterExpr.StartsWith(path(prop.text()), prefix.text());
    }
    Token left = take();
    Token opToken = take();
    Op op = op(opToken);
    Token right = take();
    if (isProperty(left)) {
      return compare(left, op, opToken, right);
    }
    if (isProperty(right)) {
      return compare(right, op.flipped(), opToken, left);
    }
    if (left.kind() == Kind.NAME) {
      property(left); // names the unknown property
    }
    throw new FilterException(left.pos(), "A comparison needs a property on one side");
  }

  private static boolean isProperty(Token t) {
    return t.kind() == Kind.NAME && !t.is("true") && !t.is("false") && !t.is("null");
  }

  private static Op op(Token t) {
    if (t.kind() == Kind.NAME) {
      switch (t.text().toLowerCase(Locale.ROOT)) {
        case "eq": return Op.EQ;
        case "ne": return Op.NE;
        case "gt": return Op.GT;
        case "ge": return Op.GE;
        case "lt": return Op.LT;
        case "le": return Op.LE;
        default: break;
      }
    }
    throw new FilterException(t.pos(), "Expected a comparison operator (eq, ne, gt, ge, lt, le) but found '"
        + t.text() + "'");
  }

  private Type property(Token t) {
    Type type = schema.type(t.text());
    if (type == null) {
      throw new FilterException(t.pos(), "'" + t.text() + "' is not a property " + schema.what()
          + " can be filtered on; these are: " + String.join(", ", new java.util.TreeSet<>(schema.properties())));
    }
    return type;
  }

  private static List<String> path(String name) {
    return List.of(name.split("/"));
  }

  private FilterExpr compare(Token prop, Op op, Token opToken, Token lit) {
    Type type = property(prop);
    FilterExpr.Literal literal = literal(lit, type, prop.text());
    if (literal == FilterExpr.Null.INSTANCE && op != Op.EQ && op != Op.NE) {
      throw new FilterException(opToken.pos(), "null can only be compared with eq or ne");
    }
    if ((type.kind() == Type.Kind.BOOLEAN || type.kind() == Type.Kind.ENUM) && op != Op.EQ && op != Op.NE) {
      throw new FilterException(opToken.pos(), prop.text() + " is " + type.describe()
          + ": only eq and ne compare it");
    }
    return new FilterExpr.Compare(path(prop.text()), type, op, literal);
  }

  private FilterExpr.Literal literal(Token t, Type type, String property) {
    if (t.is("null")) {
      return FilterExpr.Null.INSTANCE;
    }
    String wanted = switch (type.kind()) {
      case STRING, ENUM -> "a quoted string";
      case NUMBER -> "a number";
      case BOOLEAN -> "true or false";
      case DATETIME -> "a DateTime'yyyy-mm-ddThh:mm:ssZ' literal";
    };
    FilterException mismatch = new FilterException(t.pos(), property + " is " + type.describe() + "; expected "
        + wanted + " but found '" + t.text() + "'");
    switch (type.kind()) {
      case STRING:
      case ENUM:
        if (t.kind() != Kind.STRING) {
          throw mismatch;
        }
        if (type.kind() == Type.Kind.ENUM && !type.values().contains(t.text().toLowerCase(Locale.ROOT))) {
          throw new FilterException(t.pos(), "'" + t.text() + "' is not a value of " + property + ", which is "
              + type.describe());
        }
        return new FilterExpr.Str(t.text());
      case NUMBER:
        if (t.kind() != Kind.NUMBER) {
          throw mismatch;
        }
        try {
          double d = Double.parseDouble(t.text());
          if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw mismatch;
          }
          return new FilterExpr.Num(d);
        } catch (NumberFormatException e) {
          throw new FilterException(t.pos(), "'" + t.text() + "' is not a number");
        }
      case BOOLEAN:
        if (t.is("true") || t.is("false")) {
          return new FilterExpr.Bool(t.is("true"));
        }
        throw mismatch;
      case DATETIME:
      default:
        if (t.kind() != Kind.DATETIME) {
          throw mismatch;
        }
        return new FilterExpr.DateTime(dateTime(t));
    }
  }

  private static long dateTime(Token t) {
    String s = t.text().trim();
    try {
      return OffsetDateTime.parse(s).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC).toEpochMilli(); // no zone: UTC
      } catch (DateTimeParseException e2) {
        try {
          return Instant.parse(s).toEpochMilli();
        } catch (DateTimeParseException e3) {
          throw new FilterException(t.pos(), "'" + s + "' is not an ISO 8601 date and time");
        }
      }
    }
  }
}
