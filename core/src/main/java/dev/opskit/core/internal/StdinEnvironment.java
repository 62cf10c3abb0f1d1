package dev.opskit.core.internal;

import dev.opskit.core.Command;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Moves a command's environment values from wherever a decorator or transport would have to put
 * them (an argv that {@code ps} shows, an SSH exec string) onto the command's standard input.
 *
 * <p>The command becomes {@code sh -c SCRIPT sh NAME... -- ARGV...}: the constant script reads one
 * line per name from stdin, exports it, and {@code exec}s ARGV with the rest of stdin untouched
 * ({@code read} takes a pipe byte by byte). Only the names are in argv. Each value is sent on one
 * line with backslash written {@code \\} and line feed {@code \n}, which {@code printf %b} turns
 * back. Needs a POSIX {@code sh} where the command runs.
 */
public final class StdinEnvironment {
  /** The shell variable the script reads each line into; exported last when also a name. */
  private static final String LINE = "opskit_env_line";

  private static final String SCRIPT =
      "while [ \"$1\" != -- ]; do IFS= read -r "
          + LINE
          + " || { echo 'opskit: environment lines missing on stdin' >&2; exit 125; };"
          + " "
          + LINE
          + "=$(printf '%bx' \"$"
          + LINE
          + "\"); export \"$1=${"
          + LINE
          + "%x}\"; shift; done; shift; exec \"$@\"";

  private StdinEnvironment() {}

  /**
   * {@code command} with an empty environment, its variables read from stdin by a wrapper; the
   * command itself when it has no environment.
   */
  public static Command wrap(Command command) {
    Map<String, String> env = command.env();
    if (env.isEmpty()) {
      return command;
    }
    List<String> names = new ArrayList<>(env.keySet());
    if (names.remove(LINE)) {
      names.add(LINE);
    }
    List<String> argv = new ArrayList<>(List.of("sh", "-c", SCRIPT, "sh"));
    argv.addAll(names);
    argv.add("--");
    argv.addAll(command.argv());
    ByteArrayOutputStream stdin = new ByteArrayOutputStream();
    for (String name : names) {
      String line = env.get(name).replace("\\", "\\\\").replace("\n", "\\n") + "\n";
      stdin.writeBytes(line.getBytes(StandardCharsets.UTF_8));
    }
    stdin.writeBytes(command.stdin());
    return Command.builder()
        .from(command)
        .env(Map.of())
        .argv(argv)
        .stdin(stdin.toByteArray())
        .build();
  }
}
