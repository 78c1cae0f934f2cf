package io.batchgrid.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * The account's linked Blob storage, Azure Batch's "auto-storage": where a resource file's
 * {@code autoStorageContainerName} is looked up. Optional; without it such resource files fail.
 *
 * @param url the Blob service URL, e.g. {@code https://acct.blob.core.windows.net} or Azurite's
 *     path-style {@code http://127.0.0.1:10000/devstoreaccount1}; empty when not configured. No
 *     trailing slash.
 * @param sas the SAS query (without a leading {@code ?}) that grants at least read and list on the
 *     containers tasks name; may be empty (public containers)
 */
public record AutoStorage(String url, String sas) {
  public static final String URL = "batchgrid.auto-storage.url";
  public static final String SAS = "batchgrid.auto-storage.sas";

  /** No linked storage. */
  public static final AutoStorage NONE = new AutoStorage("", "");

  public AutoStorage {
    url = url == null ? "" : url.trim();
    while (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
    sas = sas == null ? "" : sas.trim();
    if (sas.startsWith("?")) {
      sas = sas.substring(1);
    }
  }

  /**
   * Reads {@value #URL} and {@value #SAS}; both may be absent (then {@link #NONE}).
   *
   * @throws SettingsException when the URL is not an absolute http or https URL, or the SAS
   *     is given without a URL
   */
  public static AutoStorage load(Config config) {
    AutoStorage storage = new AutoStorage(optional(config, URL), optional(config, SAS));
    if (storage.url.isEmpty()) {
      if (!storage.sas.isEmpty()) {
        throw new SettingsException(SAS, "is set but " + URL + " is not");
      }
      return NONE;
    }
    try {
      URI uri = new URI(storage.url);
      String scheme = uri.getScheme();
      if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || uri.getHost() == null) {
        throw new SettingsException(URL, "must be an http or https URL, got '" + storage.url + "'");
      }
      if (uri.getRawQuery() != null) {
        throw new SettingsException(URL, "must not contain a query: put the SAS in " + SAS);
      }
    } catch (URISyntaxException e) {
      throw new SettingsException(URL, "not a valid URL: " + e.getMessage(), e);
    }
    return storage;
  }

  public boolean configured() {
    return !url.isEmpty();
  }

  /** The URL of one of its containers, with the SAS as query when there is one. */
  public String containerUrl(String containerName) {
    if (!configured()) {
      throw new IllegalStateException("no auto-storage configured");
    }
    return url + "/" + containerName + (sas.isEmpty() ? "" : "?" + sas);
  }

  private static String optional(Config config, String key) {
    if (!config.hasPath(key)) {
      return "";
    }
    try {
      return config.getString(key);
    } catch (ConfigException.WrongType e) {
      throw new SettingsException(key, "must be a string", e);
    }
  }

  @Override
  public String toString() {
    // The SAS is a credential.
    return "AutoStorage[url=" + url + ", sas=" + (sas.isEmpty() ? "" : "***") + "]";
  }
}
