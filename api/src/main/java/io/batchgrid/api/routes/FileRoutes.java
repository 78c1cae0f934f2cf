package io.batchgrid.api.routes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.wire.Json;
import io.batchgrid.api.wire.WireTime;
import io.batchgrid.api.wire.WireWriter;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.job.JobSummary;
import io.batchgrid.protocol.job.TaskRecord;
import io.batchgrid.protocol.node.NodeFile;
import io.batchgrid.protocol.node.NodeMessage;

/**
 * The files of a task, read from the node that ran it, and of a node: list, properties (HEAD),
 * content (GET, streamed from the node, {@code ocp-range} honoured) and DELETE ({@code recursive}
 * for a directory that is not empty).
 */
final class FileRoutes {
  private static final Pattern RANGE = Pattern.compile("\\s*bytes\\s*=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*");

  private final Coordinator coordinator;
  private final JobRoutes jobs;
  private final TaskRoutes tasks;

  FileRoutes(Coordinator coordinator, JobRoutes jobs, TaskRoutes tasks) {
    this.coordinator = coordinator;
    this.jobs = jobs;
    this.tasks = tasks;
  }

  void register(Router r) {
    r.add("GET", "/jobs/{}/tasks/{}/files", Router.Body.NONE, this::list);
    r.add("GET", "/jobs/{}/tasks/{}/files/{*}", Router.Body.NONE, c -> file(c, false));
    r.add("HEAD", "/jobs/{}/tasks/{}/files/{*}", Router.Body.NONE, c -> file(c, true));
    r.add("GET", "/pools/{}/nodes/{}/files", Router.Body.NONE, this::listNode);
    r.add("GET", "/pools/{}/nodes/{}/files/{*}", Router.Body.NONE, c -> nodeFile(c, false));
    r.add("HEAD", "/pools/{}/nodes/{}/files/{*}", Router.Body.NONE, c -> nodeFile(c, true));
    r.add("DELETE", "/jobs/{}/tasks/{}/files/{*}", Router.Body.NONE, this::deleteTaskFile);
    r.add("DELETE", "/pools/{}/nodes/{}/files/{*}", Router.Body.NONE, this::deleteNodeFile);
  }

  static ApiError fileNotFound(String path) {
    return ApiError.of(ErrorCode.FILE_NOT_FOUND, "The specified file does not exist.", "FilePath", path);
  }

  /** Where a task's files are: its node's agent and its directory there. */
  private record Place(JobSummary job, TaskRecord task, org.apache.pekko.actor.typed.ActorRef<NodeMessage> agent, String directory) {}

  /** The node and directory of the task, or empty when it never ran on a node. */
  private CompletionStage<Optional<Place>> place(String jobId, String taskId, Duration timeout) {
    return jobs.summary(jobId, timeout).thenCompose(j -> tasks.task(jobId, taskId, timeout).thenCompose(t -> {
      if (t.nodeId() == null || t.nodeId().isEmpty()) {
        return CompletableFuture.completedFuture(Optional.<Place>empty());
      }
      return coordinator.<PoolEntity.NodeHandle>pool(j.spec().getPoolId(), r -> new PoolEntity.GetNode(t.nodeId(), r), timeout)
          .thenApply(h -> {
            if (h.agent() == null) {
              throw ApiError.of(ErrorCode.NODE_NOT_READY, "The compute node that ran the task is not available at the moment.",
                  "NodeId", t.nodeId(), "Reason", "The node is " + h.state().wire() + "; retry shortly");
            }
            return Optional.of(new Place(j, t, h.agent(), WireWriter.taskRootDirectory(j.spec().getId(), t)));
          });
    }));
  }

  private static String filePath(Router.Call c) {
    String path = c.param(2);
    for (String part : path.split("/")) {
      if (part.equals("..") || part.equals(".")) {
        throw ApiError.invalidHeader("filePath", path, "The file path must not contain '.' or '..' segments");
      }
    }
    return path;
  }

  private CompletionStage<HttpResponse> list(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = TaskRoutes.taskId(c);
    java.util.function.Predicate<ObjectNode> filter = Lists.filter(ctx, io.batchgrid.api.odata.FilterSchema.FILES);
    boolean recursive = ctx.param("recursive").map(v -> v.trim().equalsIgnoreCase("true")).orElse(false);
    int max = Lists.maxResults(ctx);
    String after = Lists.afterKey(ctx);
    Duration timeout = ctx.timeout();
    return place(jobId, taskId, timeout).thenCompose(p -> {
      if (p.isEmpty()) {
        return CompletableFuture.completedFuture(List.<NodeFile>of());
      }
      return coordinator.<List<NodeFile>>node(p.get().agent(),
              r -> new NodeMessage.ListFiles(p.get().directory(), recursive, r), timeout)
          .exceptionally(e -> {
            Throwable cause = ApiHandler.unwrap(e);
            if (cause instanceof BatchException b && b.code() == ErrorCode.FILE_NOT_FOUND) {
              return List.of(); // dispatched, but its directory is not there yet
            }
            throw new java.util.concurrent.CompletionException(cause);
          });
    }).thenApply(files -> listing(ctx, files, after, max, filter, f -> ctx.writer().taskFile(jobId, taskId, f.name(), f)));
  }

  // ------------------------------------------------------------------------------ node files

  /** The agent of a registered node; 409 NodeNotReady while it is not registered. */
  private CompletionStage<org.apache.pekko.actor.typed.ActorRef<NodeMessage>> agent(Router.Call c, Duration timeout) {
    String poolId = c.param(0);
    if (!io.batchgrid.protocol.Ids.isValid(poolId)) {
      throw PoolRoutes.poolNotFound();
    }
    String nodeId = c.param(1);
    return coordinator.<PoolEntity.NodeHandle>pool(poolId, r -> new PoolEntity.GetNode(nodeId, r), timeout)
        .thenApply(h -> {
          if (h.agent() == null) {
            throw ApiError.of(ErrorCode.NODE_NOT_READY, "The compute node is not available at the moment.",
                "NodeId", nodeId, "Reason", "The node is " + h.state().wire() + "; retry shortly");
          }
          return h.agent();
        });
  }

  private CompletionStage<HttpResponse> listNode(Router.Call c) {
    RequestContext ctx = c.ctx();
    java.util.function.Predicate<ObjectNode> filter = Lists.filter(ctx, io.batchgrid.api.odata.FilterSchema.FILES);
    boolean recursive = ctx.param("recursive").map(v -> v.trim().equalsIgnoreCase("true")).orElse(false);
    int max = Lists.maxResults(ctx);
    String after = Lists.afterKey(ctx);
    Duration timeout = ctx.timeout();
    String poolId = c.param(0);
    String nodeId = c.param(1);
    return agent(c, timeout)
        .thenCompose(agent -> coordinator.<List<NodeFile>>node(agent, r -> new NodeMessage.ListFiles("", recursive, r), timeout))
        .thenApply(files -> listing(ctx, files, after, max, filter, f -> ctx.writer().nodeFile(poolId, nodeId, f.name(), f)));
  }

  private CompletionStage<HttpResponse> nodeFile(Router.Call c, boolean head) {
    RequestContext ctx = c.ctx();
    String path = filePath(c);
    Duration timeout = ctx.timeout();
    Optional<long[]> range = ctx.header("ocp-range").map(FileRoutes::range);
    String url = ctx.writer().nodeFileUrl(c.param(0), c.param(1), path);
    return agent(c, timeout).thenCompose(agent -> serve(ctx, agent, path, path, url, head, range, timeout))
        .exceptionally(e -> {
          Throwable cause = ApiHandler.unwrap(e);
          if (cause instanceof BatchException b && b.code() == ErrorCode.FILE_NOT_FOUND) {
            throw fileNotFound(path);
          }
          throw new java.util.concurrent.CompletionException(cause);
        });
  }

  private CompletionStage<HttpResponse> deleteTaskFile(Router.Call c) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = TaskRoutes.taskId(c);
    String path = filePath(c);
    boolean recursive = recursive(ctx);
    Duration timeout = ctx.timeout();
    return place(jobId, taskId, timeout).thenCompose(p -> {
      if (p.isEmpty()) {
        throw fileNotFound(path);
      }
      return delete(ctx, p.get().agent(), p.get().directory() + "/" + path, path, recursive, timeout);
    });
  }

  private CompletionStage<HttpResponse> deleteNodeFile(Router.Call c) {
    RequestContext ctx = c.ctx();
    String path = filePath(c);
    boolean recursive = recursive(ctx);
    Duration timeout = ctx.timeout();
    return agent(c, timeout).thenCompose(agent -> delete(ctx, agent, path, path, recursive, timeout));
  }

  private static boolean recursive(RequestContext ctx) {
    return ctx.param("recursive").map(v -> v.trim().equalsIgnoreCase("true")).orElse(false);
  }

  /** Deletes {@code nodePath} (relative to the node's root) through the node's agent; 200 without a body. */
  private CompletionStage<HttpResponse> delete(RequestContext ctx, org.apache.pekko.actor.typed.ActorRef<NodeMessage> agent,
      String nodePath, String path, boolean recursive, Duration timeout) {
    return coordinator.<org.apache.pekko.Done>node(agent, r -> new NodeMessage.DeleteFile(nodePath, recursive, r), timeout)
        .handle((done, e) -> {
          if (e == null) {
            return Responses.empty(ctx, 200, List.of());
          }
          Throwable cause = ApiHandler.unwrap(e);
          if (cause instanceof BatchException b && b.code() == ErrorCode.FILE_NOT_FOUND) {
            throw fileNotFound(path);
          }
          throw new java.util.concurrent.CompletionException(cause);
        });
  }

  /** A page of a file listing, after {@code after}, filtered. */
  private static HttpResponse listing(RequestContext ctx, List<NodeFile> files, String after, int max,
      java.util.function.Predicate<ObjectNode> filter, java.util.function.Function<NodeFile, ObjectNode> wire) {
    ArrayNode values = Json.NODES.arrayNode();
    String next = null;
    for (NodeFile f : files) {
      if (after != null && f.name().compareTo(after) <= 0) {
        continue;
      }
      ObjectNode o = wire.apply(f);
      if (!filter.test(o)) {
        continue;
      }
      if (values.size() == max) {
        next = Lists.nextLink(ctx, values.get(values.size() - 1).get("name").textValue());
        break;
      }
      values.add(o);
    }
    return Responses.json(ctx, 200, Responses.list(ctx, "files", values, next), List.of());
  }

  private CompletionStage<HttpResponse> file(Router.Call c, boolean head) {
    RequestContext ctx = c.ctx();
    String jobId = JobRoutes.jobId(c);
    String taskId = TaskRoutes.taskId(c);
    String path = filePath(c);
    Duration timeout = ctx.timeout();
    Optional<long[]> range = ctx.header("ocp-range").map(FileRoutes::range);
    return place(jobId, taskId, timeout).thenCompose(p -> {
      if (p.isEmpty()) {
        throw fileNotFound(path);
      }
      return serve(ctx, p.get().agent(), p.get().directory() + "/" + path, path,
          ctx.writer().taskFileUrl(jobId, taskId, path), head, range, timeout);
    }).exceptionally(e -> {
      Throwable cause = ApiHandler.unwrap(e);
      if (cause instanceof BatchException b && b.code() == ErrorCode.FILE_NOT_FOUND) {
        throw fileNotFound(path);
      }
      throw new java.util.concurrent.CompletionException(cause);
    });
  }

  /** A file (or, with {@code head}, its properties) from a node's agent; {@code nodePath} is relative to the node's root. */
  private CompletionStage<HttpResponse> serve(RequestContext ctx, org.apache.pekko.actor.typed.ActorRef<NodeMessage> agent,
      String nodePath, String path, String url, boolean head, Optional<long[]> range, Duration timeout) {
    if (head) {
      return coordinator.<List<NodeFile>>node(agent, r -> new NodeMessage.ListFiles(nodePath, false, r), timeout)
          .thenApply(files -> {
            if (files.size() != 1) {
              throw fileNotFound(path);
            }
            NodeFile f = files.get(0);
            long size = f.directory() ? 0 : f.size();
            // Pekko refuses a streamed entity of length 0: an empty file is a strict empty entity.
            return HttpResponse.create().withStatus(200).addHeaders(headers(ctx, url, f))
                .withEntity(size == 0 ? HttpEntities.create(contentType(path, f), new byte[0])
                    : HttpEntities.create(contentType(path, f), size, org.apache.pekko.stream.javadsl.Source.empty()));
          });
    }
    long offset = range.map(r -> r[0]).orElse(0L);
    long length = range.map(r -> r[1] < 0 ? -1 : r[1] - r[0] + 1).orElse(-1L);
    return coordinator.<NodeMessage.FileContent>node(agent, r -> new NodeMessage.ReadFile(nodePath, offset, length, r), timeout)
        .thenApply(content -> {
          NodeFile f = content.file();
          long available = Math.max(0, f.size() - offset);
          long size = length < 0 ? available : Math.min(length, available);
          // Pekko refuses a streamed entity of length 0; a chunked one still drains the node's stream.
          return HttpResponse.create().withStatus(200).addHeaders(headers(ctx, url, f))
              .withEntity(size == 0 ? HttpEntities.createChunked(contentType(path, f), content.data().getSource())
                  : HttpEntities.create(contentType(path, f), size, content.data().getSource()));
        });
  }

  private static ContentType contentType(String path, NodeFile f) {
    String t = WireWriter.contentType(path);
    return t.equals("text/plain") ? ContentTypes.TEXT_PLAIN_UTF8
        : t.equals("application/json") ? ContentTypes.APPLICATION_JSON : ContentTypes.APPLICATION_OCTET_STREAM;
  }

  private static List<HttpHeader> headers(RequestContext ctx, String url, NodeFile f) {
    List<HttpHeader> h = new ArrayList<>(Responses.standard(ctx));
    h.add(RawHeader.create("ETag", "\"" + WireWriter.etag(f.lastModifiedMs(), f.size()) + "\""));
    h.add(RawHeader.create("Last-Modified", WireTime.rfc1123(f.lastModifiedMs())));
    h.add(RawHeader.create("ocp-creation-time", WireTime.rfc1123(f.creationTimeMs() > 0 ? f.creationTimeMs() : f.lastModifiedMs())));
    h.add(RawHeader.create("ocp-batch-file-isdirectory", Boolean.toString(f.directory())));
    h.add(RawHeader.create("ocp-batch-file-url", url));
    if (f.fileMode() != null && !f.fileMode().isEmpty()) {
      h.add(RawHeader.create("ocp-batch-file-mode", f.fileMode()));
    }
    return h;
  }

  /** {@code bytes=a-b} → {a, b} ({@code b} = -1 for "to the end"). */
  static long[] range(String header) {
    Matcher m = RANGE.matcher(header.toLowerCase(Locale.ROOT));
    if (!m.matches() || m.group(1).isEmpty()) {
      throw ApiError.invalidHeader("ocp-range", header, "A range of the form bytes=start-end or bytes=start- is expected");
    }
    try {
      long start = Long.parseLong(m.group(1));
      long end = m.group(2).isEmpty() ? -1 : Long.parseLong(m.group(2));
      if (end >= 0 && end < start) {
        throw ApiError.invalidHeader("ocp-range", header, "The end of the range is before its start");
      }
      return new long[] {start, end};
    } catch (NumberFormatException e) {
      throw ApiError.invalidHeader("ocp-range", header, "The range is out of bounds");
    }
  }
}
