package io.batchgrid.api.odata;

/** A {@code $filter} that cannot be evaluated: malformed, an unknown property or a type mismatch. */
public final class FilterException extends RuntimeException {
  private final int position;

  public FilterException(int position, String reason) {
    super(reason + " (at position " + position + ")", null, false, false);
    this.position = position;
  }

  /** 1-based character position in the filter where the problem was found. */
  public int position() {
    return position;
  }
}
