package dev.opskit.core;

/**
 * Thrown by {@link ExecResult#requireSuccess()} when a command that had to succeed exited non-zero,
 * was killed, timed out, or produced more output than it may keep. Carries the whole {@link
 * ExecResult}, command included, so callers never need to parse the message.
 */
public final class CommandFailedException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final transient ExecResult result;

  /** Creates the exception for a finished, unsuccessful result. */
  public CommandFailedException(ExecResult result) {
    super(describe(result));
    this.result = result;
  }

  /** The result of the failed command, including {@link ExecResult#command()}. */
  public ExecResult result() {
    return result;
  }

  /** The command that failed. */
  public Command command() {
    return result.command();
  }

  private static String describe(ExecResult result) {
    StringBuilder message =
        new StringBuilder("command failed: ").append(result.command().display());
    if (result.timedOut()) {
      message.append(" (timed out after ").append(result.duration().toMillis()).append(" ms)");
    } else if (result.exitCode().isPresent()) {
      message.append(" (exit ").append(result.exitCode().getAsInt()).append(')');
    } else {
      message.append(" (no exit code");
      result.exitSignal().ifPresent(signal -> message.append(", signal ").append(signal));
      message.append(')');
    }
    if (result.stdoutTruncated() || result.stderrTruncated()) {
      message
          .append(" (output beyond ")
          .append(result.command().maxOutputBytes())
          .append(" bytes was dropped")
          .append(result.stdoutTruncated() ? " from stdout" : "")
          .append(result.stdoutTruncated() && result.stderrTruncated() ? " and" : "")
          .append(result.stderrTruncated() ? " from stderr" : "")
          .append(')');
    }
    String stderr = result.stderrUtf8().strip();
    if (!stderr.isEmpty()) {
      message.append(": ").append(stderr.length() > 500 ? stderr.substring(0, 500) + "…" : stderr);
    }
    return message.toString();
  }
}
