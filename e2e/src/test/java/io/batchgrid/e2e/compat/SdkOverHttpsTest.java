package io.batchgrid.e2e.compat;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.protocol.models.BatchErrorException;
import com.microsoft.azure.batch.protocol.models.CloudPool;
import com.microsoft.azure.batch.protocol.models.PoolInformation;
import com.microsoft.azure.batch.protocol.models.TaskAddParameter;
import com.microsoft.azure.batch.protocol.models.TaskExecutionResult;
import com.microsoft.azure.batch.protocol.models.TaskState;

import io.batchgrid.e2e.Pools;
import io.batchgrid.e2e.ServerProcess;

/**
 * The packaged server with {@code --tls-keystore} (a self-signed certificate made by keytool in the
 * test), driven by the official SDK over HTTPS; and plain HTTP refused on an address other than
 * loopback unless {@code --allow-plain-http}.
 */
class SdkOverHttpsTest {
  static final String PASSWORD = "e2e-keystore-password";

  /** A PKCS12 keystore with a self-signed certificate for 127.0.0.1 and localhost. */
  static Path selfSignedKeystore(Path dir) throws Exception {
    Path keystore = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "batchgrid", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, keytool.exitValue(), output);
    return keystore;
  }

  @Test
  void theSdkRunsATaskOverHttpsAndUntrustingClientsAreRefused(@TempDir Path dir) throws Exception {
    Path keystore = selfSignedKeystore(dir);
    // Bound to every address: with TLS that needs no --allow-plain-http.
    try (ServerProcess server = new ServerProcess(dir.resolve("data")).withBind("0.0.0.0").withTls(keystore, PASSWORD).start()) {
      assertTrue(server.output().contains("https://"), server.output());
      // The keystore holds the server's certificate: as a trust store it trusts exactly that one.
      BatchClient client = Sdk.trusting(server.url(), keystore, PASSWORD);
      Pools.create(client, "tls-pool", 1, 1);
      CloudPool pool = client.poolOperations().getPool("tls-pool");
      assertTrue(pool.url().startsWith("https://127.0.0.1:"), pool.url());

      client.jobOperations().createJob("tls-job", new PoolInformation().withPoolId("tls-pool"));
      client.taskOperations().createTask("tls-job", new TaskAddParameter().withId("hello")
          .withCommandLine("/bin/sh -c 'echo hello over https'"));
      await().atMost(Duration.ofSeconds(60)).until(() ->
          client.taskOperations().getTask("tls-job", "hello").state() == TaskState.COMPLETED);
      assertEquals(TaskExecutionResult.SUCCESS, client.taskOperations().getTask("tls-job", "hello").executionInfo().result());
      ByteArrayOutputStream stdout = new ByteArrayOutputStream();
      client.fileOperations().getFileFromTask("tls-job", "hello", "stdout.txt", stdout);
      assertEquals("hello over https\n", stdout.toString(StandardCharsets.UTF_8));

      // Errors keep their Azure shape over TLS.
      BatchErrorException missing = assertThrows(BatchErrorException.class, () -> client.jobOperations().getJob("no-such-job"));
      assertEquals("JobNotFound", missing.body().code());

      // The SDK with the JVM's default trust store does not accept the self-signed certificate.
      BatchClient untrusting = Sdk.client(server);
      Exception refused = assertThrows(Exception.class, () -> untrusting.poolOperations().getPool("tls-pool"));
      assertTrue(causes(refused, javax.net.ssl.SSLException.class), "refused by TLS: " + refused);
      // And plain HTTP on the HTTPS port gets no answer from the API.
      BatchClient plain = BatchClient.open(Sdk.credentials("http://127.0.0.1:" + server.url().replaceAll(".*:", "")));
      assertThrows(Exception.class, () -> plain.poolOperations().getPool("tls-pool"));
    }
  }

  @Test
  void plainHttpBeyondLoopbackNeedsAllowPlainHttp(@TempDir Path dir) throws Exception {
    ServerProcess refused = new ServerProcess(dir.resolve("refused")).withBind("0.0.0.0");
    try (refused) {
      ExecutionException e = assertThrows(ExecutionException.class, refused::start);
      assertTrue(e.getCause().getMessage().contains("plain HTTP is served on loopback only"), e.getCause().getMessage());
    }
    try (ServerProcess allowed = new ServerProcess(dir.resolve("allowed")).withBind("0.0.0.0")
        .withArgs("--allow-plain-http").start()) {
      BatchClient client = Sdk.client(allowed);
      assertTrue(client.accountOperations().listSupportedImages().size() >= 1);
    }
  }

  private static boolean causes(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }
}
