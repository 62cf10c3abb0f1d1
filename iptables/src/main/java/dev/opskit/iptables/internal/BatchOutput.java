package dev.opskit.iptables.internal;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.OpskitException;
import dev.opskit.core.StepRecord;
import dev.opskit.iptables.internal.ShellBatch.Step;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Reads what a {@link ShellBatch} printed: the header (generation, journal, namespace key, or why
 * the batch ran nothing), then each step's framed stdout, stderr, exit status and the host's uptime
 * around it, as one {@link ExecResult} and one {@link StepRecord} per step that ran.
 */
final class BatchOutput {
  private BatchOutput() {}

  /**
   * Splits the batch's result into one result per step that ran, in order: all of them, unless a
   * write failed, which is then the last.
   *
   * @throws dev.opskit.core.CommandFailedException when the batch itself failed (timed out, killed,
   *     no shell)
   * @throws ShellBatch.RefusedException when the batch ran none of its steps (lock held, stale
   *     generation)
   * @throws OpskitException when its output is not framed as the script frames it
   */
  static ShellBatch.Outcome parse(String marker, List<Step> steps, ExecResult batch) {
    batch.requireSuccess();
    String out = new String(batch.stdout(), StandardCharsets.UTF_8);
    String err = new String(batch.stderr(), StandardCharsets.UTF_8);
    int headerEnd = out.indexOf('\n');
    if (!out.startsWith(marker + " ") || headerEnd < 0) {
      throw new OpskitException(
          "batched commands printed no header"
              + (err.isBlank() ? "" : ": " + err.strip().lines().findFirst().orElse("")));
    }
    String line = out.substring(marker.length() + 1, headerEnd);
    if (line.startsWith("!")) {
      String[] refused = line.split(" ", 3);
      String detail = refused.length > 2 ? refused[2] : "";
      throw new ShellBatch.RefusedException(refusal(refused.length > 1 ? refused[1] : ""), detail);
    }
    String[] header = line.split(" ", 3);
    long generation;
    try {
      generation = Long.parseLong(header[0]);
    } catch (NumberFormatException e) {
      throw new OpskitException("batched commands printed a bad header: " + header[0]);
    }
    boolean hasJournal = header.length > 1 && header[1].equals("1");
    Cursor cursor = new Cursor(marker, out, err, headerEnd + 1, batch);
    String journalText = null;
    if (hasJournal) {
      journalText = cursor.next(new Step(List.of("cat", "journal"), null, -1)).stdoutUtf8();
    }
    List<ExecResult> results = new ArrayList<>();
    for (Step step : steps) {
      ExecResult result = cursor.next(step);
      results.add(result);
      if (step.isWrite() && !result.isSuccess()) {
        break;
      }
    }
    String key = header.length > 2 ? header[2] : "-";
    return new ShellBatch.Outcome(
        generation, Optional.ofNullable(journalText), results, key, cursor.records);
  }

  private static ShellBatch.Refusal refusal(String word) {
    switch (word) {
      case "locked":
        return ShellBatch.Refusal.LOCKED;
      case "stale":
        return ShellBatch.Refusal.STALE;
      case "noflock":
        return ShellBatch.Refusal.NO_FLOCK;
      case "input":
        return ShellBatch.Refusal.INPUT;
      default:
        return ShellBatch.Refusal.DIRECTORY;
    }
  }

  /** Reads framed steps off a batch's stdout and stderr, in order. */
  private static final class Cursor {
    private final String marker;
    private final String out;
    private final String err;
    private final ExecResult batch;
    private final List<StepRecord> records = new ArrayList<>();
    private int outAt;
    private int errAt;

    Cursor(String marker, String out, String err, int outAt, ExecResult batch) {
      this.marker = marker;
      this.out = out;
      this.err = err;
      this.outAt = outAt;
      this.batch = batch;
    }

    ExecResult next(Step step) {
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
      // STATUS, then the uptime before and after the step when the host has /proc/uptime
      String[] closing = out.substring(outEnd + close.length() + 1, statusEnd).split(" ");
      int status;
      try {
        status = Integer.parseInt(closing[0]);
      } catch (NumberFormatException e) {
        throw malformed(step);
      }
      Duration took = closing.length == 3 ? elapsed(closing[1], closing[2]) : null;
      records.add(StepRecord.of(batch.command(), step.argv(), OptionalInt.of(status), took));
      Command command = Command.of(step.argv());
      ExecResult result =
          ExecResult.of(
              step.isWrite() ? command.withStdin(step.input()) : command,
              status,
              out.substring(outAt + open.length(), outEnd),
              err.substring(errAt + open.length(), errEnd),
              batch.duration());
      outAt = statusEnd + 1;
      errAt = errEnd + close.length() + 1;
      return result;
    }
  }

  /** The time between two {@code /proc/uptime} readings (seconds with two decimals), or null. */
  static Duration elapsed(String before, String after) {
    if (!UPTIME.matcher(before).matches() || !UPTIME.matcher(after).matches()) {
      return null;
    }
    long centis = Long.parseLong(after.replace(".", "")) - Long.parseLong(before.replace(".", ""));
    return centis < 0 ? null : Duration.ofMillis(centis * 10);
  }

  private static final Pattern UPTIME = Pattern.compile("[0-9]{1,15}\\.[0-9]{2}");

  private static OpskitException malformed(Step step) {
    return new OpskitException(
        "batched commands returned no framed output for `" + String.join(" ", step.argv()) + "`");
  }
}
