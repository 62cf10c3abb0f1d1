package dev.opskit.core;

import dev.opskit.core.internal.OpskitStyle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.immutables.value.Value;

/**
 * What a finished command produced: exit code, standard output and error as bytes (with UTF-8
 * views), how long it ran, and whether it was stopped by its timeout. A non-zero exit is data, not
 * an exception; call {@link #requireSuccess()} where only success will do.
 *
 * <pre>{@code
 * ExecResult result = executor.execute(Command.of("sysctl", "-n", "fs.file-max"));
 * long max = Long.parseLong(result.requireSuccess().stdoutUtf8().strip());
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class ExecResult {
  ExecResult() {}

  /** A builder for a result; {@code command} and {@code duration} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** A result that exited with {@code exitCode}, with UTF-8 stdout and stderr. */
  public static ExecResult of(
      Command command, int exitCode, String stdout, String stderr, Duration duration) {
    return builder()
        .command(command)
        .exitCode(exitCode)
        .stdout(stdout.getBytes(StandardCharsets.UTF_8))
        .stderr(stderr.getBytes(StandardCharsets.UTF_8))
        .duration(duration)
        .build();
  }

  /** The command that ran. */
  public abstract Command command();

  /**
   * The exit status; empty when the process was killed by a signal (see {@link #exitSignal()}),
   * timed out, or the connection to it dropped before it reported one.
   */
  public abstract OptionalInt exitCode();

  /** The signal that ended the process, such as {@code KILL}, when the executor knows it. */
  public abstract Optional<String> exitSignal();

  /** Everything the command wrote to standard output. */
  @Value.Default
  public byte[] stdout() {
    return new byte[0];
  }

  /** Everything the command wrote to standard error. */
  @Value.Default
  public byte[] stderr() {
    return new byte[0];
  }

  /**
   * True when the command wrote more to standard output than {@link Command#maxOutputBytes()}, so
   * {@link #stdout()} holds only the first part.
   */
  @Value.Default
  public boolean stdoutTruncated() {
    return false;
  }

  /**
   * True when standard error went beyond {@link Command#maxOutputBytes()}; see {@link
   * #stdoutTruncated()}.
   */
  @Value.Default
  public boolean stderrTruncated() {
    return false;
  }

  /** Wall-clock time from start to finish as seen by the executor. */
  public abstract Duration duration();

  /** True when the command ran past its timeout and was killed. */
  @Value.Default
  public boolean timedOut() {
    return false;
  }

  /** Standard output decoded as UTF-8 (malformed bytes become U+FFFD). */
  public String stdoutUtf8() {
    return new String(stdout(), StandardCharsets.UTF_8);
  }

  /** Standard error decoded as UTF-8 (malformed bytes become U+FFFD). */
  public String stderrUtf8() {
    return new String(stderr(), StandardCharsets.UTF_8);
  }

  /**
   * True when the command exited with status 0, did not time out, and its output was kept whole
   * (neither {@link #stdoutTruncated()} nor {@link #stderrTruncated()}): code that parses the
   * output of a successful command never sees a cut-off one.
   */
  public boolean isSuccess() {
    return !timedOut()
        && !stdoutTruncated()
        && !stderrTruncated()
        && exitCode().isPresent()
        && exitCode().getAsInt() == 0;
  }

  /**
   * Returns this result when it {@linkplain #isSuccess() succeeded}.
   *
   * @throws CommandFailedException carrying this result otherwise
   */
  public ExecResult requireSuccess() {
    if (!isSuccess()) {
      throw new CommandFailedException(this);
    }
    return this;
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("ExecResult{").append(command().display());
    exitCode().ifPresent(code -> text.append(", exit=").append(code));
    exitSignal().ifPresent(signal -> text.append(", signal=").append(signal));
    if (timedOut()) {
      text.append(", timedOut");
    }
    if (stdoutTruncated()) {
      text.append(", stdoutTruncated");
    }
    if (stderrTruncated()) {
      text.append(", stderrTruncated");
    }
    return text.append(", stdout=")
        .append(stdout().length)
        .append(" bytes, stderr=")
        .append(stderr().length)
        .append(" bytes, ")
        .append(duration().toMillis())
        .append(" ms}")
        .toString();
  }

  @Value.Check
  void check() {
    if (duration().isNegative()) {
      throw new IllegalArgumentException("duration must not be negative, was " + duration());
    }
  }

  /** Builds an {@link ExecResult}. */
  public static final class Builder extends ImmutableExecResult.Builder {
    Builder() {}
  }
}
