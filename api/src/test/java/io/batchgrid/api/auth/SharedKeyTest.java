package io.batchgrid.api.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;

import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;

class SharedKeyTest {
  static final byte[] KEY = "batchgrid-test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final String KEY_BASE64 = "YmF0Y2hncmlkLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
  static final String DATE = "Mon, 01 Jan 2024 00:00:00 GMT";
  static final Clock CLOCK = Clock.fixed(Instant.parse("2024-01-01T00:05:00Z"), ZoneOffset.UTC);

  // Expected signatures computed independently with:
  //   printf '<string to sign>' | openssl dgst -sha256 -mac HMAC -macopt key:<key> -binary | base64
  @Test
  void signsTheDocumentedStringLikeOpenssl() {
    String s = SharedKey.stringToSign(new SharedKey.Signable("GET", "", "", "", "", "", "", "", "", "", "", "",
        Map.of("ocp-date", DATE), "myaccount", "/pools",
        Map.of("maxresults", List.of("10"), "api-version", List.of("2024-07-01.20.0"))));
    assertEquals("GET\n\n\n\n\n\n\n\n\n\n\n\nocp-date:" + DATE
        + "\n/myaccount/pools\napi-version:2024-07-01.20.0\nmaxresults:10", s);
    assertEquals("7myc/iuCCQDSZvbtl8oPkn8WL7zWA3mNvpfXqiLmS0Q=", SharedKey.sign(KEY, s));
  }

  @Test
  void verifiesACurlStyleRequestWithABody() {
    SharedKeyVerifier v = new SharedKeyVerifier("myaccount", KEY, CLOCK, Duration.ofMinutes(15));
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("authorization", "SharedKey myaccount:dp4e53urgkWpSEKfglutT/caaKGpt8LUoSvUK6h04ME=");
    headers.put("ocp-date", DATE);
    SharedKeyVerifier.Request r = new SharedKeyVerifier.Request("POST", n -> headers.get(n.toLowerCase()),
        Map.of("ocp-date", DATE), "/jobs/job%201/tasks", "api-version=2024-07-01.20.0&timeout=30", 42,
        "application/json; odata=minimalmetadata; charset=utf-8");
    assertEquals(Optional.empty(), v.verify(r));
  }

  @Test
  void refusesWrongKeyMissingHeaderAndSkew() {
    SharedKeyVerifier v = new SharedKeyVerifier("myaccount", "another-key".getBytes(StandardCharsets.UTF_8), CLOCK,
        Duration.ofMinutes(15));
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("authorization", "SharedKey myaccount:7myc/iuCCQDSZvbtl8oPkn8WL7zWA3mNvpfXqiLmS0Q=");
    headers.put("ocp-date", DATE);
    SharedKeyVerifier.Request r = new SharedKeyVerifier.Request("GET", n -> headers.get(n.toLowerCase()),
        Map.of("ocp-date", DATE), "/pools", "api-version=2024-07-01.20.0&maxresults=10", -1, null);
    assertTrue(v.verify(r).orElseThrow().contains("Server used following string to sign"));

    SharedKeyVerifier right = new SharedKeyVerifier("myaccount", KEY, CLOCK, Duration.ofMinutes(15));
    assertEquals(Optional.empty(), right.verify(r));
    SharedKeyVerifier later = new SharedKeyVerifier("myaccount", KEY,
        Clock.offset(CLOCK, Duration.ofMinutes(16)), Duration.ofMinutes(15));
    assertTrue(later.verify(r).orElseThrow().contains("too old"));

    headers.remove("authorization");
    assertTrue(right.verify(r).orElseThrow().contains("Authorization header was not present"));
  }

  @Test
  void acceptsTheDateHeaderVariant() {
    String s = SharedKey.stringToSign(new SharedKey.Signable("DELETE", "", "", "", "", "", DATE, "", "", "", "", "",
        Map.of(), "myaccount", "/pools/p1", Map.of("api-version", List.of("2024-07-01.20.0"))));
    String sig = SharedKey.sign(KEY, s);
    Map<String, String> headers = Map.of("authorization", "SharedKey myaccount:" + sig, "date", DATE);
    SharedKeyVerifier v = new SharedKeyVerifier("myaccount", KEY, CLOCK, Duration.ofMinutes(15));
    assertEquals(Optional.empty(), v.verify(new SharedKeyVerifier.Request("DELETE", n -> headers.get(n.toLowerCase()),
        Map.of(), "/pools/p1", "api-version=2024-07-01.20.0", 0, null)));
  }

  /** What the official Java SDK 11.2.0 signs must verify: run its own interceptor on a request. */
  @Test
  void verifiesWhatTheAzureBatchJavaSdkSigns() throws Exception {
    BatchSharedKeyCredentials creds = new BatchSharedKeyCredentials("http://127.0.0.1:8280", "myaccount", KEY_BASE64);
    Class<?> type = Class.forName("com.microsoft.azure.batch.auth.BatchSharedKeyCredentialsInterceptor");
    Constructor<?> ctor = type.getDeclaredConstructor(BatchSharedKeyCredentials.class);
    ctor.setAccessible(true);
    Object interceptor = ctor.newInstance(creds);
    Method sign = type.getDeclaredMethod("signHeader", Request.class);
    sign.setAccessible(true);

    String body = "{\"id\":\"t 1\",\"commandLine\":\"echo hi\"}";
    Request[] requests = {
        new Request.Builder().url("http://127.0.0.1:8280/jobs/job%201/tasks?api-version=2024-07-01.20.0&timeout=30")
            .post(RequestBody.create(MediaType.parse("application/json; odata=minimalmetadata; charset=utf-8"), body))
            .build(),
        new Request.Builder().url("http://127.0.0.1:8280/jobs/j/tasks?api-version=2024-07-01.20.0"
                + "&%24filter=state%20eq%20%27active%27&maxresults=10")
            .header("Content-Type", "application/json; odata=minimalmetadata; charset=utf-8").get().build(),
        new Request.Builder().url("http://127.0.0.1:8280/jobs/j/tasks/t/terminate?api-version=2024-07-01.20.0")
            .post(RequestBody.create(null, new byte[0])).build(),
    };
    SharedKeyVerifier v = new SharedKeyVerifier("myaccount", KEY, Clock.systemUTC(), Duration.ofMinutes(15));
    for (Request req : requests) {
      Request signed = (Request) sign.invoke(interceptor, req);
      Map<String, String> ocp = new LinkedHashMap<>();
      for (String name : signed.headers().names()) {
        if (name.toLowerCase().startsWith("ocp-")) {
          ocp.put(name.toLowerCase(), signed.header(name));
        }
      }
      long length = signed.body() == null ? -1 : signed.body().contentLength();
      String contentType = signed.header("Content-Type") != null ? signed.header("Content-Type")
          : signed.body() != null && signed.body().contentType() != null ? signed.body().contentType().toString() : null;
      String rawQuery = signed.url().encodedQuery();
      Optional<String> result = v.verify(new SharedKeyVerifier.Request(signed.method(), signed::header, ocp,
          signed.url().encodedPath(), rawQuery, length, contentType));
      assertEquals(Optional.empty(), result, signed.method() + " " + signed.url());
    }
  }
}
