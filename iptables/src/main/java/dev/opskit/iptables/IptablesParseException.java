package dev.opskit.iptables;

import dev.opskit.core.OpskitException;

/**
 * Text that is not valid {@code iptables-save} output. Carries the 1-based line number and the
 * offending line so callers can point at it.
 */
public final class IptablesParseException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final int lineNumber;
  private final String line;

  /** Creates the exception for {@code line} (1-based {@code lineNumber}). */
  public IptablesParseException(int lineNumber, String line, String message) {
    super("line " + lineNumber + ": " + message + ": " + line);
    this.lineNumber = lineNumber;
    this.line = line;
  }

  /** The 1-based number of the offending line. */
  public int lineNumber() {
    return lineNumber;
  }

  /** The offending line as it was read. */
  public String line() {
    return line;
  }
}
