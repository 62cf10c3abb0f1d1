package dev.opskit.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Runs every command of a delegate executor inside a named network namespace, as {@code ip netns
 * exec NAME ARGV}. Needs root on the target (compose with {@link SudoExecutor} otherwise); the
 * namespace must exist. Handy for tests that must never touch the host's own firewall or sysctls.
 *
 * <pre>{@code
 * CommandExecutor inside = LocalExecutor.create().inNetworkNamespace("opskit-test-a");
 * }</pre>
 *
 * <p>The command's environment goes to the delegate unchanged, never into argv: locally it is the
 * process environment, which {@code ip netns exec} passes on; {@link SudoExecutor} and {@link
 * SshExecutor} send the values on stdin.
 *
 * <p>Thread-safe when the delegate is. Does not close the delegate.
 */
public final class NetnsExecutor implements CommandExecutor {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");

  private final CommandExecutor delegate;
  private final String namespace;

  private NetnsExecutor(CommandExecutor delegate, String namespace) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.namespace = namespace;
  }

  /**
   * Wraps {@code delegate} so that commands run inside {@code namespace}.
   *
   * @throws IllegalArgumentException when the name is not a valid namespace name
   */
  public static NetnsExecutor of(CommandExecutor delegate, String namespace) {
    Objects.requireNonNull(namespace, "namespace");
    if (!NAME.matcher(namespace).matches()) {
      throw new IllegalArgumentException(
          "network namespace name '" + namespace + "' must match " + NAME.pattern());
    }
    return new NetnsExecutor(delegate, namespace);
  }

  /** The namespace commands run in. */
  public String namespace() {
    return namespace;
  }

  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    ExecResult result = delegate.execute(wrap(command));
    return ExecResult.builder().from(result).command(command).build();
  }

  /** Runs the command inside the namespace with its input and output streamed by the delegate. */
  @Override
  public ExecResult execute(
      Command command, InputStream stdin, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    ExecResult result = delegate.execute(wrap(command), stdin, stdout, stderr);
    return ExecResult.builder().from(result).command(command).build();
  }

  private Command wrap(Command command) {
    return command.withPrefix(List.of("ip", "netns", "exec", namespace));
  }

  /** Passes the steps on to the delegate, whose listeners hear of them. */
  @Override
  public void reportSteps(List<StepRecord> steps) {
    delegate.reportSteps(steps);
  }

  @Override
  public String toString() {
    return "netns(" + namespace + ", " + delegate + ")";
  }
}
