package io.batchgrid.api.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.batchgrid.api.ApiServer;
import io.batchgrid.config.Settings;
import io.batchgrid.config.TlsSettings;

/** HTTPS with a self-signed certificate made for the test; plain HTTP refused beyond loopback. */
class TlsTest {
  static final String V = "api-version=2024-07-01.20.0";
  static final String PASSWORD = "test-password";
  static Path keystore;
  static TestServer server;
  static SignedClient client;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("batchgrid-tls");
    keystore = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "batchgrid", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, keytool.exitValue(), output);
    server = new TestServer(system -> TestServer.NO_NODES, new TlsSettings(keystore, PASSWORD, false));
    client = new SignedClient(server.baseUrl, TestServer.ACCOUNT, TestServer.KEY,
        HttpClient.newBuilder().sslContext(trusting(keystore)).build());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A client context that trusts exactly the test's self-signed certificate. */
  static SSLContext trusting(Path keystore) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", ks.getCertificate("batchgrid"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  @Test
  void theApiAnswersOverHttpsWithHttpsLinks() {
    assertTrue(server.baseUrl.startsWith("https://"));
    SignedClient.Reply created = client.send("POST", "/pools?" + V,
        "{\"id\":\"tls-pool\",\"vmSize\":\"local\",\"targetDedicatedNodes\":0}");
    assertEquals(201, created.status(), created.text());
    assertTrue(created.header("DataServiceId").startsWith("https://"), created.header("DataServiceId"));
    JsonNode pool = client.send("GET", "/pools/tls-pool?" + V, null).json();
    assertEquals("tls-pool", pool.get("id").textValue());
    assertTrue(pool.get("url").textValue().startsWith("https://"), pool.get("url").textValue());
    assertEquals(403, client.withKey("wrong".getBytes()).send("GET", "/pools?" + V, null).status());
    // A client that does not trust the certificate does not get through.
    SignedClient untrusting = new SignedClient(server.baseUrl, TestServer.ACCOUNT, TestServer.KEY);
    assertThrows(RuntimeException.class, () -> untrusting.send("GET", "/pools?" + V, null));
  }

  @Test
  void plainHttpIsRefusedBeyondLoopbackUnlessAllowed() throws Exception {
    Settings open = new Settings(server.dir, "0.0.0.0", 0, TestServer.ACCOUNT,
        Base64.getEncoder().encodeToString(TestServer.KEY), "in-process");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> ApiServer.start(server.testKit.system(), open, TlsSettings.NONE).toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("plain HTTP is served on loopback only"), e.getCause().getMessage());
    var allowed = ApiServer.start(server.testKit.system(), open, TlsSettings.NONE.withAllowPlainHttp(true))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    allowed.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    TlsSettings wrongPassword = new TlsSettings(keystore, "nope", false);
    e = assertThrows(ExecutionException.class,
        () -> ApiServer.start(server.testKit.system(), open, wrongPassword).toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("cannot use the TLS keystore"), e.getCause().getMessage());
  }
}
