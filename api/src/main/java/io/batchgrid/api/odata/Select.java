package io.batchgrid.api.odata;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An OData {@code $select}: the properties to keep, nested ones by path
 * ({@code id,executionInfo/exitCode} keeps {@code id} and {@code executionInfo} with only
 * {@code exitCode}). A name that the entity does not have is ignored, as Azure does.
 */
public final class Select {
  /** Selected properties by name. */
  private final Map<String, Select> children = new LinkedHashMap<>();
  /** The whole property is selected, not only some of its children. */
  private boolean whole;

  private Select() {}

  /** The tree of a {@code $select} value; null when it names nothing (keep everything). */
  public static Select parse(String value) {
    Select root = new Select();
    for (String item : value.split(",")) {
      String path = item.trim();
      if (path.isEmpty()) {
        continue;
      }
      Select node = root;
      String[] parts = path.split("/");
      for (int i = 0; i < parts.length; i++) {
        String name = parts[i].trim();
        if (name.isEmpty()) {
          break;
        }
        Select child = node.children.computeIfAbsent(name, k -> new Select());
        if (child.whole) {
          break; // already selected whole
        }
        if (i == parts.length - 1) {
          child.whole = true;
          child.children.clear();
        }
        node = child;
      }
    }
    return root.children.isEmpty() ? null : root;
  }

  /** Removes from {@code o} (in place) what is not selected; returns it. */
  public ObjectNode apply(ObjectNode o) {
    Iterator<Map.Entry<String, JsonNode>> it = o.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      Select child = children.get(e.getKey());
      if (child == null) {
        it.remove();
      } else if (!child.whole && e.getValue() instanceof ObjectNode nested) {
        child.apply(nested);
      } else if (!child.whole && e.getValue().isArray()) {
        e.getValue().forEach(item -> {
          if (item instanceof ObjectNode element) {
            child.apply(element);
          }
        });
      }
    }
    return o;
  }
}
