package io.batchgrid.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rejection with an Azure Batch error code, carried in a {@code StatusReply.error} from an entity
 * to the API. {@code values} become the {@code values} array of the error body (key/value detail).
 * No stack trace: it is an answer, not a fault.
 */
public final class BatchException extends RuntimeException {
  private final ErrorCode code;
  private final Map<String, String> values;

  public BatchException(ErrorCode code, String message) {
    this(code, message, Map.of());
  }

  public BatchException(ErrorCode code, String message, Map<String, String> values) {
    super(message, null, false, false);
    this.code = code;
    this.values = Map.copyOf(new LinkedHashMap<>(values));
  }

  public ErrorCode code() {
    return code;
  }

  public Map<String, String> values() {
    return values;
  }

  public static BatchException of(ErrorCode code, String message, String... keyValues) {
    Map<String, String> v = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      v.put(keyValues[i], keyValues[i + 1]);
    }
    return new BatchException(code, message, v);
  }
}
