package io.batchgrid.cli;

import io.batchgrid.config.ManagementSettings;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.javadsl.PekkoManagement;

/** What every role does to become a cluster member: join, wait until Up, serve Pekko Management. */
final class Member {
  /** How long joining may take before a role gives up starting. */
  static final Duration UP_TIMEOUT = Duration.ofSeconds(60);

  private Member() {}

  /** The Artery addresses of {@code --seed HOST:PORT} options. */
  static List<String> seedAddresses(List<String> hostPorts) {
    List<String> out = new ArrayList<>();
    if (hostPorts != null) {
      hostPorts.forEach(h -> out.add(WorkerCommand.seedAddress(h)));
    }
    return out;
  }

  /**
   * Joins the cluster and waits until this member is Up: through the configured seed nodes, or,
   * without any, by forming a cluster of its own.
   */
  static void joinAndAwaitUp(ActorSystem<?> system, boolean formAlone)
      throws InterruptedException, ExecutionException, TimeoutException {
    CompletableFuture<Void> up = new CompletableFuture<>();
    org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
    if (formAlone) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    try {
      up.get(UP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new TimeoutException(UP_TIMEOUT.toSeconds() + "s waiting to join the cluster");
    }
  }

  /**
   * Serves {@code /alive}, {@code /ready} and {@code /cluster/...} when enabled.
   *
   * @return the base URL, or empty when management is off
   */
  static Optional<String> startManagement(ActorSystem<?> system, ManagementSettings settings)
      throws InterruptedException, ExecutionException, TimeoutException {
    if (!settings.enabled()) {
      return Optional.empty();
    }
    PekkoManagement.get(Adapter.toClassic(system)).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return Optional.of("http://" + host(settings.bind()) + ":" + system.settings().config().getInt("pekko.management.http.port"));
  }

  /**
   * Port 0 means any free port, chosen here rather than by the HTTP server, so that the ready line
   * can name it (Pekko Management reports the configured port, not the bound one).
   */
  static int managementPort(ManagementSettings settings) {
    if (!settings.enabled() || settings.port() != 0) {
      return settings.port();
    }
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(settings.bind(), 0));
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("no free port for management on " + settings.bind() + ": " + e.getMessage(), e);
    }
  }

  private static String host(String h) {
    return h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h;
  }
}
