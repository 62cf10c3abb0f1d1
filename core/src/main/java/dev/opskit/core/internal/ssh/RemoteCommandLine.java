package dev.opskit.core.internal.ssh;

import dev.opskit.core.Command;
import dev.opskit.core.internal.PosixShell;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.OptionalLong;

/**
 * The one string an SSH {@code exec} request carries, built from a {@link Command}. The remote
 * login shell (any POSIX shell) reads it as:
 *
 * <pre>
 * echo opskit-pid:TOKEN:$$ &gt;&amp;2; cd 'DIR' &amp;&amp; exec 'argv0' 'argv1' ...
 * </pre>
 *
 * <p>OpenSSH starts the shell as the leader of a new session and process group, and {@code exec}
 * keeps its PID, so {@code $$} names the group holding the command and every child it starts. The
 * first line on stderr reports it, tagged with a per-command random token; the executor strips that
 * line from the result and uses the PID to kill the whole group on timeout ({@link #killGroup}).
 */
public final class RemoteCommandLine {
  private static final String MARKER = "opskit-pid:";
  private static final SecureRandom RANDOM = new SecureRandom();

  private RemoteCommandLine() {}

  /** A fresh random token (hex) identifying one command's PID report. */
  public static String newToken() {
    byte[] bytes = new byte[8];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** The exec string for {@code command}, with the PID report tagged {@code token}. */
  public static String render(Command command, String token) {
    StringBuilder line = new StringBuilder(64);
    line.append("echo ").append(MARKER).append(token).append(":$$ >&2; ");
    line.append(body(command));
    return line.toString();
  }

  /**
   * The command without the PID report: {@code cd DIR && exec argv...}.
   *
   * @throws IllegalArgumentException when the command has environment variables: their values would
   *     be in the line, so they must go on stdin first ({@link
   *     dev.opskit.core.internal.StdinEnvironment})
   */
  public static String body(Command command) {
    if (!command.env().isEmpty()) {
      throw new IllegalArgumentException(
          "environment " + command.env().keySet() + " must be moved to stdin before rendering");
    }
    StringBuilder line = new StringBuilder(64);
    command
        .workingDirectory()
        .ifPresent(dir -> line.append("cd ").append(PosixShell.quote(dir)).append(" && "));
    line.append("exec ").append(PosixShell.join(command.argv()));
    return line.toString();
  }

  /** The command that kills the process group led by {@code pid}. */
  public static String killGroup(long pid) {
    return "kill -s KILL -- -" + pid;
  }

  /** The PID the command reported on stderr, if its report has arrived. */
  public static OptionalLong pid(byte[] stderr, String token) {
    int[] span = find(stderr, token);
    if (span == null) {
      return OptionalLong.empty();
    }
    String text = new String(stderr, span[2], span[1] - 1 - span[2], StandardCharsets.US_ASCII);
    return OptionalLong.of(Long.parseLong(text));
  }

  /** {@code stderr} without the PID report line. */
  public static byte[] stripReport(byte[] stderr, String token) {
    int[] span = find(stderr, token);
    if (span == null) {
      return stderr;
    }
    byte[] result = new byte[stderr.length - (span[1] - span[0])];
    System.arraycopy(stderr, 0, result, 0, span[0]);
    System.arraycopy(stderr, span[1], result, span[0], stderr.length - span[1]);
    return result;
  }

  /** {start, end (after the newline), start of digits} of the report line, or null. */
  private static int[] find(byte[] stderr, String token) {
    byte[] prefix = (MARKER + token + ":").getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int start = 0; start + prefix.length < stderr.length; start++) {
      if (start > 0 && stderr[start - 1] != '\n') {
        continue;
      }
      for (int i = 0; i < prefix.length; i++) {
        if (stderr[start + i] != prefix[i]) {
          continue outer;
        }
      }
      int digits = start + prefix.length;
      int end = digits;
      while (end < stderr.length && stderr[end] >= '0' && stderr[end] <= '9' && end - digits < 19) {
        end++;
      }
      if (end == digits || end >= stderr.length || stderr[end] != '\n') {
        return null;
      }
      return new int[] {start, end + 1, digits};
    }
    return null;
  }
}
