package dev.opskit.core;

import java.io.IOException;
import java.util.List;

/**
 * Runs a {@link Command} somewhere: on this machine, over SSH, under sudo, inside a network
 * namespace, on a Kubernetes node. Every host-touching API in opskit takes one, so the same code
 * works against any host, and a lambda or {@link FakeCommandExecutor} stands in for tests.
 *
 * <p>Contract: a command that ran and exited, whatever its status, returns an {@link ExecResult} (a
 * non-zero exit is data). A command that could not be started or whose transport failed (no such
 * program, SSH connection down) throws {@link IOException}. An interrupted caller gets {@link
 * InterruptedException} and the command is stopped. Implementations are safe for concurrent use
 * unless they say otherwise. Whoever creates an executor that holds resources (an SSH connection)
 * closes it; decorators never close their delegate.
 *
 * <pre>{@code
 * CommandExecutor node = SshExecutor.builder(SshTarget.parse("ops@10.0.0.5")).build().withSudo();
 * ExecResult rules = node.execute(Command.of("iptables-save")).requireSuccess();
 * }</pre>
 */
@FunctionalInterface
public interface CommandExecutor {

  /**
   * Runs the command to completion (or to its timeout) and returns what it produced.
   *
   * @throws IOException when the command could not be started or its transport failed
   * @throws InterruptedException when the calling thread was interrupted; the command is stopped
   */
  ExecResult execute(Command command) throws IOException, InterruptedException;

  /** This executor running every command through {@code sudo -n} (no password prompt). */
  default CommandExecutor withSudo() {
    return SudoExecutor.of(this);
  }

  /** This executor running every command inside the named network namespace. */
  default CommandExecutor inNetworkNamespace(String namespace) {
    return NetnsExecutor.of(this, namespace);
  }

  /** This executor reporting every command to {@code listener}. */
  default CommandExecutor withListener(ExecutionListener listener) {
    return new ListeningExecutor(this, listener);
  }

  /** Shorthand for {@code execute(Command.of(argv))}. */
  default ExecResult execute(String... argv) throws IOException, InterruptedException {
    return execute(Command.of(argv));
  }

  /** Shorthand for {@code execute(Command.of(argv))}. */
  default ExecResult execute(List<String> argv) throws IOException, InterruptedException {
    return execute(Command.of(argv));
  }
}
