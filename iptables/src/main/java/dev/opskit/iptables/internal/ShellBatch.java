package dev.opskit.iptables.internal;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.OpskitException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Several commands run as one {@code sh -c SCRIPT sh ARGS...} call instead of one call each: over
 * SSH or {@code ip netns exec} every call costs a round trip or a process start. An apply needs two
 * such calls: one that reads the state, one that writes the changes and reads them back.
 *
 * <p>A <em>read</em> runs with stdin from {@code /dev/null}, and the batch goes on when it fails. A
 * <em>write</em> feeds its input to the command, and a failing write ends the batch: nothing after
 * it runs. One write's input travels on the call's stdin; smaller inputs travel as positional
 * arguments, at most {@value #EMBEDDED_LIMIT} bytes together (far below what one SSH exec request
 * or one argv element may carry), and {@link #canWrite} says when a write no longer fits and needs
 * a batch of its own.
 *
 * <p>The script is a constant; every variable part (programs, arguments, inputs, the frame marker)
 * is a positional argument, never interpolated into it. Each step's output is framed by a random
 * marker line on stdout and stderr, and its exit status follows the closing marker, so {@link
 * #results(ExecResult)} hands back one {@link ExecResult} per step that ran, as if it had run
 * alone.
 */
public final class ShellBatch {
  /** The step that reads {@code SSH_CONNECTION} (exit 1 when unset). */
  public static final List<String> SSH_CONNECTION = List.of("printenv", "SSH_CONNECTION");

  /** The step that lists the names of the host's ipsets. */
  public static final List<String> LIST_IPSETS = List.of("ipset", "list", "-n");

  /** The most input bytes a batch carries in positional arguments. */
  static final int EMBEDDED_LIMIT = 16 * 1024;

  /**
   * Positional arguments: $1 the marker, then per step a kind ({@code r} read, {@code s} write fed
   * from stdin, {@code a} write fed from the next argument), the number of argv words (1 to 3), the
   * input when the kind is {@code a}, and the words.
   */
  static final String SCRIPT =
      String.join(
          "\n",
          "m=$1",
          "shift",
          "run() {",
          "  k=$1",
          "  shift",
          "  printf '%s\\n' \"$m\"; printf '%s\\n' \"$m\" >&2",
          "  case $k in",
          "    s) \"$@\" ;;",
          "    a) printf '%s' \"$in\" | \"$@\" ;;",
          "    *) \"$@\" </dev/null ;;",
          "  esac",
          "  s=$?",
          "  printf '\\n%s %s\\n' \"$m\" \"$s\"; printf '\\n%s\\n' \"$m\" >&2",
          "}",
          "while [ \"$#\" -gt 0 ]; do",
          "  k=$1 n=$2",
          "  shift 2",
          "  if [ \"$k\" = a ]; then in=$1; shift; fi",
          "  case $n in",
          "    1) run \"$k\" \"$1\" ;;",
          "    2) run \"$k\" \"$1\" \"$2\" ;;",
          "    3) run \"$k\" \"$1\" \"$2\" \"$3\" ;;",
          "    *) exit 2 ;;",
          "  esac",
          "  shift \"$n\"",
          "  if [ \"$s\" != 0 ] && [ \"$k\" != r ]; then exit 0; fi",
          "done",
          "exit 0",
          "");

  /** One step: its argv, and for a write its input and whether that travels on stdin. */
  private record Step(List<String> argv, String input, boolean onStdin) {
    boolean isWrite() {
      return input != null;
    }
  }

  private final String marker;
  private final List<Step> steps = new ArrayList<>();
  private String stdin;
  private int embedded;

  private ShellBatch(String marker) {
    this.marker = marker;
  }

  /** An empty batch with a fresh random frame marker. */
  public static ShellBatch create() {
    return new ShellBatch("--opskit-" + UUID.randomUUID() + "--");
  }

  /** Adds a read: {@code argv} (one to three words) with stdin from {@code /dev/null}. */
  public ShellBatch read(List<String> argv) {
    steps.add(new Step(checkArgv(argv), null, false));
    return this;
  }

  /** Whether a write of {@code input} still fits this batch. */
  public boolean canWrite(String input) {
    return stdin == null || embedded + bytes(input) <= EMBEDDED_LIMIT;
  }

  /**
   * Adds a write: {@code argv} (one to three words) reading {@code input}; when it fails, the batch
   * stops after it.
   *
   * @throws IllegalStateException when the input does not fit (see {@link #canWrite})
   */
  public ShellBatch write(List<String> argv, String input) {
    checkArgv(argv);
    if (!canWrite(input)) {
      throw new IllegalStateException("the batch has no room left for a write of `" + argv + "`");
    }
    int size = bytes(input);
    boolean onStdin = stdin == null && embedded + size > EMBEDDED_LIMIT;
    if (onStdin) {
      stdin = input;
    } else {
      embedded += size;
    }
    steps.add(new Step(argv, input, onStdin));
    return this;
  }

  /** True when no step was added (then there is nothing to run). */
  public boolean isEmpty() {
    return steps.isEmpty();
  }

  /** The steps, in the order the script runs them, each as its argv. */
  public List<List<String>> steps() {
    return steps.stream().map(Step::argv).toList();
  }

  /** Whether step {@code index} (in the order of {@link #steps()}) is a write. */
  public boolean isWrite(int index) {
    return steps.get(index).isWrite();
  }

  /** The one command that runs every step. */
  public Command command() {
    List<String> argv = new ArrayList<>(List.of("sh", "-c", SCRIPT, "sh", marker));
    for (Step step : steps) {
      argv.add(!step.isWrite() ? "r" : step.onStdin() ? "s" : "a");
      argv.add(Integer.toString(step.argv().size()));
      if (step.isWrite() && !step.onStdin()) {
        argv.add(step.input());
      }
      argv.addAll(step.argv());
    }
    Command command = Command.of(argv);
    return stdin == null ? command : command.withStdin(stdin);
  }

  /**
   * Splits the batch's result into one result per step that ran, in order: all of them, unless a
   * write failed, which is then the last.
   *
   * @throws dev.opskit.core.CommandFailedException when the batch itself failed (timed out, killed,
   *     no shell)
   * @throws OpskitException when its output is not framed as the script frames it
   */
  public List<ExecResult> results(ExecResult batch) {
    batch.requireSuccess();
    String out = new String(batch.stdout(), StandardCharsets.UTF_8);
    String err = new String(batch.stderr(), StandardCharsets.UTF_8);
    String open = marker + "\n";
    String close = "\n" + marker;
    List<ExecResult> results = new ArrayList<>();
    int outAt = 0;
    int errAt = 0;
    for (Step step : steps) {
      if (!out.startsWith(open, outAt) || !err.startsWith(open, errAt)) {
        throw malformed(step);
      }
      int outEnd = out.indexOf(close + " ", outAt + open.length());
      int errEnd = err.indexOf(close + "\n", errAt + open.length());
      int statusEnd = outEnd < 0 ? -1 : out.indexOf('\n', outEnd + close.length() + 1);
      if (outEnd < 0 || errEnd < 0 || statusEnd < 0) {
        throw malformed(step);
      }
      int status;
      try {
        status = Integer.parseInt(out.substring(outEnd + close.length() + 1, statusEnd));
      } catch (NumberFormatException e) {
        throw malformed(step);
      }
      Command command = Command.of(step.argv());
      results.add(
          ExecResult.of(
              step.isWrite() ? command.withStdin(step.input()) : command,
              status,
              out.substring(outAt + open.length(), outEnd),
              err.substring(errAt + open.length(), errEnd),
              batch.duration()));
      outAt = statusEnd + 1;
      errAt = errEnd + close.length() + 1;
      if (step.isWrite() && status != 0) {
        break;
      }
    }
    return results;
  }

  private static OpskitException malformed(Step step) {
    return new OpskitException(
        "batched commands returned no framed output for `" + String.join(" ", step.argv()) + "`");
  }

  /** The input's size in UTF-8 bytes, or a lower bound when that is already over the limit. */
  private static int bytes(String input) {
    return input.length() > EMBEDDED_LIMIT
        ? input.length()
        : input.getBytes(StandardCharsets.UTF_8).length;
  }

  private static List<String> checkArgv(List<String> argv) {
    if (argv.isEmpty() || argv.size() > 3) {
      throw new IllegalArgumentException(
          "a batched command has one to three words, was " + argv.size() + ": " + argv);
    }
    for (String word : argv) {
      if (word.isEmpty()) {
        throw new IllegalArgumentException("a batched command has an empty word: " + argv);
      }
    }
    if (argv.get(0).startsWith("-")) {
      throw new IllegalArgumentException(
          "a batched program must not start with '-', was '" + argv.get(0) + "'");
    }
    return List.copyOf(argv);
  }
}
