package dev.opskit.core;

import dev.opskit.core.internal.StdinEnvironment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Runs every command of a delegate executor through {@code sudo}. Composes with any executor:
 * {@code SshExecutor → SudoExecutor} runs {@code sudo} on the remote host.
 *
 * <p>Without a password, commands run as {@code sudo -n -- ARGV}: sudo fails at once (exit 1, "a
 * password is required") instead of waiting for a prompt nobody answers. With a password, it is
 * written to sudo's standard input ({@code -S}), never into argv, the environment or any log; a
 * short random marker line after it lets a tiny {@code sh} wrapper drop the password line when sudo
 * did not need it (cached credentials, NOPASSWD), so the command's own stdin arrives intact.
 *
 * <p>sudo resets the environment, and an argv is visible to every user of the host ({@code ps}), so
 * a command's {@linkplain Command#env() environment} travels neither way: its values are written to
 * stdin (after the password line, before the command's own bytes) and a small constant {@code sh}
 * wrapper run by sudo exports them and {@code exec}s the program. Only the variable names appear in
 * argv; the target host needs a POSIX {@code sh}.
 *
 * <pre>{@code
 * CommandExecutor root = SudoExecutor.withPassword(ssh, passwordChars);
 * }</pre>
 *
 * <p>Thread-safe when the delegate is. Does not close the delegate.
 */
public final class SudoExecutor implements CommandExecutor {
  private final CommandExecutor delegate;
  private final char[] password;

  private SudoExecutor(CommandExecutor delegate, char[] password) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.password = password;
  }

  /** Runs commands with {@code sudo -n}: passwordless sudo only. */
  public static SudoExecutor of(CommandExecutor delegate) {
    return new SudoExecutor(delegate, null);
  }

  /**
   * Runs commands with {@code sudo -S}, answering its prompt with {@code password} on stdin. The
   * array is copied; clear yours when done.
   *
   * @throws IllegalArgumentException when the password contains a line break or NUL
   */
  public static SudoExecutor withPassword(CommandExecutor delegate, char[] password) {
    Objects.requireNonNull(password, "password");
    for (char c : password) {
      if (c == '\n' || c == '\r' || c == '\0') {
        throw new IllegalArgumentException(
            "sudo password must not contain a line break or NUL (sudo reads one line)");
      }
    }
    return new SudoExecutor(delegate, password.clone());
  }

  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    ExecResult result = delegate.execute(wrap(command));
    return ExecResult.builder().from(result).command(command).build();
  }

  /**
   * Runs the command through sudo with its input and output streamed by the delegate; with a
   * password, the password line goes first and {@code stdin} follows the command's own bytes.
   */
  @Override
  public ExecResult execute(
      Command command, InputStream stdin, OutputStream stdout, OutputStream stderr)
      throws IOException, InterruptedException {
    ExecResult result = delegate.execute(wrap(command), stdin, stdout, stderr);
    return ExecResult.builder().from(result).command(command).build();
  }

  private Command wrap(Command command) {
    Command inner = StdinEnvironment.wrap(command);
    Command.Builder wrapped = Command.builder().from(inner).argv(List.of("sudo"));
    if (password == null) {
      wrapped.addArgv("-n", "--").addAllArgv(inner.argv());
    } else {
      String marker = "opskit-sudo-" + UUID.randomUUID();
      wrapped
          .addArgv("-S", "-p", "", "--", "sh", "-c", DROP_PASSWORD_LINE, marker)
          .addAllArgv(inner.argv())
          .stdin(passwordThenMarker(marker, inner.stdin()));
    }
    return wrapped.build();
  }

  /**
   * Reads at most two lines: the password (when sudo left it unread) and the marker; then runs the
   * command on the rest of stdin. {@code read} takes a pipe byte by byte, so nothing more is lost.
   */
  private static final String DROP_PASSWORD_LINE =
      "for _ in 1 2; do IFS= read -r line || exit 125;"
          + " if [ \"$line\" = \"$0\" ]; then exec \"$@\"; fi; done;"
          + " echo 'opskit: sudo stdin marker not found' >&2; exit 125";

  private byte[] passwordThenMarker(String marker, byte[] stdin) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
    byte[] secret = new byte[encoded.remaining()];
    encoded.get(secret);
    bytes.writeBytes(secret);
    Arrays.fill(secret, (byte) 0);
    Arrays.fill(encoded.array(), (byte) 0);
    bytes.write('\n');
    bytes.writeBytes((marker + "\n").getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes(stdin);
    return bytes.toByteArray();
  }

  /** Passes the steps on to the delegate, whose listeners hear of them. */
  @Override
  public void reportSteps(List<StepRecord> steps) {
    delegate.reportSteps(steps);
  }

  @Override
  public String toString() {
    return "sudo(" + delegate + ")";
  }
}
