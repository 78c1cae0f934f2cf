package io.batchgrid.api.routes;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.batchgrid.api.auth.SharedKey;
import io.batchgrid.api.wire.WireTime;

/** A plain HTTP client that signs like the Azure Batch REST documentation says (the curl-helper way). */
final class SignedClient {
  static final String JSON_TYPE = "application/json; odata=minimalmetadata; charset=utf-8";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final HttpClient http;
  private final String base;
  private final String account;
  private final byte[] key;

  SignedClient(String base, String account, byte[] key) {
    this(base, account, key, HttpClient.newHttpClient());
  }

  SignedClient(String base, String account, byte[] key, HttpClient http) {
    this.http = http;
    this.base = base;
    this.account = account;
    this.key = key;
  }

  SignedClient withKey(byte[] otherKey) {
    return new SignedClient(base, account, otherKey, http);
  }

  record Reply(int status, java.net.http.HttpHeaders headers, byte[] bytes) {
    JsonNode json() {
      try {
        return bytes.length == 0 ? null : MAPPER.readTree(bytes);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
      }
    }

    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  Reply send(String method, String pathAndQuery, String body) {
    return send(method, pathAndQuery, body == null ? null : body.getBytes(StandardCharsets.UTF_8), Map.of(), true);
  }

  Reply unsigned(String method, String pathAndQuery, String body) {
    return send(method, pathAndQuery, body == null ? null : body.getBytes(StandardCharsets.UTF_8), Map.of(), false);
  }

  /** GET of an absolute URL, e.g. an odata.nextLink. */
  Reply follow(String absoluteUrl) {
    return send("GET", absoluteUrl.substring(base.length()), null, Map.of(), true);
  }

  Reply send(String method, String pathAndQuery, byte[] body, Map<String, String> headers, boolean sign) {
    URI uri = URI.create(base + pathAndQuery);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    String date = WireTime.rfc1123(System.currentTimeMillis());
    Map<String, String> ocp = new LinkedHashMap<>();
    ocp.put("ocp-date", date);
    b.header("ocp-date", date);
    headers.forEach((k, v) -> {
      b.header(k, v);
      if (k.toLowerCase().startsWith("ocp-")) {
        ocp.put(k.toLowerCase(), v);
      }
    });
    String contentType = "";
    if (body != null) {
      contentType = JSON_TYPE;
      b.header("Content-Type", contentType);
    }
    if (sign) {
      Map<String, List<String>> query = new LinkedHashMap<>();
      String raw = uri.getRawQuery();
      if (raw != null) {
        for (String part : raw.split("&")) {
          int eq = part.indexOf('=');
          query.computeIfAbsent(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8), k -> new ArrayList<>())
              .add(URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
      String length = body == null || body.length == 0 ? "" : Integer.toString(body.length);
      String toSign = SharedKey.stringToSign(new SharedKey.Signable(method, "", "", length, "", contentType, "",
          h(headers, "If-Modified-Since"), h(headers, "If-Match"), h(headers, "If-None-Match"),
          h(headers, "If-Unmodified-Since"), "", ocp, account, uri.getRawPath(), query));
      b.header("Authorization", SharedKey.authorization(account, SharedKey.sign(key, toSign)));
    }
    try {
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String h(Map<String, String> headers, String name) {
    return Optional.ofNullable(headers.get(name)).orElse("");
  }
}
