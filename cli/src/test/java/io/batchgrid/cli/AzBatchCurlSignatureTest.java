package io.batchgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import io.batchgrid.config.AccountKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.Test;

/**
 * scripts/az-batch-curl signs requests exactly as the official Azure Batch Java SDK does, so a
 * server that accepts one accepts the other.
 */
class AzBatchCurlSignatureTest {

  private static final String ACCOUNT = "batchgrid";
  private static final String KEY = AccountKeys.generateKey();
  private static final String DATE = "Tue, 02 Jan 2024 03:04:05 GMT";
  private static final String BASE = "http://127.0.0.1:8280";
  private static final String JSON = "application/json; odata=minimalmetadata";
  private static final String VERSION = "api-version=2024-07-01.20.0";

  private static Path script() {
    // Surefire runs in the module directory.
    Path p = Path.of("..", "scripts", "az-batch-curl").toAbsolutePath().normalize();
    assertTrue(Files.isExecutable(p), p + " is executable");
    return p;
  }

  /** The Authorization header the SDK's own signer produces for this request. */
  private static String sdkAuthorization(
      String method, String pathAndQuery, String body, Map<String, String> headers)
      throws IOException {
    OkHttpClient.Builder client = new OkHttpClient.Builder();
    new BatchSharedKeyCredentials(BASE, ACCOUNT, KEY).applyCredentialsFilter(client);
    AtomicReference<Request> signed = new AtomicReference<>();
    client.addInterceptor(chain -> {
      signed.set(chain.request());
      return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1)
          .code(200).message("OK").body(ResponseBody.create(null, "")).build();
    });
    Request.Builder request = new Request.Builder().url(BASE + pathAndQuery).header("ocp-date", DATE);
    headers.forEach(request::header);
    String type = headers.getOrDefault("Content-Type", JSON);
    request.method(method, body == null
        ? null
        : RequestBody.create(MediaType.parse(type), body.getBytes(StandardCharsets.UTF_8)));
    client.build().newCall(request.build()).execute().close();
    return signed.get().header("Authorization");
  }

  /** The Authorization header scripts/az-batch-curl --dry-run computes. */
  private static String scriptAuthorization(
      String method, String pathAndQuery, String body, Map<String, String> headers)
      throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", script().toString(), "--dry-run",
        "--date", DATE));
    headers.forEach((k, v) -> command.addAll(List.of("-H", k + ": " + v)));
    command.add(method);
    command.add(pathAndQuery);
    if (body != null) {
      command.add(body);
    }
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("BATCHGRID_ACCOUNT_NAME", ACCOUNT);
    pb.environment().put("BATCHGRID_ACCOUNT_KEY", KEY);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out.lines().filter(l -> l.startsWith("Authorization: "))
        .map(l -> l.substring("Authorization: ".length())).findFirst().orElseThrow(() ->
            new AssertionError("no Authorization line in:\n" + out));
  }

  private static void assertSameSignature(
      String method, String pathAndQuery, String body, Map<String, String> headers)
      throws Exception {
    assertEquals(sdkAuthorization(method, pathAndQuery, body, headers),
        scriptAuthorization(method, pathAndQuery, body, headers),
        method + " " + pathAndQuery);
  }

  @Test
  void getWithoutBody() throws Exception {
    assertSameSignature("GET", "/pools?" + VERSION, null, Map.of());
  }

  @Test
  void postWithJsonBodyAndSeveralQueryParameters() throws Exception {
    assertSameSignature("POST", "/jobs/job-1/addtaskcollection?timeout=30&" + VERSION,
        "{\"value\":[{\"id\":\"t1\",\"commandLine\":\"/bin/sh -c 'echo hi'\"}]}", Map.of());
  }

  @Test
  void theSdksOwnContentTypeWithCharset() throws Exception {
    // The SDK's generated client sends this Content-Type on every body.
    assertSameSignature("POST", "/pools?" + VERSION, "{\"id\":\"p1\"}",
        Map.of("Content-Type", "application/json; odata=minimalmetadata; charset=utf-8"));
  }

  @Test
  void encodedQueryValuesAreSignedDecoded() throws Exception {
    assertSameSignature("GET",
        "/jobs/j1/tasks?" + VERSION + "&%24filter=state%20eq%20%27active%27&%24select=id%2Cstate",
        null, Map.of());
  }

  @Test
  void conditionalAndOcpHeadersAreSigned() throws Exception {
    assertSameSignature("DELETE", "/jobs/j1?" + VERSION,
        null, Map.of("If-Match", "\"0x8D0\"", "ocp-range", "bytes=0-99"));
  }

  @Test
  void aWrongKeyGivesAnotherSignature() throws Exception {
    String sdk = sdkAuthorization("GET", "/jobs?" + VERSION, null, Map.of());
    assertTrue(sdk.startsWith("SharedKey batchgrid:"), sdk);
    assertTrue(!sdk.equals(scriptAuthorization("GET", "/pools?" + VERSION, null, Map.of())));
  }
}
