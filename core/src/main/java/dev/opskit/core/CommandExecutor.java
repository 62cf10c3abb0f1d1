package dev.opskit.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 *
 * <p><b>Buffered or streamed.</b> {@link #execute(Command)} keeps the output in memory, at most
 * {@link Command#maxOutputBytes()} per stream. For output of any size, {@link #execute(Command,
 * OutputStream, OutputStream)} passes it to sinks as it arrives, and {@link #execute(Command,
 * InputStream, OutputStream, OutputStream)} also streams standard input from a source. Every opskit
 * executor streams for real, in bounded memory; for an implementation that only has {@link
 * #execute(Command)} (a lambda, a fake), the default methods buffer instead.
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

  /**
   * Runs the command, writing its standard output and error to {@code stdout} and {@code stderr} as
   * they arrive instead of keeping them: the result's {@code stdout()} and {@code stderr()} are
   * empty and {@link Command#maxOutputBytes()} does not apply. The command's own {@link
   * Command#stdin()} bytes are its input.
   *
   * <pre>{@code
   * try (OutputStream file = Files.newOutputStream(dump)) {
   *   executor.execute(Command.of("iptables-save"), file, System.err).requireSuccess();
   * }
   * }</pre>
   *
   * <p>The two sinks are written from different threads (each by one at a time), flushed when the
   * command ends, and never closed: the caller owns them. When writing to a sink fails, the command
   * is stopped and an {@link IOException} thrown.
   *
   * @throws IOException when the command could not be started, its transport failed, or a sink
   *     failed
   * @throws InterruptedException when the calling thread was interrupted; the command is stopped
   */
  default ExecResult execute(Command command, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    return execute(command, InputStream.nullInputStream(), stdout, stderr);
  }

  /**
   * Like {@link #execute(Command, OutputStream, OutputStream)}, with standard input streamed too:
   * first the command's own {@link Command#stdin()} bytes, then everything read from {@code stdin}
   * until its end, then end-of-file. When the command finishes before {@code stdin} ends, reading
   * stops (a read that is blocked at that moment may keep a daemon thread until it returns). The
   * caller owns {@code stdin} and closes it.
   *
   * <p>This default reads {@code stdin} to its end, runs {@link #execute(Command)} with it and then
   * writes the output to the sinks; opskit's executors override it to stream.
   *
   * @throws IOException when the command could not be started, its transport failed, or a sink
   *     failed
   * @throws InterruptedException when the calling thread was interrupted; the command is stopped
   */
  default ExecResult execute(
      Command command, InputStream stdin, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    byte[] more = stdin.readAllBytes();
    Command buffered = command;
    if (more.length > 0) {
      byte[] all = new byte[command.stdin().length + more.length];
      System.arraycopy(command.stdin(), 0, all, 0, command.stdin().length);
      System.arraycopy(more, 0, all, command.stdin().length, more.length);
      buffered = command.withStdin(all);
    }
    ExecResult result = execute(buffered);
    stdout.write(result.stdout());
    stdout.flush();
    stderr.write(result.stderr());
    stderr.flush();
    return ExecResult.builder()
        .from(result)
        .command(command)
        .stdout(new byte[0])
        .stderr(new byte[0])
        .build();
  }

  /**
   * Reports the logical steps an applier decoded from a command this executor ran (the programs of
   * a batched {@code sh -c}, with their exit status and duration) to the {@link ExecutionListener}s
   * of this executor. Decorators pass them on to their delegate; a listening executor hands each to
   * {@link ExecutionListener#stepFinished(StepRecord)}. Does nothing by default.
   */
  default void reportSteps(List<StepRecord> steps) {}

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
