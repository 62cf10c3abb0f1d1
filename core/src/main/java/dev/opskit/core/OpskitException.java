package dev.opskit.core;

/**
 * Root of the small unchecked hierarchy opskit throws when an operation cannot go on, for example a
 * command that had to succeed and did not, or text that does not parse. Transport problems are
 * {@link java.io.IOException}s and misuse is an {@link IllegalArgumentException}, never this.
 */
public class OpskitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message. */
  public OpskitException(String message) {
    super(message);
  }

  /** Creates an exception with a message and its cause. */
  public OpskitException(String message, Throwable cause) {
    super(message, cause);
  }
}
