package io.batchgrid.api.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

import org.apache.pekko.http.javadsl.model.HttpResponse;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.odata.FilterSchema;
import io.batchgrid.api.odata.Select;
import io.batchgrid.api.wire.Json;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.NodeState;

/**
 * Account-level operations: supported images, node counts per pool, usage metrics and
 * applications; and the clear refusals for what self-hosted nodes do not have (certificates,
 * node extensions, remote login users).
 */
final class AccountRoutes {
  private static final Duration NODE_STATUS_TIMEOUT = Duration.ofSeconds(2);

  private final Coordinator coordinator;
  private final ObjectNode hostImage;

  AccountRoutes(Coordinator coordinator) {
    this.coordinator = coordinator;
    this.hostImage = hostImage(Path.of("/etc/os-release"));
  }

  void register(Router r) {
    r.add("GET", "/supportedimages", Router.Body.NONE, this::supportedImages);
    r.add("GET", "/nodecounts", Router.Body.NONE, this::nodeCounts);
    r.add("GET", "/poolusagemetrics", Router.Body.NONE, c -> emptyList(c, FilterSchema.USAGE_METRICS,
        "poolusagemetrics"));
    r.add("GET", "/certificates", Router.Body.NONE, c -> refuseCertificates());
    r.add("POST", "/certificates", Router.Body.OPTIONAL, c -> refuseCertificates());
    String extensions = "VM extensions are not provided by batchgrid: its compute nodes are processes on your own "
        + "machines, not Azure virtual machines.";
    r.add("GET", "/pools/{}/nodes/{}/extensions", Router.Body.NONE, c -> refuse("extensions", extensions));
    r.add("GET", "/pools/{}/nodes/{}/extensions/{}", Router.Body.NONE, c -> refuse("extensions", extensions));
    String users = "Remote login users are not provided by batchgrid: log in to your own machines as you usually do.";
    r.add("POST", "/pools/{}/nodes/{}/users", Router.Body.OPTIONAL, c -> refuse("users", users));
    r.add("PUT", "/pools/{}/nodes/{}/users/{}", Router.Body.OPTIONAL, c -> refuse("users", users));
    r.add("DELETE", "/pools/{}/nodes/{}/users/{}", Router.Body.NONE, c -> refuse("users", users));
    r.add("GET", "/pools/{}/nodes/{}/remoteloginsettings", Router.Body.NONE, c -> refuse("remoteloginsettings", users));
  }

  /** The certificate paths with {@code (thumbprintAlgorithm=…,thumbprint=…)} are matched by the documented list. */
  static boolean isCertificatePath(String rawPath) {
    return rawPath.toLowerCase(Locale.ROOT).startsWith("/certificates(");
  }

  static final String CERTIFICATES = "Certificates are not provided by batchgrid: self-hosted nodes have no "
      + "certificate store managed by the service. Give tasks their secrets through resource files or environment settings.";

  static CompletionStage<HttpResponse> refuseCertificates() {
    return refuse("certificates", CERTIFICATES);
  }

  static CompletionStage<HttpResponse> refuse(String feature, String reason) {
    throw ApiError.of(ErrorCode.FEATURE_NOT_SUPPORTED, "The specified feature is not provided by batchgrid.",
        "Feature", feature, "Reason", reason);
  }

  private CompletionStage<HttpResponse> emptyList(Router.Call c, FilterSchema schema, String entitySet) {
    RequestContext ctx = c.ctx();
    Lists.maxResults(ctx);
    Lists.filter(ctx, schema);
    return CompletableFuture.completedFuture(Responses.json(ctx, 200,
        Responses.list(ctx, entitySet, Json.NODES.arrayNode(), null), List.of()));
  }

  // ------------------------------------------------------------------------------ images

  /**
   * The host's operating system as one image, from {@code /etc/os-release}: publisher and offer are
   * its {@code ID}, sku its {@code VERSION_ID}, and the node agent SKU id
   * {@code batch.node.<ID> <VERSION_ID>}, the form Azure's Linux agents have.
   */
  static ObjectNode hostImage(Path osRelease) {
    Map<String, String> os = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(osRelease)) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          String v = line.substring(eq + 1).trim();
          if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            v = v.substring(1, v.length() - 1);
          }
          os.put(line.substring(0, eq).trim(), v);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not a Linux host with os-release: describe it from the JVM.
    }
    String id = os.getOrDefault("ID", System.getProperty("os.name", "linux")).toLowerCase(Locale.ROOT).replace(' ', '-');
    String version = os.getOrDefault("VERSION_ID", System.getProperty("os.version", "0"));
    ObjectNode o = Json.object();
    o.put("nodeAgentSKUId", "batch.node." + id + " " + version);
    ObjectNode ref = o.putObject("imageReference");
    ref.put("publisher", id);
    ref.put("offer", id);
    ref.put("sku", version);
    ref.put("version", "latest");
    o.put("osType", System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows") ? "windows" : "linux");
    o.put("verificationType", "verified");
    return o;
  }

  private CompletionStage<HttpResponse> supportedImages(Router.Call c) {
    RequestContext ctx = c.ctx();
    Lists.maxResults(ctx);
    Predicate<ObjectNode> filter = Lists.filter(ctx, FilterSchema.IMAGES);
    ArrayNode values = Json.NODES.arrayNode();
    ObjectNode image = hostImage.deepCopy();
    if (filter.test(image)) {
      values.add(image);
    }
    return CompletableFuture.completedFuture(Responses.json(ctx, 200,
        Responses.list(ctx, "supportedimages", values, null), List.of()));
  }

  // ------------------------------------------------------------------------------ node counts

  /** The NodeCounts property of each node state. */
  static String countName(NodeState s) {
    return switch (s) {
      case STARTTASKFAILED -> "startTaskFailed";
      case LEAVINGPOOL -> "leavingPool";
      case WAITINGFORSTARTTASK -> "waitingForStartTask";
      case UPGRADINGOS -> "upgradingOS";
      default -> s.wire();
    };
  }

  static final List<String> COUNTS = List.of("creating", "idle", "offline", "preempted", "rebooting", "reimaging",
      "running", "starting", "startTaskFailed", "leavingPool", "unknown", "unusable", "waitingForStartTask",
      "upgradingOS", "deallocated", "deallocating");

  static ObjectNode counts(List<NodeState> states) {
    ObjectNode o = Json.object();
    COUNTS.forEach(n -> o.put(n, 0));
    for (NodeState s : states) {
      String name = countName(s);
      o.put(name, o.path(name).asInt() + 1);
    }
    o.put("total", states.size());
    return o;
  }

  private CompletionStage<HttpResponse> nodeCounts(Router.Call c) {
    RequestContext ctx = c.ctx();
    int max = Lists.maxResults(ctx);
    String after = Lists.afterKey(ctx);
    Predicate<ObjectNode> filter = Lists.filter(ctx, FilterSchema.NODE_COUNTS);
    Select select = Lists.select(ctx);
    Duration timeout = ctx.timeout();
    return coordinator.ids(Catalog.Kind.POOL, timeout)
        .thenCompose(ids -> Lists.page(PoolRoutes.keys(ids), after, max, key -> poolCounts(key, timeout), filter))
        .thenApply(page -> PoolRoutes.listResponse(ctx, "poolnodecounts", page, select));
  }

  private CompletionStage<Optional<ObjectNode>> poolCounts(String poolKey, Duration timeout) {
    return coordinator.<PoolEntity.PoolView>pool(poolKey, PoolEntity.Get::new, timeout)
        .thenCompose(v -> coordinator.<List<PoolEntity.NodeHandle>>pool(poolKey, PoolEntity.ListNodes::new, timeout)
            .thenCompose(handles -> {
              List<CompletableFuture<NodeState>> states = new ArrayList<>();
              for (PoolEntity.NodeHandle h : handles) {
                states.add(h.agent() == null ? CompletableFuture.completedFuture(h.state())
                    : coordinator.nodeStatus(h.agent(), NODE_STATUS_TIMEOUT).thenApply(st -> st.state())
                        .exceptionally(e -> h.state()).toCompletableFuture());
              }
              return CompletableFuture.allOf(states.toArray(CompletableFuture[]::new)).thenApply(done -> {
                ObjectNode o = Json.object();
                o.put("poolId", v.record().id());
                o.set("dedicated", counts(states.stream().map(CompletableFuture::join).toList()));
                o.set("lowPriority", counts(List.of()));
                return Optional.of(o);
              });
            }))
        .exceptionally(e -> PoolRoutes.absentIfNotFound(e, ErrorCode.POOL_NOT_FOUND));
  }
}
