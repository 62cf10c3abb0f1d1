package dev.opskit.iptables.internal;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.OpskitException;
import dev.opskit.core.StepRecord;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Several commands run as one {@code sh -c SCRIPT sh ARGS...} call instead of one call each: over
 * SSH or {@code ip netns exec} every call costs a round trip or a process start. An apply needs two
 * such calls: one that reads the state, one that writes the changes and reads them back.
 *
 * <p>Every batch first takes a host-side lock: {@code flock} on a file in a state directory on the
 * host ({@code /run/opskit} by default), one file per network namespace, held until the batch ends
 * and waited for at most a bounded time. Next to the lock the host keeps a <em>generation</em>
 * number, bumped by every write batch: a write batch states the generation its plan was read at and
 * runs nothing when another write came in between ({@link Refusal#STALE}), so that observe, plan,
 * apply and verify act as one step per host even though they span two calls. A write batch may
 * carry a <em>journal</em>: written on the host after all input has arrived and before the first
 * write, cleared when every write succeeded; a read batch hands back a journal left by a batch that
 * did not finish, so that the caller can finish or undo it.
 *
 * <p>The script ignores SIGHUP and SIGPIPE, so that a client that dies (an SSH connection that
 * drops, a JVM killed) does not stop it between two writes, and it receives every write's input
 * before running the first write: inputs too large for an argument travel on stdin, are staged in
 * files next to the lock, and must end with the batch's marker, so that a stdin cut short runs no
 * write at all. A batch with one write only feeds that write's input from stdin directly: one
 * {@code iptables-restore} or {@code ipset restore} (fill aside, then swap) fails whole on an input
 * cut short, so staging would buy nothing there.
 *
 * <p>A <em>read</em> runs with stdin from {@code /dev/null}, and the batch goes on when it fails. A
 * <em>write</em> feeds its input to the command, and a failing write ends the batch: nothing after
 * it runs. Small inputs travel as positional arguments, at most {@value #EMBEDDED_LIMIT} bytes
 * together (far below what one SSH exec request or one argv element may carry).
 *
 * <p>The script is a constant; every variable part (programs, arguments, inputs, the frame marker,
 * the state directory) is a positional argument, never interpolated into it. Each step's output is
 * framed by a random marker line on stdout and stderr, and its exit status follows the closing
 * marker, so {@link #results(ExecResult)} hands back one {@link ExecResult} per step that ran, as
 * if it had run alone. The closing marker also carries the host's uptime before and after the step,
 * read from {@code /proc/uptime} by the shell's own {@code read} (no extra process per step, 10 ms
 * resolution), from which each step's {@link StepRecord} gets its duration.
 */
public final class ShellBatch {
  /**
   * The step that reads {@code SSH_CONNECTION} (exit 1 when unset), as {@code printenv} would; the
   * script answers it with its own builtins, without starting a process.
   */
  public static final List<String> SSH_CONNECTION = List.of("printenv", "SSH_CONNECTION");

  /** The step that lists the names of the host's ipsets. */
  public static final List<String> LIST_IPSETS = List.of("ipset", "list", "-n");

  /** The most words a batched command may have. */
  static final int MAX_WORDS = 5;

  /** The most input bytes a batch carries in positional arguments. */
  static final int EMBEDDED_LIMIT = 16 * 1024;

  /** The generation a read batch passes: no check, no bump. */
  static final String READ = "-";

  /**
   * Positional arguments: $1 the marker, $2 the state directory, $3 the lock wait in seconds, $4
   * the expected generation ({@code -} for a read batch), $5 1 when the first stdin payload is a
   * journal, $6 the network namespace's key ({@code -}: read it from {@code /proc/self/ns/net}), $7
   * the number of stdin payloads, then their sizes in bytes, then per step a kind ({@code r} read,
   * {@code e} the read of {@code SSH_CONNECTION}, {@code a} write fed from the next argument,
   * {@code p} write fed from the staged payload whose index is the next argument), the number of
   * argv words (1 to 5), the input or payload index, and the words. The first stdout line is {@code
   * MARKER GENERATION JOURNAL NAMESPACE}, or {@code MARKER ! REASON DETAIL} when the batch ran
   * nothing.
   */
  static final String SCRIPT =
      String.join(
          "\n",
          "trap '' HUP PIPE",
          "m=$1 d=$2 w=$3 g=$4 j=$5 ns=$6 n=$7",
          "shift 7",
          "clean() { k=0; while [ \"$k\" -lt \"$n\" ]; do : >\"$f.in$k\"; k=$((k+1)); done; }",
          "fail() { printf '%s ! %s\\n' \"$m\" \"$*\"; exit 0; }",
          "[ -d \"$d\" ] || mkdir -p -m 700 \"$d\" 2>/dev/null || fail dir \"$d\"",
          "if [ \"$ns\" = - ]; then",
          "  ns=$(readlink /proc/self/ns/net 2>/dev/null)",
          "  ns=${ns#*[}; ns=${ns%]}",
          "fi",
          "f=$d/iptables${ns:+-$ns}",
          "command -v flock >/dev/null 2>&1 || fail noflock",
          "{ exec 9>>\"$f.lock\"; } 2>/dev/null || fail dir \"$d\"",
          "flock -w \"$w\" 9 || fail locked \"$f.lock\"",
          "c=0",
          "[ -s \"$f.gen\" ] && read -r c <\"$f.gen\"",
          "[ \"$g\" = - ] || [ \"$g\" = \"$c\" ] || fail stale \"$c\"",
          "i=0",
          "while [ \"$i\" -lt \"$n\" ]; do",
          "  head -c \"$1\" >\"$f.in$i\" || { clean; fail dir \"$d\"; }",
          "  shift; i=$((i+1))",
          "done",
          "if [ \"$n\" -gt 0 ]; then",
          "  e=; IFS= read -r e; [ \"$e\" = \"$m\" ] || { clean; fail input; }",
          "fi",
          "o=0",
          "if [ \"$g\" != - ]; then",
          "  c=$((c+1)); printf '%s\\n' \"$c\" >\"$f.gen\" || { clean; fail dir \"$d\"; }",
          "  if [ \"$j\" = 1 ]; then mv -f \"$f.in0\" \"$f.journal\" || { clean; fail dir \"$d\"; }; fi",
          "elif [ -s \"$f.journal\" ]; then o=1; fi",
          "printf '%s %s %s %s\\n' \"$m\" \"$c\" \"$o\" \"${ns:--}\"",
          "run() {",
          "  k=$1",
          "  shift",
          "  printf '%s\\n' \"$m\"; printf '%s\\n' \"$m\" >&2",
          "  t0=-; read -r t0 _ 2>/dev/null </proc/uptime",
          "  case $k in",
          "    a) printf '%s' \"$in\" | \"$@\" ;;",
          "    s) \"$@\" ;;",
          "    e) if [ -n \"${SSH_CONNECTION+x}\" ]; then printf '%s\\n' \"$SSH_CONNECTION\"; else false; fi ;;",
          "    p) \"$@\" <\"$f.in$x\" ;;",
          "    *) \"$@\" </dev/null ;;",
          "  esac",
          "  s=$?",
          "  t1=-; read -r t1 _ 2>/dev/null </proc/uptime",
          "  printf '\\n%s %s %s %s\\n' \"$m\" \"$s\" \"$t0\" \"$t1\"",
          "  printf '\\n%s\\n' \"$m\" >&2",
          "}",
          "[ \"$o\" = 1 ] && run r cat \"$f.journal\"",
          "while [ \"$#\" -gt 0 ]; do",
          "  k=$1 nw=$2",
          "  shift 2",
          "  case $k in a) in=$1; shift ;; p) x=$1; shift ;; esac",
          "  case $nw in",
          "    1) run \"$k\" \"$1\" ;;",
          "    2) run \"$k\" \"$1\" \"$2\" ;;",
          "    3) run \"$k\" \"$1\" \"$2\" \"$3\" ;;",
          "    4) run \"$k\" \"$1\" \"$2\" \"$3\" \"$4\" ;;",
          "    5) run \"$k\" \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" ;;",
          "    *) exit 2 ;;",
          "  esac",
          "  shift \"$nw\"",
          "  case $s$k in 0*|*r|*e) ;; *) clean; exit 0 ;; esac",
          "done",
          "if [ \"$g\" != - ] && [ -s \"$f.journal\" ]; then : >\"$f.journal\"; fi",
          "clean",
          "exit 0",
          "");

  /** One step: its argv, and for a write its input and the index of its staged payload, or -1. */
  record Step(List<String> argv, String input, int payload) {
    boolean isWrite() {
      return input != null;
    }
  }

  /** Why a batch ran none of its steps. */
  public enum Refusal {
    /** Another batch held the host's lock for longer than the wait. */
    LOCKED,
    /** Another write batch ran since the generation this batch expected. */
    STALE,
    /** The host has no {@code flock} program. */
    NO_FLOCK,
    /** The state directory cannot be created or written. */
    DIRECTORY,
    /** The batch's stdin ended before all of its input had arrived. */
    INPUT
  }

  /** A batch that ran none of its steps, and why. */
  public static final class RefusedException extends OpskitException {
    private static final long serialVersionUID = 1L;
    private final Refusal refusal;
    private final String detail;

    RefusedException(Refusal refusal, String detail) {
      super("batched commands refused: " + refusal + " " + detail);
      this.refusal = refusal;
      this.detail = detail;
    }

    /** Why. */
    public Refusal refusal() {
      return refusal;
    }

    /**
     * The lock file ({@link Refusal#LOCKED}), the current generation ({@link Refusal#STALE}), the
     * directory ({@link Refusal#DIRECTORY}), or empty.
     */
    public String detail() {
      return detail;
    }
  }

  /**
   * What a batch that ran reports: the host's generation (after the bump, for a write batch), the
   * journal an unfinished batch left (read batches only), one result per step that ran, and one
   * record per step that ran (the journal's read first, when there was one) for the executor's
   * listeners.
   */
  public record Outcome(
      long generation,
      Optional<String> journal,
      List<ExecResult> steps,
      String namespaceKey,
      List<StepRecord> records) {}

  private final String marker;
  private final String directory;
  private final String lockWait;
  private final List<Step> steps = new ArrayList<>();
  private final List<String> payloads = new ArrayList<>();
  private long expectedGeneration = -1;
  private String journal;
  private String namespaceKey = "-";
  private int embedded;

  private ShellBatch(String marker, String directory, Duration lockWait) {
    this.marker = marker;
    this.directory = directory;
    this.lockWait = seconds(lockWait);
  }

  /**
   * An empty batch with a fresh random frame marker, locking a file in {@code stateDirectory} (an
   * absolute path on the host) and waiting at most {@code lockWait} for it.
   */
  public static ShellBatch create(String stateDirectory, Duration lockWait) {
    return new ShellBatch(
        "--opskit-" + UUID.randomUUID() + "--", checkDirectory(stateDirectory), lockWait);
  }

  /** Checks that {@code directory} is an absolute path a batch can carry. */
  public static String checkDirectory(String directory) {
    Objects.requireNonNull(directory, "state directory");
    if (!directory.startsWith("/") || directory.contains("\0") || directory.contains("\n")) {
      throw new IllegalArgumentException(
          "state directory '" + directory + "' must be an absolute path on one line");
    }
    return directory;
  }

  private static String seconds(Duration wait) {
    if (wait.isNegative()) {
      throw new IllegalArgumentException("lock wait must not be negative, was " + wait);
    }
    return String.format(Locale.ROOT, "%.3f", wait.toMillis() / 1000.0);
  }

  /**
   * Makes this a write batch that runs only when the host's generation is still {@code generation},
   * and bumps it.
   */
  public ShellBatch expectGeneration(long generation) {
    if (generation < 0) {
      throw new IllegalArgumentException("generation must not be negative, was " + generation);
    }
    this.expectedGeneration = generation;
    return this;
  }

  /**
   * Has this write batch leave {@code text} as the host's journal from before its first write until
   * every write succeeded.
   */
  public ShellBatch journal(String text) {
    if (expectedGeneration < 0) {
      throw new IllegalStateException("only a write batch carries a journal");
    }
    this.journal = Objects.requireNonNull(text, "journal");
    return this;
  }

  /**
   * Names the host files after {@code key}, the network namespace's key a previous batch on the
   * same executor reported ({@link Outcome#namespaceKey()}), sparing the batch a process that reads
   * it.
   */
  public ShellBatch namespaceKey(String key) {
    if (key != null && key.matches("[0-9]{1,20}")) {
      this.namespaceKey = key;
    }
    return this;
  }

  /** Adds a read: {@code argv} (one to five words) with stdin from {@code /dev/null}. */
  public ShellBatch read(List<String> argv) {
    steps.add(new Step(checkArgv(argv), null, -1));
    return this;
  }

  /**
   * Adds a write: {@code argv} (one to five words) reading {@code input}; when it fails, the batch
   * stops after it.
   */
  public ShellBatch write(List<String> argv, String input) {
    checkArgv(argv);
    Objects.requireNonNull(input, "input");
    int size = bytes(input);
    if (embedded + size <= EMBEDDED_LIMIT) {
      embedded += size;
      steps.add(new Step(argv, input, -1));
    } else {
      payloads.add(input);
      steps.add(new Step(argv, input, payloads.size() - 1));
    }
    return this;
  }

  /** True when no step was added (then there is nothing to run, unless it is a write batch). */
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
    boolean write = expectedGeneration >= 0;
    // a lone write is atomic on its own: a stdin cut short fails it whole (no COMMIT, no swap),
    // so its input goes straight to it rather than through a staged copy
    boolean direct =
        journal == null
            && payloads.size() == 1
            && steps.stream().filter(Step::isWrite).count() == 1;
    List<String> staged = new ArrayList<>();
    if (journal != null) {
      staged.add(journal);
    }
    if (!direct) {
      staged.addAll(payloads);
    }
    int offset = journal != null ? 1 : 0;
    List<String> argv =
        new ArrayList<>(
            List.of(
                "sh",
                "-c",
                SCRIPT,
                "sh",
                marker,
                directory,
                lockWait,
                write ? Long.toString(expectedGeneration) : READ,
                journal != null ? "1" : "0",
                namespaceKey,
                Integer.toString(staged.size())));
    ByteArrayOutputStream stdin = new ByteArrayOutputStream();
    for (String payload : staged) {
      byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
      argv.add(Integer.toString(bytes.length));
      stdin.writeBytes(bytes);
    }
    for (Step step : steps) {
      if (!step.isWrite()) {
        argv.add(step.argv().equals(SSH_CONNECTION) ? "e" : "r");
      } else if (step.payload() < 0) {
        argv.add("a");
      } else {
        argv.add(direct ? "s" : "p");
      }
      argv.add(Integer.toString(step.argv().size()));
      if (step.isWrite() && !(direct && step.payload() >= 0)) {
        argv.add(step.payload() < 0 ? step.input() : Integer.toString(step.payload() + offset));
      }
      argv.addAll(step.argv());
    }
    Command command = Command.of(argv);
    if (direct) {
      return command.withStdin(payloads.get(0));
    }
    if (staged.isEmpty()) {
      return command;
    }
    stdin.writeBytes((marker + "\n").getBytes(StandardCharsets.UTF_8));
    return command.withStdin(stdin.toByteArray());
  }

  /**
   * Splits the batch's result into one result per step that ran, in order: all of them, unless a
   * write failed, which is then the last.
   *
   * @throws dev.opskit.core.CommandFailedException when the batch itself failed (timed out, killed,
   *     no shell)
   * @throws RefusedException when the batch ran none of its steps (lock held, stale generation)
   * @throws OpskitException when its output is not framed as the script frames it
   */
  public Outcome results(ExecResult batch) {
    return BatchOutput.parse(marker, steps, batch);
  }

  /** The input's size in UTF-8 bytes, or a lower bound when that is already over the limit. */
  private static int bytes(String input) {
    return input.length() > EMBEDDED_LIMIT
        ? input.length()
        : input.getBytes(StandardCharsets.UTF_8).length;
  }

  private static List<String> checkArgv(List<String> argv) {
    if (argv.isEmpty() || argv.size() > MAX_WORDS) {
      throw new IllegalArgumentException(
          "a batched command has one to " + MAX_WORDS + " words, was " + argv.size() + ": " + argv);
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
