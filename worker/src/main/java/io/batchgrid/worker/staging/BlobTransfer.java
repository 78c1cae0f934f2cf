package io.batchgrid.worker.staging;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import io.batchgrid.protocol.spec.NameValue;

/**
 * Plain HTTP downloads and the few Azure Blob REST operations file staging needs (List Blobs, Get
 * Blob, Put Blob, Put Block, Put Block List), authorized by the SAS in the URLs. Bodies stream
 * between the network and the disk in small buffers: no file is ever held in memory whole.
 *
 * <p>Every request is tried up to {@value #MAX_ATTEMPTS} times, with a growing pause, when the
 * connection fails or the server answers 429 or 5xx; any other error answer (403, 404, ...) fails
 * at once.
 *
 * <p>Blocking: call it from the worker's blocking executor, never from an actor.
 */
public final class BlobTransfer {
  static final int MAX_ATTEMPTS = 3;
  /** Files below this size are one Put Blob; larger ones go up in blocks of this size. */
  static final int BLOCK_SIZE = 4 * 1024 * 1024;
  private static final String STORAGE_VERSION = "2021-08-06";
  /** Headers the JDK client sets itself and refuses from callers. */
  private static final Set<String> RESTRICTED =
      Set.of("connection", "content-length", "date", "expect", "from", "host", "upgrade", "via", "warning");

  private static volatile BlobTransfer shared;

  private final HttpClient http;
  private final Duration firstBackoff;
  private final Duration requestTimeout;
  /** maxresults of List Blobs; 0 for the service's default (5000). */
  private final int listPageSize;

  BlobTransfer(HttpClient http, Duration firstBackoff, Duration requestTimeout, int listPageSize) {
    this.http = http;
    this.firstBackoff = firstBackoff;
    this.requestTimeout = requestTimeout;
    this.listPageSize = listPageSize;
  }

  /** A client for tests: short pauses between retries, small listing pages. */
  static BlobTransfer create(Duration firstBackoff, int listPageSize) {
    return new BlobTransfer(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(20)).build(),
        firstBackoff, Duration.ofMinutes(10), listPageSize);
  }

  /** One client for every node of the JVM: it pools connections and owns a selector thread. */
  public static BlobTransfer shared() {
    BlobTransfer t = shared;
    if (t == null) {
      synchronized (BlobTransfer.class) {
        t = shared;
        if (t == null) {
          HttpClient client = HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .followRedirects(HttpClient.Redirect.NORMAL)
              .connectTimeout(Duration.ofSeconds(20))
              .build();
          shared = t = new BlobTransfer(client, Duration.ofMillis(500), Duration.ofMinutes(10), 0);
        }
      }
    }
    return t;
  }

  // ---- downloads ----------------------------------------------------------------------------

  /**
   * Downloads {@code uri} to {@code target} (its directories created): streamed into a temporary
   * file beside it, moved into place once complete, so a failed attempt leaves no partial file.
   */
  void download(URI uri, Path target) throws TransferException {
    Path parent = target.getParent();
    Path partial = parent.resolve("." + target.getFileName() + ".download");
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new TransferException(uri.toString(), 0, null, "cannot create directory " + parent + ": " + e, false, e);
    }
    BodyHandler<Path> toFile = info -> info.statusCode() / 100 == 2
        ? BodySubscribers.ofFile(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)
        : BodySubscribers.replacing(null);
    try {
      send("download", () -> HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build(), toFile);
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteQuietly(partial);
      if (e instanceof TransferException t) {
        throw t;
      }
      throw new TransferException(uri.toString(), 0, null, "cannot write " + target + ": " + e, false, e);
    }
  }

  /** Names of the container's blobs that start with {@code prefix}, every page of the listing. */
  List<String> listBlobs(ContainerUrl container, String prefix) throws TransferException {
    List<String> names = new ArrayList<>();
    String marker = null;
    do {
      URI uri = container.list(prefix, marker, listPageSize);
      HttpResponse<InputStream> response = send("list",
          () -> HttpRequest.newBuilder(uri).timeout(requestTimeout).header("x-ms-version", STORAGE_VERSION).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      Document page;
      try (InputStream body = response.body()) {
        page = xml().parse(body);
      } catch (IOException | SAXException e) {
        throw new TransferException(uri.toString(), response.statusCode(), null,
            "cannot read the container listing: " + e.getMessage(), false, e);
      }
      NodeList blobs = page.getElementsByTagName("Blob");
      for (int i = 0; i < blobs.getLength(); i++) {
        String name = childText((Element) blobs.item(i), "Name");
        if (name != null && !name.isEmpty() && !name.endsWith("/")) {
          names.add(name);
        }
      }
      marker = childText(page.getDocumentElement(), "NextMarker");
    } while (marker != null && !marker.isEmpty());
    return names;
  }

  // ---- uploads ------------------------------------------------------------------------------

  /**
   * Uploads {@code file} as the block blob {@code blobName}, replacing it: one Put Blob below
   * {@value #BLOCK_SIZE} bytes, otherwise Put Block per 4 MiB and a Put Block List.
   * {@code headers} are the output file's uploadHeaders (x-ms-blob-content-type, ...).
   */
  void upload(ContainerUrl container, String blobName, Path file, List<NameValue> headers) throws TransferException {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new TransferException(container.withoutSas(), 0, null, "cannot read " + file + ": " + e, false, e);
    }
    if (size < BLOCK_SIZE) {
      URI uri = container.blob(blobName);
      send("upload", () -> {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout)
            .header("x-ms-version", STORAGE_VERSION).header("x-ms-blob-type", "BlockBlob");
        addHeaders(b, headers, false);
        return b.PUT(ofRange(file, 0, size)).build();
      }, BodyHandlerDiscarding.INSTANCE);
      return;
    }
    List<String> ids = new ArrayList<>();
    long blocks = (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
    for (long i = 0; i < blocks; i++) {
      String id = Base64.getEncoder().encodeToString(String.format(Locale.ROOT, "block-%08d", i)
          .getBytes(StandardCharsets.US_ASCII));
      ids.add(id);
      long offset = i * BLOCK_SIZE;
      long length = Math.min(BLOCK_SIZE, size - offset);
      URI uri = container.blob(blobName, "comp=block&blockid=" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8));
      send("upload block", () -> HttpRequest.newBuilder(uri).timeout(requestTimeout)
          .header("x-ms-version", STORAGE_VERSION).PUT(ofRange(file, offset, length)).build(),
          BodyHandlerDiscarding.INSTANCE);
    }
    StringBuilder list = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
    ids.forEach(id -> list.append("<Latest>").append(id).append("</Latest>"));
    list.append("</BlockList>");
    byte[] body = list.toString().getBytes(StandardCharsets.UTF_8);
    URI uri = container.blob(blobName, "comp=blocklist");
    send("commit blocks", () -> {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(requestTimeout)
          .header("x-ms-version", STORAGE_VERSION).header("Content-Type", "application/xml");
      addHeaders(b, headers, true);
      return b.PUT(BodyPublishers.ofByteArray(body)).build();
    }, BodyHandlerDiscarding.INSTANCE);
  }

  /**
   * The output file's headers on a request. On Put Block List the standard content headers
   * describe the XML body, so they are sent as their {@code x-ms-blob-*} forms.
   */
  private static void addHeaders(HttpRequest.Builder b, List<NameValue> headers, boolean blockList) {
    for (NameValue h : headers) {
      String name = h.getName().trim();
      String lower = name.toLowerCase(Locale.ROOT);
      if (name.isEmpty() || RESTRICTED.contains(lower)) {
        continue;
      }
      if (blockList && (lower.equals("content-type") || lower.equals("content-encoding")
          || lower.equals("content-language") || lower.equals("content-disposition")
          || lower.equals("cache-control") || lower.equals("content-md5"))) {
        name = "x-ms-blob-" + lower;
      }
      try {
        b.setHeader(name, h.getValue());
      } catch (IllegalArgumentException e) {
        // A header the HTTP client refuses (restricted or malformed) is left out, as a proxy would.
      }
    }
  }

  /** {@code length} bytes of {@code file} from {@code offset}, read in small chunks as sent. */
  private static BodyPublisher ofRange(Path file, long offset, long length) {
    return BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> {
      try {
        return new RangeInputStream(FileChannel.open(file, StandardOpenOption.READ), offset, length);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }), length);
  }

  // ---- requests with retries ----------------------------------------------------------------

  @FunctionalInterface
  private interface RequestFactory {
    HttpRequest build();
  }

  private <T> HttpResponse<T> send(String what, RequestFactory factory, BodyHandler<T> handler)
      throws TransferException {
    long pause = firstBackoff.toMillis();
    for (int attempt = 1; ; attempt++) {
      HttpRequest request = factory.build();
      String url = request.uri().toString();
      TransferException failure;
      boolean retryable = true;
      try {
        HttpResponse<T> response = http.send(request, handler);
        int status = response.statusCode();
        if (status / 100 == 2) {
          return response;
        }
        closeBody(response);
        String code = response.headers().firstValue("x-ms-error-code").orElse(null);
        failure = new TransferException(url, status, code,
            what + " failed: HTTP " + status + (code == null ? "" : " " + code), false, null);
        retryable = status == 429 || status / 100 == 5;
      } catch (HttpTimeoutException e) {
        failure = new TransferException(url, 0, null, what + " timed out: " + e.getMessage(), true, e);
      } catch (IOException e) {
        failure = new TransferException(url, 0, null, what + " failed: " + e, false, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TransferException(url, 0, null, what + " interrupted", false, e);
      }
      if (!retryable || attempt >= MAX_ATTEMPTS) {
        throw failure;
      }
      try {
        Thread.sleep(pause); // on the blocking executor, between attempts of a failing transfer
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure;
      }
      pause *= 2;
    }
  }

  private static void closeBody(HttpResponse<?> response) {
    if (response.body() instanceof InputStream in) {
      try {
        in.close();
      } catch (IOException ignored) {
        // nothing left to read
      }
    }
  }

  private static DocumentBuilder xml() {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setExpandEntityReferences(false);
      return f.newDocumentBuilder();
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String childText(Element parent, String name) {
    for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e.getTextContent();
      }
    }
    return null;
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // best effort: a leftover partial file is overwritten by the next attempt
    }
  }

  /** Discards the body of an answer whose only content is its status and headers. */
  private enum BodyHandlerDiscarding implements BodyHandler<Void> {
    INSTANCE;

    @Override
    public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo info) {
      return BodySubscribers.discarding();
    }
  }

  /** A window of a file, read with positional reads (no shared channel position). */
  private static final class RangeInputStream extends InputStream {
    private final FileChannel channel;
    private long position;
    private final long end;

    RangeInputStream(FileChannel channel, long offset, long length) {
      this.channel = channel;
      this.position = offset;
      this.end = offset + length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position >= end) {
        return -1;
      }
      int want = (int) Math.min(len, end - position);
      int n = channel.read(ByteBuffer.wrap(b, off, want), position);
      if (n < 0) {
        throw new IOException("the file shrank while it was uploaded");
      }
      position += n;
      return n;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
