package io.batchgrid.api.wire;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.routes.ApiError;

/** The JSON mappers of the API: reading request bodies, writing responses, canonical sub-documents. */
public final class Json {
  private Json() {}

  public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Strict reading: duplicate keys and trailing content are syntax errors. */
  public static final ObjectMapper READER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .build();

  public static final ObjectMapper WRITER = JsonMapper.builder().build();

  /** Sorted keys, no whitespace: equal documents have equal text. */
  private static final ObjectMapper CANONICAL = JsonMapper.builder()
      .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED)
      .build();

  public static ObjectNode object() {
    return NODES.objectNode();
  }

  /** Parses a request body that must be one JSON object. */
  public static ObjectNode parseObject(byte[] body) {
    if (body.length == 0) {
      throw ApiError.invalidBody("The request body is empty; a JSON object is required.");
    }
    JsonNode node;
    try (JsonParser p = READER.createParser(body)) {
      node = READER.readTree(p);
      if (p.nextToken() != null) {
        throw ApiError.invalidBody("Unexpected content after the JSON object.");
      }
    } catch (JsonProcessingException e) {
      throw ApiError.invalidBody("The body is not valid JSON: " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw ApiError.invalidBody("The body could not be read: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw ApiError.invalidBody("The body must be a JSON object.");
    }
    return (ObjectNode) node;
  }

  public static String canonical(JsonNode node) {
    try {
      return CANONICAL.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads back a canonical sub-document kept as text; null for empty text. */
  public static JsonNode tree(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      return READER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON is not valid: " + e.getOriginalMessage(), e);
    }
  }

  public static byte[] bytes(JsonNode node) {
    try {
      return WRITER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
