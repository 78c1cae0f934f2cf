package io.batchgrid.worker.staging;

import java.io.IOException;

/**
 * A Blob or HTTP request that failed for good (after its retries, or at once for an answer that
 * retrying cannot change, such as 403 or 404).
 */
final class TransferException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String url;
  private final int status;
  private final String storageErrorCode;
  private final boolean timedOut;

  TransferException(String url, int status, String storageErrorCode, String message, boolean timedOut, Throwable cause) {
    super(message, cause);
    this.url = ContainerUrl.redact(url);
    this.status = status;
    this.storageErrorCode = storageErrorCode;
    this.timedOut = timedOut;
  }

  /** The URL, its SAS signature redacted. */
  String url() {
    return url;
  }

  /** The HTTP status, or 0 when no answer came (connection error, timeout). */
  int status() {
    return status;
  }

  /** Azure Storage's {@code x-ms-error-code}, or null. */
  String storageErrorCode() {
    return storageErrorCode;
  }

  boolean timedOut() {
    return timedOut;
  }
}
