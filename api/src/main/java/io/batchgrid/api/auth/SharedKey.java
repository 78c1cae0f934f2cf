package io.batchgrid.api.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Azure Batch SharedKey scheme: the string to sign and its HMAC-SHA256.
 *
 * <pre>
 * VERB\n Content-Encoding\n Content-Language\n Content-Length\n Content-MD5\n Content-Type\n Date\n
 * If-Modified-Since\n If-Match\n If-None-Match\n If-Unmodified-Since\n Range\n
 * CanonicalizedHeaders   every ocp-* header: "name:value\n", names lowercased and sorted
 * CanonicalizedResource  "/account/path", then "\nname:value" per query parameter, names lowercased
 *                        and sorted, values decoded (several values of one name joined by commas)
 * </pre>
 *
 * Used by the server to verify and by tests and tools to sign. Stateless and thread-safe.
 */
public final class SharedKey {
  private SharedKey() {}

  /** The parts of a request that are signed. Header values are as sent; empty when absent. */
  public record Signable(
      String method,
      String contentEncoding,
      String contentLanguage,
      String contentLength,
      String contentMd5,
      String contentType,
      String date,
      String ifModifiedSince,
      String ifMatch,
      String ifNoneMatch,
      String ifUnmodifiedSince,
      String range,
      Map<String, String> ocpHeaders,
      String account,
      String path,
      Map<String, List<String>> query) {}

  public static String stringToSign(Signable s) {
    StringBuilder b = new StringBuilder(256);
    b.append(s.method().toUpperCase(Locale.ROOT)).append('\n');
    for (String v : new String[] {s.contentEncoding(), s.contentLanguage(), s.contentLength(), s.contentMd5(),
        s.contentType(), s.date(), s.ifModifiedSince(), s.ifMatch(), s.ifNoneMatch(), s.ifUnmodifiedSince(),
        s.range()}) {
      b.append(v == null ? "" : v).append('\n');
    }
    b.append(canonicalizedHeaders(s.ocpHeaders()));
    b.append(canonicalizedResource(s.account(), s.path(), s.query()));
    return b.toString();
  }

  /** Every {@code ocp-*} header as {@code name:value\n}, lowercased names in sorted order. */
  public static String canonicalizedHeaders(Map<String, String> headers) {
    TreeMap<String, String> sorted = new TreeMap<>();
    headers.forEach((k, v) -> {
      String name = k.toLowerCase(Locale.ROOT);
      if (name.startsWith("ocp-")) {
        sorted.put(name, v == null ? "" : v.trim());
      }
    });
    StringBuilder b = new StringBuilder();
    sorted.forEach((k, v) -> b.append(k).append(':').append(v).append('\n'));
    return b.toString();
  }

  /**
   * {@code /account/path} then {@code \nname:value} per query parameter.
   *
   * @param path the request path as signed (starting with '/'), not decoded again here
   * @param query decoded parameter values by name, in the order they came
   */
  public static String canonicalizedResource(String account, String path, Map<String, List<String>> query) {
    StringBuilder b = new StringBuilder();
    b.append('/').append(account);
    b.append(path.startsWith("/") ? path : "/" + path);
    TreeMap<String, List<String>> sorted = new TreeMap<>();
    query.forEach((k, v) -> sorted.computeIfAbsent(k.toLowerCase(Locale.ROOT), x -> new ArrayList<>()).addAll(v));
    sorted.forEach((k, v) -> b.append('\n').append(k).append(':').append(String.join(",", v)));
    return b.toString();
  }

  /** Base64 HMAC-SHA256 of the string to sign with the (decoded) account key. */
  public static String sign(byte[] key, String stringToSign) {
    return Base64.getEncoder().encodeToString(hmac(key, stringToSign));
  }

  static byte[] hmac(byte[] key, String stringToSign) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  public static String authorization(String account, String signature) {
    return "SharedKey " + account + ":" + signature;
  }
}
