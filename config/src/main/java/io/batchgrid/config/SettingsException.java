package io.batchgrid.config;

/** A setting is missing or has a value batchgrid cannot use. The message starts with the key. */
public final class SettingsException extends RuntimeException {

  private final String key;

  public SettingsException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  public SettingsException(String key, String problem, Throwable cause) {
    super(key + ": " + problem, cause);
    this.key = key;
  }

  /** The full HOCON path of the bad setting, e.g. {@code batchgrid.api.port}. */
  public String key() {
    return key;
  }
}
