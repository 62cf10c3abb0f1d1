package dev.opskit.core;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.core.internal.PosixShell;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * A command to run: an argv list (never a shell string), optional stdin bytes, extra environment
 * variables, a working directory, a timeout and a cap on the output kept in memory. Every executor
 * runs the same value the same way, so a command built once runs locally, over SSH, under sudo or
 * inside a network namespace.
 *
 * <pre>{@code
 * Command save = Command.of("iptables-save", "-t", "filter");
 * Command restore = Command.builder()
 *     .addArgv("iptables-restore", "--noflush", "-w")
 *     .stdin(rules)
 *     .timeout(Duration.ofSeconds(30))
 *     .build();
 * }</pre>
 *
 * <p>Arguments are validated when the command is built: no NUL characters (no operating system can
 * pass them) and no unpaired UTF-16 surrogates (they cannot be encoded, so could not arrive
 * intact). {@link #toString()} never shows stdin or environment values, which may hold secrets.
 */
@Value.Immutable
@OpskitStyle
public abstract class Command {
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** The default of {@link #maxOutputBytes()}: 64 MiB per stream. */
  public static final int DEFAULT_MAX_OUTPUT_BYTES = 64 << 20;

  /** The largest {@link #maxOutputBytes()} a Java byte array can hold. */
  public static final int LIMIT_MAX_OUTPUT_BYTES = Integer.MAX_VALUE - 8;

  Command() {}

  /** A command with these arguments and nothing else. */
  public static Command of(String... argv) {
    return builder().addArgv(argv).build();
  }

  /** A command with these arguments and nothing else. */
  public static Command of(List<String> argv) {
    return builder().addAllArgv(argv).build();
  }

  /** A builder for a command; at least one argv element is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The program and its arguments; the first element is the program. */
  public abstract List<String> argv();

  /** Bytes written to the command's standard input, which is then closed; empty by default. */
  @Value.Default
  public byte[] stdin() {
    return new byte[0];
  }

  /**
   * Environment variables added to (or replacing) the executor's environment. Values may be
   * secrets: {@link #toString()} shows only the names, and no executor puts a value into an argv
   * (locally they are the process's environment; {@link SudoExecutor} and {@link SshExecutor} send
   * them on stdin to a small {@code sh} wrapper that exports them).
   */
  public abstract Map<String, String> env();

  /** The working directory on the machine that runs the command; the executor's by default. */
  public abstract Optional<String> workingDirectory();

  /** How long the command may run before it (and its children) are killed; unbounded if empty. */
  public abstract Optional<Duration> timeout();

  /**
   * How many bytes of standard output, and separately of standard error, {@link
   * CommandExecutor#execute(Command)} keeps in memory; {@value #DEFAULT_MAX_OUTPUT_BYTES} by
   * default. Output beyond it is read and dropped (the command is not stopped) and the result says
   * so ({@link ExecResult#stdoutTruncated()}, which also makes it not {@linkplain
   * ExecResult#isSuccess() successful}). The streaming form {@link CommandExecutor#execute(Command,
   * java.io.OutputStream, java.io.OutputStream)} passes everything on and keeps nothing, so this
   * cap does not apply to it.
   */
  @Value.Default
  public int maxOutputBytes() {
    return DEFAULT_MAX_OUTPUT_BYTES;
  }

  /** This command keeping at most {@code maxOutputBytes} of each output stream in memory. */
  public Command withMaxOutputBytes(int maxOutputBytes) {
    return builder().from(this).maxOutputBytes(maxOutputBytes).build();
  }

  /** This command with {@code stdin} as its standard input. */
  public Command withStdin(byte[] stdin) {
    return builder().from(this).stdin(stdin).build();
  }

  /** This command with the UTF-8 bytes of {@code stdin} as its standard input. */
  public Command withStdin(String stdin) {
    return withStdin(stdin.getBytes(StandardCharsets.UTF_8));
  }

  /** This command with a timeout. */
  public Command withTimeout(Duration timeout) {
    return builder().from(this).timeout(timeout).build();
  }

  /**
   * This command with {@code prefix} put in front of its argv, everything else kept; decorators
   * such as {@code sudo} and {@code ip netns exec} use it.
   */
  public Command withPrefix(List<String> prefix) {
    return builder().from(this).argv(prefix).addAllArgv(argv()).build();
  }

  /** The argv as one POSIX-shell-quoted line, for display and logs (never executed as such). */
  public String display() {
    return PosixShell.join(argv());
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("Command{").append(display());
    if (stdin().length > 0) {
      text.append(", stdin=").append(stdin().length).append(" bytes");
    }
    if (!env().isEmpty()) {
      text.append(", env=").append(env().keySet());
    }
    workingDirectory().ifPresent(dir -> text.append(", dir=").append(dir));
    timeout().ifPresent(t -> text.append(", timeout=").append(t));
    if (maxOutputBytes() != DEFAULT_MAX_OUTPUT_BYTES) {
      text.append(", maxOutputBytes=").append(maxOutputBytes());
    }
    return text.append('}').toString();
  }

  @Value.Check
  void check() {
    if (argv().isEmpty()) {
      throw new IllegalArgumentException("argv must not be empty");
    }
    if (argv().get(0).isEmpty()) {
      throw new IllegalArgumentException("argv[0] (the program) must not be empty");
    }
    for (int i = 0; i < argv().size(); i++) {
      checkText("argv[" + i + "]", argv().get(i));
    }
    env()
        .forEach(
            (name, value) -> {
              if (!ENV_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(
                    "environment variable name "
                        + quoteForMessage(name)
                        + " must match "
                        + ENV_NAME.pattern());
              }
              checkText("environment variable " + name, value);
            });
    workingDirectory()
        .ifPresent(
            dir -> {
              if (dir.isEmpty()) {
                throw new IllegalArgumentException("working directory must not be empty");
              }
              checkText("working directory", dir);
            });
    timeout()
        .ifPresent(
            t -> {
              if (t.isNegative() || t.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, was " + t);
              }
            });
    if (maxOutputBytes() < 0 || maxOutputBytes() > LIMIT_MAX_OUTPUT_BYTES) {
      throw new IllegalArgumentException(
          "maxOutputBytes must be between 0 and "
              + LIMIT_MAX_OUTPUT_BYTES
              + ", was "
              + maxOutputBytes());
    }
  }

  private static void checkText(String what, String value) {
    if (value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          what + " " + quoteForMessage(value) + " must not contain a NUL character");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            what + " has an unpaired UTF-16 surrogate at index " + i + " and cannot be encoded");
      }
    }
  }

  private static String quoteForMessage(String value) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
    return "'" + shown.replace("\0", "\\0").replace("\n", "\\n") + "'";
  }

  /** Builds a {@link Command}; {@code build()} validates it. */
  public static final class Builder extends ImmutableCommand.Builder {
    Builder() {}
  }
}
