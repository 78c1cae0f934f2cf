package io.batchgrid.api.routes;

import java.util.LinkedHashMap;
import java.util.Map;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;

/**
 * An error answer in Azure Batch's shape: HTTP status, {@code code}, message and {@code values}
 * (key/value detail). Thrown anywhere in request handling and rendered by {@link Responses#error}.
 * It carries no stack trace: it is an answer, not a fault.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String code;
  private final Map<String, String> values;

  public ApiError(int status, String code, String message, Map<String, String> values) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Map<String, String> values() {
    return values;
  }

  public static ApiError of(ErrorCode code, String message, String... keyValues) {
    return new ApiError(code.httpStatus(), code.wireCode(), message, pairs(keyValues));
  }

  public static ApiError of(BatchException e) {
    return new ApiError(e.code().httpStatus(), e.code().wireCode(), e.getMessage(), e.values());
  }

  private static Map<String, String> pairs(String... keyValues) {
    Map<String, String> v = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      if (keyValues[i + 1] != null) {
        v.put(keyValues[i], keyValues[i + 1]);
      }
    }
    return v;
  }

  // ------------------------------------------------------------- the errors Azure Batch answers with

  public static ApiError invalidProperty(String name, String value, String reason) {
    return of(ErrorCode.INVALID_PROPERTY_VALUE,
        "The value provided for one of the properties in the request body is invalid.",
        "PropertyName", name, "PropertyValue", value, "Reason", reason);
  }

  public static ApiError missingProperty(String name) {
    return of(ErrorCode.MISSING_REQUIRED_PROPERTY, "A required property was not specified in the request body.",
        "PropertyName", name);
  }

  public static ApiError invalidBody(String reason) {
    return of(ErrorCode.INVALID_REQUEST_BODY, "The specified Request Body is not syntactically valid.",
        "Reason", reason);
  }

  public static ApiError missingQueryParameter(String name) {
    return of(ErrorCode.MISSING_REQUIRED_QUERY_PARAMETER,
        "A query parameter that's mandatory for this request is not specified.", "QueryParameterName", name);
  }

  public static ApiError invalidQueryParameter(String name, String value, String reason) {
    return of(ErrorCode.INVALID_QUERY_PARAMETER_VALUE,
        "Value for one of the query parameters specified in the request URI is invalid.",
        "QueryParameterName", name, "QueryParameterValue", value, "Reason", reason);
  }

  public static ApiError invalidHeader(String name, String value, String reason) {
    return of(ErrorCode.INVALID_HEADER_VALUE,
        "The value for one of the HTTP headers is not in the correct format.",
        "HeaderName", name, "HeaderValue", value, "Reason", reason);
  }

  public static ApiError authenticationFailed(String detail) {
    return of(ErrorCode.AUTHENTICATION_FAILED,
        "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
        "AuthenticationErrorDetail", detail);
  }

  public static ApiError bodyTooLarge(String maxLimit, String reason) {
    return of(ErrorCode.REQUEST_BODY_TOO_LARGE,
        "The request body is too large and exceeds the maximum permissible limit.",
        "MaxLimit", maxLimit, "Reason", reason);
  }

  /** A property (or value) that the Azure Batch API defines but batchgrid cannot honour yet. */
  public static ApiError notSupported(String property, String reason) {
    return of(ErrorCode.FEATURE_NOT_SUPPORTED,
        "The specified feature is not supported by this batchgrid service.",
        "PropertyName", property, "Reason", reason);
  }

  /** An operation of the Azure Batch API that batchgrid does not serve yet. */
  public static ApiError operationNotSupported(String method, String path) {
    return of(ErrorCode.FEATURE_NOT_SUPPORTED,
        "The specified operation is not supported by this batchgrid service yet.",
        "Operation", method + " " + path);
  }

  public static ApiError unknownResource(String path) {
    return of(ErrorCode.RESOURCE_NOT_FOUND, "The specified resource does not exist.", "Reason",
        "No Azure Batch operation has the path " + path);
  }

  public static ApiError unsupportedVerb(String method, String path) {
    return of(ErrorCode.UNSUPPORTED_HTTP_VERB, "The resource doesn't support the specified HTTP verb.",
        "HttpVerb", method, "Reason", "The Azure Batch API has no " + method + " operation on " + path);
  }

  public static ApiError timedOut() {
    return of(ErrorCode.OPERATION_TIMED_OUT, "Operation could not be completed within the specified time.");
  }

  public static ApiError busy() {
    return of(ErrorCode.SERVER_BUSY, "The server is currently unable to receive requests. Please retry your request.");
  }

  public static ApiError internal() {
    return of(ErrorCode.INTERNAL_ERROR, "Server encountered an internal error. Please retry the request.");
  }
}
