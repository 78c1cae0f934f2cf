package io.batchgrid.protocol;

import java.util.List;

import io.batchgrid.protocol.spec.NameValue;

/** Why a task or start task failed, as Azure Batch reports it ({@code category}: usererror | servererror). */
public record FailureInfo(String category, String code, String message, List<NameValue> details) {
  public FailureInfo {
    details = List.copyOf(details);
  }

  public static FailureInfo user(String code, String message) {
    return new FailureInfo("usererror", code, message, List.of());
  }

  public static FailureInfo server(String code, String message) {
    return new FailureInfo("servererror", code, message, List.of());
  }
}
