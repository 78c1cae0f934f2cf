package io.batchgrid.api.routes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Matches a request to its handler by method and path. A path no route serves is told apart from a
 * documented Azure Batch operation batchgrid does not serve yet (400 {@code FeatureNotSupported}),
 * a documented path with a verb it does not have (405), and a path that is no operation (404).
 */
public final class Router {

  /** STREAM: the handler reads (or discards) the request's entity itself, of any size. */
  public enum Body { NONE, REQUIRED, OPTIONAL, STREAM }

  /** One request for a handler: its context, the decoded path parameters and the body (empty when none). */
  public record Call(RequestContext ctx, List<String> params, byte[] body) {
    public String param(int i) {
      return params.get(i);
    }
  }

  @FunctionalInterface
  public interface Handler {
    CompletionStage<HttpResponse> handle(Call call);
  }

  /** {@code template} segments: literals, {@code {}} for one segment, {@code {*}} (last) for the rest of the path. */
  public record Route(String method, List<String> template, Body body, Handler handler) {}

  public record Match(Route route, List<String> params) {}

  private record Operation(String method, Pattern path) {}

  private final List<Route> routes = new ArrayList<>();
  private final List<Operation> documented;

  public Router() {
    this.documented = loadOperations();
  }

  public Router add(String method, String template, Body body, Handler handler) {
    List<String> parts = new ArrayList<>();
    for (String s : template.split("/")) {
      if (!s.isEmpty()) {
        parts.add(s);
      }
    }
    routes.add(new Route(method, List.copyOf(parts), body, handler));
    return this;
  }

  /** The route for the request, or the error that answers it. */
  public Match match(RequestContext ctx) {
    boolean pathKnown = false;
    for (Route r : routes) {
      List<String> params = params(r.template(), ctx.segments());
      if (params != null) {
        if (r.method().equals(ctx.method())) {
          return new Match(r, params);
        }
        pathKnown = true;
      }
    }
    boolean documentedPath = false;
    for (Operation op : documented) {
      if (op.path().matcher(ctx.rawPath()).matches()) {
        if (op.method().equals(ctx.method())) {
          throw ApiError.operationNotSupported(ctx.method(), ctx.rawPath());
        }
        documentedPath = true;
      }
    }
    if (pathKnown || documentedPath) {
      throw ApiError.unsupportedVerb(ctx.method(), ctx.rawPath());
    }
    throw ApiError.unknownResource(ctx.rawPath());
  }

  private static List<String> params(List<String> template, List<String> segments) {
    List<String> params = new ArrayList<>(2);
    for (int i = 0; i < template.size(); i++) {
      String t = template.get(i);
      if (t.equals("{*}")) {
        if (i >= segments.size()) {
          return null;
        }
        params.add(String.join("/", segments.subList(i, segments.size())));
        return params;
      }
      if (i >= segments.size()) {
        return null;
      }
      if (t.equals("{}")) {
        params.add(segments.get(i));
      } else if (!t.equalsIgnoreCase(segments.get(i))) {
        return null;
      }
    }
    return template.size() == segments.size() ? params : null;
  }

  private static List<Operation> loadOperations() {
    List<Operation> ops = new ArrayList<>();
    try (InputStream in = Router.class.getResourceAsStream("/io/batchgrid/api/operations.txt")) {
      if (in == null) {
        throw new IllegalStateException("operations.txt is missing from the api module");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = r.readLine()) != null) {
        line = line.trim();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int space = line.indexOf(' ');
        ops.add(new Operation(line.substring(0, space), toPattern(line.substring(space + 1))));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return List.copyOf(ops);
  }

  /** {@code /pools/{poolId}/nodes/{nodeId}/files/{filePath}} → a regex over the raw path. */
  static Pattern toPattern(String template) {
    StringBuilder re = new StringBuilder("(?i)");
    int i = 0;
    while (i < template.length()) {
      int open = template.indexOf('{', i);
      if (open < 0) {
        re.append(Pattern.quote(template.substring(i)));
        break;
      }
      re.append(Pattern.quote(template.substring(i, open)));
      int close = template.indexOf('}', open);
      String name = template.substring(open + 1, close);
      re.append(name.equals("filePath") ? ".+" : "[^/]+");
      i = close + 1;
    }
    return Pattern.compile(re + "/?");
  }
}
