package io.batchgrid.api;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.batchgrid.api.routes.ApiHandler;
import io.batchgrid.api.routes.Coordinator;
import io.batchgrid.coordinator.application.ApplicationStore;
import io.batchgrid.config.Settings;
import io.batchgrid.config.TlsSettings;

/**
 * The Azure Batch data-plane API over HTTP. Stateless: every request is answered by asking the
 * coordinator's entities through cluster sharding, so any number of API nodes can run.
 */
public final class ApiServer {
  private ApiServer() {}

  /**
   * Server settings the API relies on: the raw request URI (SharedKey signs the path as sent), HEAD
   * requests seen as such, and a server timeout above the longest coordinator ask (30 s) so that a
   * slow answer is an Azure error, not Pekko's plain-text 503.
   */
  static final String SERVER_CONFIG = """
      pekko.http.server {
        raw-request-uri-header = on
        transparent-head-requests = off
        request-timeout = 45 s
        parsing.max-content-length = 8m
        server-header = ""
        # "SharedKey account:signature" is not an RFC 7235 token68, and the Azure SDKs' User-Agent has
        # ':' in product names: both are read as raw headers, without a warning per request.
        parsing.ignore-illegal-header-for = ["authorization", "user-agent"]
      }
      """;

  /** Binds the API on {@code settings.bind()}:{@code settings.port()} over plain HTTP (loopback only). */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Settings settings) {
    return start(system, settings, TlsSettings.NONE);
  }

  /**
   * Binds the API on {@code settings.bind()}:{@code settings.port()}; the account key must be
   * resolved. With a keystore in {@code tls} it serves HTTPS only. Without one it serves plain
   * HTTP, and refuses (a failed stage) to do so on an address that is not loopback unless
   * {@code tls.allowPlainHttp()}: SharedKey requests over plain HTTP are readable on the network.
   */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Settings settings, TlsSettings tls) {
    Config config = ConfigFactory.parseString(SERVER_CONFIG).withFallback(system.settings().config());
    Coordinator coordinator = new Coordinator(system,
        ApplicationStore.open(settings.dataDir().resolve(ApplicationStore.DIRECTORY)));
    ApiHandler handler = new ApiHandler(coordinator, settings.accountName(), settings.accountKeyBytes(),
        Clock.systemUTC(), settings.bind() + ":" + settings.port());
    ServerBuilder builder = Http.get(system).newServerAt(settings.bind(), settings.port())
        .withSettings(ServerSettings.create(config));
    if (tls.enabled()) {
      try {
        builder = builder.enableHttps(ConnectionContext.httpsServer(sslContext(tls)));
      } catch (GeneralSecurityException | IOException e) {
        return CompletableFuture.failedFuture(new IllegalStateException(
            "cannot use the TLS keystore " + tls.keystore() + ": " + e.getMessage(), e));
      }
    } else if (!tls.allowPlainHttp() && !isLoopback(settings.bind())) {
      return CompletableFuture.failedFuture(new IllegalStateException("plain HTTP is served on loopback only, and "
          + settings.bind() + " is not: configure a TLS keystore (--tls-keystore) or allow plain HTTP "
          + "explicitly (--allow-plain-http)"));
    }
    String scheme = tls.enabled() ? "https" : "http";
    return builder.bind(handler).whenComplete((b, e) -> {
      if (b != null) {
        system.log().info("Azure Batch API listening on {}://{}:{}", scheme, b.localAddress().getHostString(),
            b.localAddress().getPort());
      }
    });
  }

  /** True when {@code address} (a literal or a host name) is a loopback address. */
  static boolean isLoopback(String address) {
    try {
      InetAddress[] all = InetAddress.getAllByName(address);
      for (InetAddress a : all) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return all.length > 0;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The server's TLS context from a PKCS12 keystore (the key's password is the keystore's). */
  static SSLContext sslContext(TlsSettings tls) throws GeneralSecurityException, IOException {
    char[] password = tls.password().toCharArray();
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(tls.keystore())) {
      keyStore.load(in, password);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keyStore, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, new SecureRandom());
    return context;
  }
}
