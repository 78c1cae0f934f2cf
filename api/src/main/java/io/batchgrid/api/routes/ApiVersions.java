package io.batchgrid.api.routes;

import java.util.List;

/** The Azure Batch data-plane api-versions batchgrid answers to. */
public final class ApiVersions {
  public static final String LATEST = "2024-07-01.20.0";

  /** Oldest first. The wire shapes of the operations batchgrid serves did not change across them. */
  public static final List<String> SUPPORTED = List.of(
      "2022-10-01.16.0", "2023-05-01.17.0", "2023-11-01.18.0", "2024-02-01.19.0", LATEST);

  private ApiVersions() {}

  public static boolean isSupported(String version) {
    return SUPPORTED.contains(version);
  }
}
