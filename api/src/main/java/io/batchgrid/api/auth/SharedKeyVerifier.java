package io.batchgrid.api.auth;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Checks the {@code Authorization: SharedKey <account>:<signature>} of a request.
 *
 * <p>The documented string to sign leaves some room, and real clients differ inside it: the Azure
 * Batch Java SDK signs the raw (percent-encoded) path, "0" as the Content-Length of an empty POST,
 * the Date header (empty) even when it sends {@code ocp-date}, and query values decoded twice with
 * the last of repeated names winning; curl-style helpers follow the documentation. A request is
 * accepted when its signature matches the HMAC of any of these readings of it; each is a string
 * only the key holder can sign, so accepting several weakens nothing. The comparison is in constant
 * time. Thread-safe.
 */
public final class SharedKeyVerifier {
  public static final Duration DEFAULT_MAX_SKEW = Duration.ofMinutes(15);

  private final String account;
  private final byte[] key;
  private final Clock clock;
  private final Duration maxSkew;

  public SharedKeyVerifier(String account, byte[] key, Clock clock, Duration maxSkew) {
    this.account = account;
    this.key = key.clone();
    this.clock = clock;
    this.maxSkew = maxSkew;
  }

  /**
   * What the verifier needs of a request.
   *
   * @param header case-insensitive lookup of a header's value, null when absent
   * @param ocpHeaders every {@code ocp-*} header by name
   * @param rawPath the path as sent on the wire (percent-encoded)
   * @param rawQuery the query string as sent, without '?', or null
   * @param contentLength the body's length, -1 when unknown (chunked)
   * @param contentType the Content-Type as the server read it, null when there is none
   */
  public record Request(String method, Function<String, String> header, Map<String, String> ocpHeaders,
      String rawPath, String rawQuery, long contentLength, String contentType) {}

  /** Empty when the request is authentic, else a detail for the client saying what is wrong. */
  public Optional<String> verify(Request r) {
    String authorization = r.header().apply("Authorization");
    if (authorization == null || authorization.isBlank()) {
      return Optional.of("The Authorization header was not present. Sign every request with "
          + "'Authorization: SharedKey <account>:<signature>'.");
    }
    String auth = authorization.trim();
    if (!auth.regionMatches(true, 0, "SharedKey ", 0, 10)) {
      return Optional.of("The authentication scheme is not supported: only SharedKey is (e.g. 'SharedKey "
          + account + ":<signature>').");
    }
    String credentials = auth.substring(10).trim();
    int colon = credentials.lastIndexOf(':');
    if (colon <= 0 || colon == credentials.length() - 1) {
      return Optional.of("The Authorization header is not of the form 'SharedKey <account>:<signature>'.");
    }
    String claimedAccount = credentials.substring(0, colon);
    String signature = credentials.substring(colon + 1);
    if (!claimedAccount.equals(account)) {
      return Optional.of("The account '" + claimedAccount + "' in the Authorization header is not this "
          + "service's account.");
    }
    byte[] given;
    try {
      given = Base64.getDecoder().decode(signature);
    } catch (IllegalArgumentException e) {
      return Optional.of("The signature in the Authorization header is not valid base64.");
    }

    String ocpDate = r.header().apply("ocp-date");
    String date = r.header().apply("Date");
    String when = ocpDate != null ? ocpDate : date;
    if (when == null) {
      return Optional.of("Neither the ocp-date nor the Date header was present; one is required and "
          + "must be within 15 minutes of the server's time.");
    }
    Instant sent;
    try {
      sent = ZonedDateTime.parse(when.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return Optional.of("The request date '" + when + "' is not an RFC 1123 date such as "
          + "'Mon, 01 Jan 2024 00:00:00 GMT'.");
    }
    Duration skew = Duration.between(sent, clock.instant()).abs();
    if (skew.compareTo(maxSkew) > 0) {
      return Optional.of("Request date header too old or too new: '" + when + "' is " + skew.toSeconds()
          + " s away from the server's time (" + clock.instant() + "); at most "
          + maxSkew.toMinutes() + " minutes are allowed.");
    }

    List<String> candidates = stringsToSign(r, ocpDate, date);
    boolean match = false;
    for (String candidate : candidates) {
      // No early exit: every candidate is compared in constant time.
      match |= MessageDigest.isEqual(SharedKey.hmac(key, candidate), given);
    }
    if (match) {
      return Optional.empty();
    }
    return Optional.of("The MAC signature found in the HTTP request '" + signature + "' is not the same as "
        + "any computed signature. Server used following string to sign: '" + candidates.get(0) + "'.");
  }

  /** Every reading of the request a known client signs; the documented one first. */
  List<String> stringsToSign(Request r, String ocpDate, String date) {
    Set<String> dates = new LinkedHashSet<>();
    dates.add(ocpDate != null ? "" : date);
    dates.add(date == null ? "" : date);

    Set<String> lengths = new LinkedHashSet<>();
    if (r.contentLength() > 0) {
      lengths.add(Long.toString(r.contentLength()));
    } else {
      lengths.add("");
      if (r.contentLength() == 0) {
        lengths.add("0");
      }
    }

    Set<String> types = contentTypes(r.contentType());

    Set<String> paths = new LinkedHashSet<>();
    String rawPath = r.rawPath() == null || r.rawPath().isEmpty() ? "/" : r.rawPath();
    paths.add(rawPath);
    decode(rawPath, false).ifPresent(paths::add);

    List<Map<String, List<String>>> queries = new ArrayList<>();
    queries.add(query(r.rawQuery(), false));
    Map<String, List<String>> twice = query(r.rawQuery(), true);
    if (twice != null && !twice.equals(queries.get(0))) {
      queries.add(twice);
    }

    Set<String> out = new LinkedHashSet<>();
    for (String d : dates) {
      for (String len : lengths) {
        for (String type : types) {
          for (String path : paths) {
            for (Map<String, List<String>> q : queries) {
              if (q == null) {
                continue;
              }
              out.add(SharedKey.stringToSign(new SharedKey.Signable(r.method(),
                  h(r, "Content-Encoding"), h(r, "Content-Language"), len, h(r, "Content-MD5"), type, d,
                  h(r, "If-Modified-Since"), h(r, "If-Match"), h(r, "If-None-Match"),
                  h(r, "If-Unmodified-Since"), h(r, "Range"), r.ocpHeaders(), account, path, q)));
            }
          }
        }
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * The Content-Type as the client may have written it. An HTTP server hands over its own model of
   * the header, not the text: parameters normalized to "; " and, for JSON, the charset dropped. So
   * the text the client signed is one of a few spellings of that model.
   */
  static Set<String> contentTypes(String modeled) {
    Set<String> out = new LinkedHashSet<>();
    if (modeled == null || modeled.isEmpty()) {
      out.add("");
      return out;
    }
    out.add(modeled);
    out.add(modeled.replace("charset=UTF-8", "charset=utf-8"));
    String[] parts = modeled.split(";\\s*");
    boolean hasCharset = false;
    for (String p : parts) {
      hasCharset |= p.toLowerCase(Locale.ROOT).startsWith("charset=");
    }
    List<String> spellings = new ArrayList<>();
    spellings.add(String.join("; ", parts));
    if (!hasCharset && parts[0].toLowerCase(Locale.ROOT).equals("application/json")) {
      for (String cs : new String[] {"charset=utf-8", "charset=UTF-8"}) {
        spellings.add(String.join("; ", parts) + "; " + cs);
        List<String> first = new ArrayList<>(List.of(parts));
        first.add(1, cs);
        spellings.add(String.join("; ", first));
      }
    }
    for (String sp : spellings) {
      out.add(sp);
      out.add(sp.replace("; ", ";"));
    }
    if (modeled.equals("application/octet-stream")) {
      out.add(""); // the server's default for a body sent without a Content-Type
    }
    return out;
  }

  private static String h(Request r, String name) {
    String v = r.header().apply(name);
    return v == null ? "" : v;
  }

  /**
   * Query parameters decoded once (repeated names keep every value), or, with {@code twice}, decoded a
   * second time with the last of repeated names winning, as the Java SDK signs. Null when undecodable.
   */
  static Map<String, List<String>> query(String rawQuery, boolean twice) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String part : rawQuery.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String name = eq < 0 ? part : part.substring(0, eq);
      String value = eq < 0 ? "" : part.substring(eq + 1);
      Optional<String> n = decode(name, true);
      Optional<String> v = decode(value, true);
      if (n.isEmpty() || v.isEmpty()) {
        return null;
      }
      String dn = n.get();
      String dv = v.get();
      if (twice) {
        Optional<String> n2 = decode(dn, true);
        Optional<String> v2 = decode(dv, true);
        if (n2.isEmpty() || v2.isEmpty()) {
          return null;
        }
        out.put(n2.get().toLowerCase(Locale.ROOT), new ArrayList<>(List.of(v2.get())));
      } else {
        out.computeIfAbsent(dn, k -> new ArrayList<>()).add(dv);
      }
    }
    return out;
  }

  private static Optional<String> decode(String s, boolean plusIsSpace) {
    try {
      String in = plusIsSpace ? s : s.replace("+", "%2B");
      return Optional.of(URLDecoder.decode(in, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The account name requests must be signed for. */
  public String account() {
    return account;
  }
}
