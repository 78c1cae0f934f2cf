package io.batchgrid.worker.staging;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A Blob container's URL split into the container itself and its SAS query. Works for Azure's
 * host-style URLs ({@code https://acct.blob.core.windows.net/container?sv=...}) and path-style ones
 * such as Azurite's ({@code http://127.0.0.1:10000/devstoreaccount1/container?sv=...}): the
 * container is simply the URL's path, blobs are below it.
 */
final class ContainerUrl {
  private static final Pattern SIGNATURE = Pattern.compile("(?i)(^|[?&])sig=[^&]*");

  private final String base;
  private final String sas;

  private ContainerUrl(String base, String sas) {
    this.base = base;
    this.sas = sas;
  }

  /** @throws IllegalArgumentException when {@code url} is not an absolute http(s) URL */
  static ContainerUrl parse(String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URL: " + redact(url));
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || uri.getRawAuthority() == null) {
      throw new IllegalArgumentException("not an http or https URL: " + redact(url));
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new ContainerUrl(scheme + "://" + uri.getRawAuthority() + path,
        uri.getRawQuery() == null ? "" : uri.getRawQuery());
  }

  /** The URL of one blob, its name percent-encoded segment by segment, with the SAS. */
  URI blob(String name) {
    return URI.create(base + "/" + encodePath(name) + (sas.isEmpty() ? "" : "?" + sas));
  }

  /** The URL of one blob with extra query parameters (already encoded) before the SAS. */
  URI blob(String name, String query) {
    return URI.create(base + "/" + encodePath(name) + "?" + query + (sas.isEmpty() ? "" : "&" + sas));
  }

  /** One page of List Blobs. */
  URI list(String prefix, String marker, int maxResults) {
    StringBuilder q = new StringBuilder(base).append("?restype=container&comp=list");
    if (maxResults > 0) {
      q.append("&maxresults=").append(maxResults);
    }
    if (prefix != null && !prefix.isEmpty()) {
      q.append("&prefix=").append(encode(prefix));
    }
    if (marker != null && !marker.isEmpty()) {
      q.append("&marker=").append(encode(marker));
    }
    if (!sas.isEmpty()) {
      q.append('&').append(sas);
    }
    return URI.create(q.toString());
  }

  /** The container URL without its SAS, for messages. */
  String withoutSas() {
    return base;
  }

  /** {@code url} with the SAS signature hidden: failure details are shown to every API client. */
  static String redact(String url) {
    return url == null ? "" : SIGNATURE.matcher(url).replaceAll("$1sig=REDACTED");
  }

  static String encodePath(String name) {
    StringBuilder out = new StringBuilder(name.length() + 16);
    for (String segment : name.split("/", -1)) {
      if (out.length() > 0 || name.startsWith("/")) {
        out.append('/');
      }
      out.append(encode(segment));
    }
    return out.toString();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
