package io.batchgrid.api.odata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

class FilterTest {
  static final ObjectMapper M = new ObjectMapper();

  static ObjectNode json(String s) {
    try {
      return (ObjectNode) M.readTree(s.replace('\'', '"'));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static final ObjectNode DONE = json("{'id':'Task-7','displayName':'it_s','state':'completed',"
      + "'creationTime':'2024-03-01T10:00:00.0000000Z',"
      + "'executionInfo':{'exitCode':3,'retryCount':1,'result':'failure'},'nodeInfo':{'nodeId':'n1','poolId':'p'}}");
  static {
    DONE.put("displayName", "it's");
  }

  static final ObjectNode ACTIVE = json("{'id':'task-8','state':'active','creationTime':'2024-01-01T00:00:00.0000000Z',"
      + "'executionInfo':{'retryCount':0}}");

  static boolean t(String filter, ObjectNode o) {
    return Filter.compile(filter, FilterSchema.TASKS).test(o);
  }

  @Test
  void comparisonsOnEveryType() {
    assertTrue(t("state eq 'completed'", DONE));
    assertTrue(t("STATE EQ 'Completed'".replace("STATE", "state"), DONE), "keywords and values ignore case");
    assertFalse(t("state eq 'completed'", ACTIVE));
    assertTrue(t("state ne 'completed'", ACTIVE));
    assertTrue(t("executionInfo/exitCode eq 3", DONE));
    assertTrue(t("executionInfo/exitCode gt 2.5 and executionInfo/exitCode le 3", DONE));
    assertTrue(t("executionInfo/exitCode ne 0", ACTIVE), "missing is not equal");
    assertFalse(t("executionInfo/exitCode gt -1", ACTIVE), "missing compares false");
    assertTrue(t("executionInfo/exitCode eq null", ACTIVE));
    assertTrue(t("executionInfo/exitCode ne null", DONE));
    assertTrue(t("displayName eq 'it''s'", DONE));
    assertTrue(t("creationTime ge DateTime'2024-03-01T10:00:00Z'", DONE));
    assertFalse(t("creationTime gt DateTime'2024-03-01T10:00:00Z'", DONE));
    assertTrue(t("creationTime lt datetime'2024-02-01T00:00:00+01:00'", ACTIVE));
    assertTrue(t("3 eq executionInfo/exitCode and 2 lt executionInfo/exitCode", DONE), "literal first");
    assertTrue(t("nodeInfo/nodeId eq 'n1'", DONE));
    assertTrue(Filter.compile("enableAutoScale eq false", FilterSchema.POOLS).test(json("{'enableAutoScale':false}")));
  }

  @Test
  void logicPrecedenceAndStartsWith() {
    assertTrue(t("startswith(id,'task-')", DONE));
    assertFalse(t("startswith(id,'job')", DONE));
    assertTrue(t("not startswith(id,'x') and state eq 'active'", ACTIVE));
    // and binds tighter than or
    assertTrue(t("state eq 'active' or state eq 'completed' and id eq 'nope'", ACTIVE));
    assertFalse(t("(state eq 'active' or state eq 'completed') and id eq 'nope'", ACTIVE));
    assertTrue(t("not (state eq 'active' and id eq 'x')", ACTIVE));
    assertTrue(t("((((state eq 'active'))))", ACTIVE));
  }

  static FilterException bad(String filter) {
    return assertThrows(FilterException.class, () -> Filter.compile(filter, FilterSchema.TASKS), filter);
  }

  @Test
  void errorsNameTheProblemAndThePosition() {
    assertEquals(1, bad("colour eq 'red'").position());
    assertTrue(bad("colour eq 'red'").getMessage().contains("'colour' is not a property tasks can be filtered on"));
    assertEquals(10, bad("state eq 3").position());
    assertTrue(bad("executionInfo/exitCode eq '3'").getMessage().contains("expected a number"));
    assertTrue(bad("state eq 'sleeping'").getMessage().contains("not a value of state"));
    assertTrue(bad("state gt 'active'").getMessage().contains("only eq and ne"));
    assertEquals(7, bad("state equals 'active'").position());
    assertEquals(10, bad("state eq 'active").position());
    assertEquals(22, bad("state eq 'active' and").position(), "the end");
    assertTrue(bad("(state eq 'active'").getMessage().contains("Expected ')'"));
    assertTrue(bad("state eq 'active')").getMessage().contains("Unexpected ')'"));
    assertTrue(bad("creationTime gt DateTime'yesterday'").getMessage().contains("not an ISO 8601"));
    assertTrue(bad("creationTime gt '2024-01-01'").getMessage().contains("DateTime"));
    assertTrue(bad("startswith(executionInfo/exitCode,'1')").getMessage().contains("string property"));
    assertTrue(bad("executionInfo/exitCode lt null").getMessage().contains("null"));
    assertTrue(bad("3 eq 4").getMessage().contains("property on one side"));
    assertTrue(bad("").getMessage().contains("empty"));
    assertTrue(bad("state eq 'a' # x").getMessage().contains("Unexpected character '#'"));
    assertTrue(bad("not ".repeat(200) + "state eq 'active'").getMessage().contains("nested"));
    assertTrue(bad("(".repeat(5000)).getMessage().contains("nested"));
  }

  @Test
  void selectKeepsNestedPaths() {
    ObjectNode o = DONE.deepCopy();
    Select.parse("id, executionInfo/exitCode,nodeInfo").apply(o);
    assertEquals(json("{'id':'Task-7','executionInfo':{'exitCode':3},'nodeInfo':{'nodeId':'n1','poolId':'p'}}"), o);
    o = DONE.deepCopy();
    Select.parse("executionInfo,executionInfo/exitCode").apply(o);
    assertEquals(3, o.get("executionInfo").size(), "the whole property wins over a part of it");
  }

  /** Random and garbled filters only ever parse or fail with a FilterException. */
  @Test
  void fuzzedFiltersNeverFailOtherwise() {
    List<String> atoms = List.of("state", "id", "executionInfo/exitCode", "creationTime", "eq", "ne", "gt", "and", "or",
        "not", "(", ")", "'active'", "'it''s'", "'", "3", "-1.5e3", "1e999", "true", "null", "DateTime'2024-01-01T00:00:00Z'",
        "DateTime'", "startswith", ",", "startswith(id,'a')", "nodeInfo/", "/", "x", "\u00e9", "$", " ", "\t", "''", "9999999999999999999999");
    Random random = new Random(42);
    Predicate<JsonNode> sink;
    int parsed = 0;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int n = 1 + random.nextInt(12);
      for (int k = 0; k < n; k++) {
        b.append(atoms.get(random.nextInt(atoms.size()))).append(random.nextInt(3) == 0 ? "" : " ");
      }
      if (random.nextInt(10) == 0) {
        b.setCharAt(random.nextInt(b.length()), (char) random.nextInt(0x3000));
      }
      try {
        sink = Filter.compile(b.toString(), FilterSchema.TASKS);
        sink.test(DONE);
        sink.test(ACTIVE);
        parsed++;
      } catch (FilterException expected) {
        assertTrue(expected.position() >= 1 && expected.position() <= b.length() + 1, b + " -> " + expected.getMessage());
      }
    }
    assertTrue(parsed > 20, "some random filters are valid: " + parsed);
  }
}
