package dev.opskit.iptables.internal;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.OpskitException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The read-only commands an apply needs before it changes anything (the SSH connection, the
 * backend's version, the list of ipsets, {@code iptables-save} per family, {@code ipset save} per
 * set), run as one {@code sh -c SCRIPT sh ARGS...} call instead of one call each: over SSH or
 * {@code ip netns exec} every call costs a round trip or a process start.
 *
 * <p>The script is a constant; every variable part (programs, set names, the frame marker) is a
 * positional argument, never interpolated into it. Each step's output is framed by a random marker
 * line on stdout and stderr, and its exit status follows the closing marker, so {@link
 * #results(ExecResult)} hands back one {@link ExecResult} per step, as if it had run alone.
 */
public final class ReadBatch {
  /** The step that reads {@code SSH_CONNECTION}, keyed as {@code printenv} would run it. */
  public static final List<String> SSH_CONNECTION = List.of("printenv", "SSH_CONNECTION");

  /** The step that lists the names of the host's ipsets. */
  public static final List<String> LIST_IPSETS = List.of("ipset", "list", "-n");

  /** Positional arguments: $1 marker, $2 ssh (0/1), $3 version program or empty, $4 list (0/1). */
  static final String SCRIPT =
      String.join(
          "\n",
          "m=$1 ssh=$2 version=$3 list=$4 n=$5",
          "shift 5",
          "step() {",
          "  printf '%s\\n' \"$m\"; printf '%s\\n' \"$m\" >&2",
          "  \"$@\"; s=$?",
          "  printf '\\n%s %s\\n' \"$m\" \"$s\"; printf '\\n%s\\n' \"$m\" >&2",
          "}",
          "ssh_connection() { [ -n \"${SSH_CONNECTION+x}\" ] && printf '%s\\n' \"$SSH_CONNECTION\"; }",
          "if [ \"$ssh\" = 1 ]; then step ssh_connection; fi",
          "if [ -n \"$version\" ]; then step \"$version\" --version; fi",
          "if [ \"$list\" = 1 ]; then step ipset list -n; fi",
          "while [ \"$n\" -gt 0 ]; do step \"$1\"; shift; n=$((n - 1)); done",
          "for name do step ipset save \"$name\"; done",
          "exit 0",
          "");

  private final String marker;
  private boolean sshConnection;
  private String versionProgram = "";
  private boolean listIpsets;
  private final Set<String> savePrograms = new LinkedHashSet<>();
  private final Set<String> ipsetNames = new LinkedHashSet<>();

  private ReadBatch(String marker) {
    this.marker = marker;
  }

  /** An empty batch with a fresh random frame marker. */
  public static ReadBatch create() {
    return new ReadBatch("--opskit-" + UUID.randomUUID() + "--");
  }

  /** Adds the read of {@code SSH_CONNECTION} (exit 1 when unset, as {@code printenv}). */
  public ReadBatch sshConnection() {
    sshConnection = true;
    return this;
  }

  /** Adds {@code PROGRAM --version}. */
  public ReadBatch version(String program) {
    versionProgram = requireWord(program);
    return this;
  }

  /** Adds {@code ipset list -n}. */
  public ReadBatch listIpsets() {
    listIpsets = true;
    return this;
  }

  /** Adds a save program run without arguments, such as {@code iptables-save}. */
  public ReadBatch save(String program) {
    savePrograms.add(requireWord(program));
    return this;
  }

  /** Adds {@code ipset save NAME}. */
  public ReadBatch saveIpset(String name) {
    ipsetNames.add(requireWord(name));
    return this;
  }

  /** True when no step was added (then there is nothing to run). */
  public boolean isEmpty() {
    return !sshConnection
        && versionProgram.isEmpty()
        && !listIpsets
        && savePrograms.isEmpty()
        && ipsetNames.isEmpty();
  }

  /** The steps, in the order the script runs them, each as the argv it stands for. */
  public List<List<String>> steps() {
    List<List<String>> steps = new ArrayList<>();
    if (sshConnection) {
      steps.add(SSH_CONNECTION);
    }
    if (!versionProgram.isEmpty()) {
      steps.add(List.of(versionProgram, "--version"));
    }
    if (listIpsets) {
      steps.add(LIST_IPSETS);
    }
    savePrograms.forEach(p -> steps.add(List.of(p)));
    ipsetNames.forEach(n -> steps.add(List.of("ipset", "save", n)));
    return steps;
  }

  /** The one command that runs every step. */
  public Command command() {
    List<String> argv = new ArrayList<>();
    argv.add("sh");
    argv.add("-c");
    argv.add(SCRIPT);
    argv.add("sh");
    argv.add(marker);
    argv.add(sshConnection ? "1" : "0");
    argv.add(versionProgram);
    argv.add(listIpsets ? "1" : "0");
    argv.add(Integer.toString(savePrograms.size()));
    argv.addAll(savePrograms);
    argv.addAll(ipsetNames);
    return Command.of(argv);
  }

  /**
   * Splits the batch's result into one result per step, keyed by the argv of {@link #steps()}.
   *
   * @throws dev.opskit.core.CommandFailedException when the batch itself failed (timed out, killed,
   *     no shell)
   * @throws OpskitException when its output is not framed as the script frames it
   */
  public Map<List<String>, ExecResult> results(ExecResult batch) {
    batch.requireSuccess();
    String out = new String(batch.stdout(), StandardCharsets.UTF_8);
    String err = new String(batch.stderr(), StandardCharsets.UTF_8);
    Map<List<String>, ExecResult> results = new LinkedHashMap<>();
    int outAt = 0;
    int errAt = 0;
    for (List<String> step : steps()) {
      String open = marker + "\n";
      String close = "\n" + marker;
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
      results.put(
          step,
          ExecResult.of(
              Command.of(step),
              status,
              out.substring(outAt + open.length(), outEnd),
              err.substring(errAt + open.length(), errEnd),
              batch.duration()));
      outAt = statusEnd + 1;
      errAt = errEnd + close.length() + 1;
    }
    return results;
  }

  private static OpskitException malformed(List<String> step) {
    return new OpskitException(
        "batched read returned no framed output for `" + String.join(" ", step) + "`");
  }

  private static String requireWord(String value) {
    if (value.isEmpty() || value.startsWith("-")) {
      throw new IllegalArgumentException(
          "batched read argument must be non-empty and not start with '-', was '" + value + "'");
    }
    return value;
  }
}
