package io.batchgrid.api.routes;

import java.util.ArrayList;
import java.util.List;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.batchgrid.api.wire.Json;
import io.batchgrid.api.wire.WireTime;

/** Responses with the headers Azure Batch puts on every answer. */
public final class Responses {
  private Responses() {}

  /** What Azure Batch answers JSON with, errors included. */
  public static final ContentType JSON = ContentTypes.parse("application/json;odata=minimalmetadata");

  public static final String ERROR_ENTITY_SET = "Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element";

  /** The headers of every response: {@code request-id}, and {@code client-request-id} when asked for. */
  public static List<HttpHeader> standard(RequestContext ctx) {
    List<HttpHeader> h = new ArrayList<>(6);
    h.add(RawHeader.create("request-id", ctx.requestId()));
    ctx.echoedClientRequestId().ifPresent(id -> h.add(RawHeader.create("client-request-id", id)));
    return h;
  }

  /** ETag (quoted) and Last-Modified of an entity. */
  public static List<HttpHeader> entity(String etag, long lastModifiedMs) {
    return List.of(RawHeader.create("ETag", "\"" + etag + "\""),
        RawHeader.create("Last-Modified", WireTime.rfc1123(lastModifiedMs)));
  }

  /** Headers of a write that created or changed an entity: ETag, Last-Modified, DataServiceId. */
  public static List<HttpHeader> written(String etag, long lastModifiedMs, String url) {
    List<HttpHeader> h = new ArrayList<>(entity(etag, lastModifiedMs));
    h.add(RawHeader.create("DataServiceId", url));
    return h;
  }

  public static HttpResponse json(RequestContext ctx, int status, ObjectNode body, List<HttpHeader> extra) {
    List<HttpHeader> h = standard(ctx);
    h.addAll(extra);
    HttpResponse r = HttpResponse.create().withStatus(status).addHeaders(h);
    return ctx.isHead() ? r : r.withEntity(HttpEntities.create(JSON, Json.bytes(body)));
  }

  public static HttpResponse empty(RequestContext ctx, int status, List<HttpHeader> extra) {
    List<HttpHeader> h = standard(ctx);
    h.addAll(extra);
    return HttpResponse.create().withStatus(status).addHeaders(h);
  }

  /** A list result: {@code odata.metadata}, {@code value} and, when there is more, {@code odata.nextLink}. */
  public static ObjectNode list(RequestContext ctx, String entitySet, ArrayNode values, String nextLink) {
    ObjectNode o = Json.object();
    o.put("odata.metadata", ctx.writer().metadata(entitySet));
    o.set("value", values);
    if (nextLink != null) {
      o.put("odata.nextLink", nextLink);
    }
    return o;
  }

  /** An entity body with {@code odata.metadata} first, as Azure writes it. */
  public static ObjectNode entityBody(RequestContext ctx, String entitySet, ObjectNode entity) {
    ObjectNode o = Json.object();
    o.put("odata.metadata", ctx.writer().metadata(entitySet));
    o.setAll(entity);
    return o;
  }

  /** The error body Azure Batch answers with; no body for HEAD. */
  public static HttpResponse error(RequestContext ctx, ApiError e) {
    List<HttpHeader> h = standard(ctx);
    HttpResponse r = HttpResponse.create().withStatus(StatusCodes.get(e.status())).addHeaders(h);
    if (ctx.isHead()) {
      return r;
    }
    return r.withEntity(HttpEntities.create(JSON, Json.bytes(errorBody(ctx, e, true))));
  }

  /**
   * @param withMetadata false inside a task-add result, where the error is a nested {@code BatchError}
   */
  public static ObjectNode errorBody(RequestContext ctx, ApiError e, boolean withMetadata) {
    ObjectNode o = Json.object();
    if (withMetadata) {
      o.put("odata.metadata", ctx.writer().metadata(ERROR_ENTITY_SET));
    }
    o.put("code", e.code());
    ObjectNode m = o.putObject("message");
    m.put("lang", "en-US");
    m.put("value", e.getMessage() + "\nRequestId:" + ctx.requestId() + "\nTime:" + WireTime.iso(System.currentTimeMillis()));
    if (!e.values().isEmpty()) {
      ArrayNode values = o.putArray("values");
      e.values().forEach((k, v) -> values.addObject().put("key", k).put("value", v));
    }
    return o;
  }
}
