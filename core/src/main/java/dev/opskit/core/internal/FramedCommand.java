package dev.opskit.core.internal;

import dev.opskit.core.Command;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A command sent on a channel that carries only bytes, to a POSIX shell that runs it: the channel
 * names a constant {@code sh -c} {@link #decoder(List) script}, and the command travels on the
 * script's stdin, framed as {@link #frame(Command, Duration)} writes:
 *
 * <pre>
 * DEADLINE\n                     (seconds; 0: none)
 * ARGC\n
 * per word: NEWLINES\n WORD\n     (NEWLINES: how many newline characters WORD contains)
 * STDIN_BYTES\n
 * STDIN
 * </pre>
 *
 * <p>The script reads each word with {@code IFS= read -r}, one line per call (POSIX {@code read}
 * takes a pipe one byte at a time, so it never consumes past the framing), joins a word's lines,
 * and appends it to {@code "$@"}: a word is only ever a variable's value, never parsed, expanded or
 * split. It then runs {@code RUNNER "$@"} (the runner, such as {@code chroot /host}, puts the
 * command where it belongs). Its stdin is exactly the STDIN_BYTES that follow, through {@code head
 * -c} (a channel that cannot signal the end of stdin needs that), or {@code /dev/null} when there
 * are none. A frame that does not parse ends with exit status {@value #MALFORMED} and runs nothing.
 * The shell's system must provide {@code head} and the runner's first word (busybox does).
 *
 * <p>A command still running at its DEADLINE is killed with everything it started: closing the
 * channel need not end the process it started (a container runtime keeps an exec's process
 * running), so a command whose caller gave up would otherwise go on. The script starts the runner
 * under {@code setsid}, in a process group of its own, and a watchdog kills that group with SIGKILL
 * at the deadline (exit status 137). The watchdog holds neither stdout nor the exit, so a command
 * that ends in time returns at once. Without {@code setsid} the command runs without a deadline.
 */
public final class FramedCommand {
  /** The exit status of the script when the framing on stdin does not parse. */
  public static final int MALFORMED = 126;

  private static final Pattern RUNNER_WORD = Pattern.compile("[A-Za-z0-9/_.=+-]+");

  private FramedCommand() {}

  /**
   * The script that reads a framed command from stdin and runs it as {@code RUNNER "$@"}.
   *
   * @throws IllegalArgumentException when {@code runner} is empty or a word of it is not plain
   *     (letters, digits and {@code /_.=+-} only), as the script names it unquoted
   */
  public static String decoder(List<String> runner) {
    if (runner.isEmpty() || !runner.stream().allMatch(w -> RUNNER_WORD.matcher(w).matches())) {
      throw new IllegalArgumentException(
          "runner " + runner + " must be one or more words of letters, digits and /_.=+-");
    }
    String run = String.join(" ", runner);
    return String.join(
        "\n",
        "bad() { echo \"opskit agent: malformed command on stdin ($1)\" >&2; exit "
            + MALFORMED
            + "; }",
        "num() { case $1 in ''|*[!0-9]*) bad \"$2\";; esac; }",
        "read -r t || bad deadline; num \"$t\" deadline",
        "read -r n || bad argc; num \"$n\" argc; [ \"$n\" -gt 0 ] || bad argc",
        "while [ \"$n\" -gt 0 ]; do",
        "  read -r k || bad lines; num \"$k\" lines; IFS= read -r a || bad word",
        "  while [ \"$k\" -gt 0 ]; do IFS= read -r l || bad word; a=\"$a",
        "$l\"; k=$((k - 1)); done",
        "  set -- \"$@\" \"$a\"; n=$((n - 1))",
        "done",
        "read -r s || bad stdin; num \"$s\" stdin",
        "if [ \"$t\" -gt 0 ] && command -v setsid >/dev/null 2>&1; then",
        "  exec 3<&0",
        "  if [ \"$s\" -eq 0 ]; then setsid " + run + " \"$@\" </dev/null 3<&- &",
        "  else head -c \"$s\" <&3 | setsid " + run + " \"$@\" 3<&- & fi",
        "  p=$!",
        "  ( trap 'kill \"$z\" 2>/dev/null; exit 0' TERM; sleep \"$t\" & z=$!; wait \"$z\";",
        "    kill -KILL -\"$p\" 2>/dev/null ) >/dev/null 2>&1 &",
        "  w=$!; wait \"$p\"; r=$?; kill \"$w\" 2>/dev/null; exit \"$r\"",
        "fi",
        "if [ \"$s\" -eq 0 ]; then exec " + run + " \"$@\" </dev/null; fi",
        "head -c \"$s\" | " + run + " \"$@\"");
  }

  /** The argv that runs {@link #decoder(List) the script} for {@code runner}. */
  public static List<String> exec(List<String> runner) {
    return List.of("sh", "-c", decoder(runner));
  }

  /**
   * The script's stdin that runs {@code command}: its deadline, its framed argv, then its stdin.
   * The script kills the command when it still runs {@code deadline} after it started ({@link
   * Duration#ZERO}: never), counted in whole seconds, rounded up.
   *
   * @throws IllegalArgumentException when {@code deadline} is negative
   */
  public static byte[] frame(Command command, Duration deadline) {
    if (deadline.isNegative()) {
      throw new IllegalArgumentException("deadline must not be negative, was " + deadline);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long seconds = deadline.toSeconds() + (deadline.toNanosPart() > 0 ? 1 : 0);
    line(out, Long.toString(seconds));
    line(out, Integer.toString(command.argv().size()));
    for (String word : command.argv()) {
      line(out, Long.toString(word.chars().filter(c -> c == '\n').count()));
      line(out, word);
    }
    line(out, Integer.toString(command.stdin().length));
    out.writeBytes(command.stdin());
    return out.toByteArray();
  }

  private static void line(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    out.write('\n');
  }
}
