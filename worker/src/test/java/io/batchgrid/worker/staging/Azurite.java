package io.batchgrid.worker.staging;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.awaitility.Awaitility;

/**
 * A real Azurite Blob service for one test class: its own {@code azurite-blob} process on a free
 * loopback port with a temporary location, killed by {@link #close}. The binary is the one
 * {@code scripts/test} installs ({@code BATCHGRID_AZURITE}, or {@code .tools/azurite} under the
 * repository root); without it the tests fail and say so.
 *
 * <p>SAS tokens are account SAS signed with Azurite's well-known devstoreaccount1 key.
 */
final class Azurite implements AutoCloseable {
  static final String ACCOUNT = "devstoreaccount1";
  static final String KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  static final String SAS_VERSION = "2021-08-06";

  private final Process process;
  private final Path location;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private Azurite(Process process, Path location, int port) {
    this.process = process;
    this.location = location;
    this.port = port;
  }

  static Azurite start() throws IOException {
    Path binary = binary();
    int port;
    try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path location = Files.createTempDirectory("batchgrid-azurite");
    Process process = new ProcessBuilder(binary.toString(), "--blobHost", "127.0.0.1", "--blobPort",
        Integer.toString(port), "--location", location.toString(), "--skipApiVersionCheck", "--loose", "--silent")
        .redirectErrorStream(true)
        .redirectOutput(location.resolve("azurite.log").toFile())
        .start();
    Azurite azurite = new Azurite(process, location, port);
    try {
      int p = port;
      Awaitility.await("Azurite listening on " + port).atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            if (!process.isAlive()) {
              throw new IllegalStateException("Azurite exited: " + Files.readString(location.resolve("azurite.log")));
            }
            try (Socket socket = new Socket()) {
              socket.connect(new InetSocketAddress("127.0.0.1", p), 200);
              return true;
            } catch (IOException e) {
              return false;
            }
          });
    } catch (RuntimeException e) {
      azurite.close();
      throw e;
    }
    return azurite;
  }

  private static Path binary() {
    String configured = System.getenv("BATCHGRID_AZURITE");
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      if (Files.isExecutable(p)) {
        return p;
      }
      throw new IllegalStateException("BATCHGRID_AZURITE=" + configured + " is not an executable file; run scripts/test, which installs Azurite");
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(".tools/azurite/node_modules/.bin/azurite-blob");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("Azurite is not installed: run scripts/test, which installs Azurite "
        + "(npm install --prefix .tools/azurite azurite@3.37.0), or set BATCHGRID_AZURITE to azurite-blob");
  }

  /** The Blob service URL, path-style: {@code http://127.0.0.1:<port>/devstoreaccount1}. */
  String serviceUrl() {
    return "http://127.0.0.1:" + port + "/" + ACCOUNT;
  }

  /** An account SAS query for Blob, on services, containers and objects, with these permissions. */
  static String sas(String permissions) {
    String services = "b";
    String resourceTypes = "sco";
    String expiry = "2099-01-01T00:00:00Z";
    String stringToSign = String.join("\n", ACCOUNT, permissions, services, resourceTypes, "", expiry, "", "",
        SAS_VERSION, "", "");
    String signature;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(KEY), "HmacSHA256"));
      signature = Base64.getEncoder().encodeToString(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return "sv=" + SAS_VERSION + "&ss=" + services + "&srt=" + resourceTypes + "&sp=" + permissions
        + "&se=" + enc(expiry) + "&sig=" + enc(signature);
  }

  /** Full rights: read, write, delete, list, add, create. */
  static String fullSas() {
    return sas("rwdlac");
  }

  /** A container URL with a SAS. */
  String containerUrl(String container, String sas) {
    return serviceUrl() + "/" + container + "?" + sas;
  }

  /** Creates a container, returning its URL with a full SAS. */
  String createContainer(String name) throws IOException, InterruptedException {
    URI uri = URI.create(serviceUrl() + "/" + name + "?restype=container&" + fullSas());
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).PUT(HttpRequest.BodyPublishers.noBody())
        .header("x-ms-version", SAS_VERSION).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("create container " + name + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return containerUrl(name, fullSas());
  }

  /** Puts a small blob. */
  void putBlob(String container, String name, String content) throws IOException, InterruptedException {
    URI uri = ContainerUrl.parse(containerUrl(container, fullSas())).blob(name);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
        .header("x-ms-version", SAS_VERSION).header("x-ms-blob-type", "BlockBlob")
        .PUT(HttpRequest.BodyPublishers.ofString(content)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IOException("put blob " + name + ": HTTP " + r.statusCode() + " " + r.body());
    }
  }

  /** Gets a blob: its status, body and content type. */
  HttpResponse<String> getBlob(String container, String name) throws IOException, InterruptedException {
    URI uri = ContainerUrl.parse(containerUrl(container, fullSas())).blob(name);
    return http.send(HttpRequest.newBuilder(uri).header("x-ms-version", SAS_VERSION).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try (Stream<Path> files = Files.walk(location)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory
    }
  }
}
