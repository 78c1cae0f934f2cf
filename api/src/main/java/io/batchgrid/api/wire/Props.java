package io.batchgrid.api.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.routes.ApiError;

/**
 * Typed reading of one JSON object of a request body. Absent properties and JSON nulls read as
 * null; a property of the wrong type is an {@code InvalidPropertyValue} naming it; unknown
 * properties are ignored, as Azure Batch ignores them.
 */
public final class Props {
  private final ObjectNode node;
  private final String path;

  public Props(ObjectNode node, String path) {
    this.node = node;
    this.path = path;
  }

  public static Props root(ObjectNode node) {
    return new Props(node, "");
  }

  public String path(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  public boolean has(String name) {
    JsonNode v = node.get(name);
    return v != null && !v.isNull();
  }

  private JsonNode get(String name) {
    JsonNode v = node.get(name);
    return v == null || v.isNull() ? null : v;
  }

  public ApiError invalid(String name, String reason) {
    JsonNode v = get(name);
    String shown = v == null ? null : v.isTextual() ? v.textValue() : v.toString();
    return ApiError.invalidProperty(name, shown, reason + " (at " + path(name) + ")");
  }

  public String string(String name) {
    JsonNode v = get(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw invalid(name, "A string is expected");
    }
    return v.textValue();
  }

  public String requiredString(String name) {
    String s = string(name);
    if (s == null) {
      throw ApiError.missingProperty(name);
    }
    return s;
  }

  /** A required string that must not be empty or blank. */
  public String requiredText(String name) {
    String s = requiredString(name);
    if (s.isBlank()) {
      throw invalid(name, "The value must not be empty");
    }
    return s;
  }

  public Integer integer(String name) {
    JsonNode v = get(name);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw invalid(name, "A 32-bit integer is expected");
    }
    return v.intValue();
  }

  public Integer integer(String name, int min, int max) {
    Integer i = integer(name);
    if (i != null && (i < min || i > max)) {
      throw invalid(name, "The value must be between " + min + " and " + max);
    }
    return i;
  }

  public int requiredInteger(String name) {
    Integer i = integer(name);
    if (i == null) {
      throw ApiError.missingProperty(name);
    }
    return i;
  }

  public Boolean bool(String name) {
    JsonNode v = get(name);
    if (v == null) {
      return null;
    }
    if (!v.isBoolean()) {
      throw invalid(name, "true or false is expected");
    }
    return v.booleanValue();
  }

  /** An ISO 8601 duration in milliseconds. */
  public Long durationMs(String name) {
    String s = string(name);
    if (s == null) {
      return null;
    }
    try {
      return WireTime.parseDurationMs(s);
    } catch (IllegalArgumentException e) {
      throw invalid(name, "An ISO 8601 duration is expected: " + e.getMessage());
    }
  }

  /** One of {@code allowed} (lowercase), matched case-insensitively, returned lowercase. */
  public String enumValue(String name, Set<String> allowed) {
    String s = string(name);
    if (s == null) {
      return null;
    }
    String lower = s.toLowerCase(Locale.ROOT);
    if (!allowed.contains(lower)) {
      throw invalid(name, "The value must be one of " + String.join(", ", new java.util.TreeSet<>(allowed)));
    }
    return lower;
  }

  public Props object(String name) {
    JsonNode v = get(name);
    if (v == null) {
      return null;
    }
    if (!v.isObject()) {
      throw invalid(name, "A JSON object is expected");
    }
    return new Props((ObjectNode) v, path(name));
  }

  public Props requiredObject(String name) {
    Props p = object(name);
    if (p == null) {
      throw ApiError.missingProperty(name);
    }
    return p;
  }

  /** An array of objects; an absent array reads as empty. */
  public List<Props> objects(String name) {
    JsonNode v = get(name);
    if (v == null) {
      return List.of();
    }
    if (!v.isArray()) {
      throw invalid(name, "A JSON array is expected");
    }
    List<Props> out = new ArrayList<>(v.size());
    for (int i = 0; i < v.size(); i++) {
      JsonNode e = v.get(i);
      if (e == null || !e.isObject()) {
        throw invalid(name, "Each element must be a JSON object");
      }
      out.add(new Props((ObjectNode) e, path(name) + "[" + i + "]"));
    }
    return out;
  }

  /** An array of strings; an absent array reads as empty. */
  public List<String> strings(String name) {
    JsonNode v = get(name);
    if (v == null) {
      return List.of();
    }
    if (!v.isArray()) {
      throw invalid(name, "A JSON array is expected");
    }
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw invalid(name, "Each element must be a string");
      }
      out.add(e.textValue());
    }
    return out;
  }

  /** True when the property is present with a value other than an empty array or object. */
  public boolean nonEmpty(String name) {
    JsonNode v = get(name);
    return v != null && !((v.isArray() || v.isObject()) && v.isEmpty());
  }

  /** A sub-document batchgrid does not interpret, as canonical JSON text; "" when absent. */
  public String json(String name, boolean mustBeObject) {
    JsonNode v = get(name);
    if (v == null) {
      return "";
    }
    if (mustBeObject && !v.isObject()) {
      throw invalid(name, "A JSON object is expected");
    }
    if (!mustBeObject && !v.isArray() && !v.isObject()) {
      throw invalid(name, "A JSON array or object is expected");
    }
    return Json.canonical(v);
  }

  public ObjectNode node() {
    return node;
  }
}
