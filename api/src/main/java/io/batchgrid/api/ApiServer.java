package io.batchgrid.api;

import java.time.Clock;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.batchgrid.api.routes.ApiHandler;
import io.batchgrid.api.routes.Coordinator;
import io.batchgrid.config.Settings;

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

  /** Binds the API on {@code settings.bind()}:{@code settings.port()}; the account key must be resolved. */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Settings settings) {
    Config config = ConfigFactory.parseString(SERVER_CONFIG).withFallback(system.settings().config());
    ApiHandler handler = new ApiHandler(new Coordinator(system), settings.accountName(), settings.accountKeyBytes(),
        Clock.systemUTC(), settings.bind() + ":" + settings.port());
    CompletionStage<ServerBinding> binding = Http.get(system).newServerAt(settings.bind(), settings.port())
        .withSettings(ServerSettings.create(config))
        .bind(handler);
    return binding.whenComplete((b, e) -> {
      if (b != null) {
        system.log().info("Azure Batch API listening on http://{}:{}", b.localAddress().getHostString(),
            b.localAddress().getPort());
      }
    });
  }
}
