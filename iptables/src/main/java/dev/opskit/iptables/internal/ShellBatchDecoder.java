package dev.opskit.iptables.internal;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The inverse of {@link ShellBatch#command()}: a batch's command taken apart as the host-side
 * script takes it, and the output that script would print, for stand-in hosts that answer batches
 * in memory while speaking exactly this version's framing.
 */
public final class ShellBatchDecoder {
  private ShellBatchDecoder() {}

  /**
   * A batch's command taken apart as the host-side script takes it: for a stand-in host that
   * answers batches in memory, speaking exactly this version's framing.
   *
   * @param marker the frame marker
   * @param stateDirectory the state directory holding the lock, generation and journal files
   * @param lockWait how long the script waits for the lock
   * @param expectedGeneration the generation a write batch expects, or -1 for a read batch
   * @param journal the journal a write batch leaves while it runs, if any
   * @param namespaceKey the network namespace's key, or {@code -} when the script reads it
   * @param steps the steps in order
   */
  public record Decoded(
      String marker,
      String stateDirectory,
      Duration lockWait,
      long expectedGeneration,
      Optional<String> journal,
      String namespaceKey,
      List<DecodedStep> steps) {

    /** True for a write batch (it states the generation it expects, and bumps it). */
    public boolean isWrite() {
      return expectedGeneration >= 0;
    }

    /**
     * The batch's output when it ran: the header, the unfinished journal a read batch hands back
     * (if any), then each step's output framed as the script frames it, exit status included.
     */
    public ExecResult ran(
        Command batch,
        long generation,
        Optional<String> unfinishedJournal,
        String hostNamespaceKey,
        List<ExecResult> results) {
      StringBuilder out = new StringBuilder();
      StringBuilder err = new StringBuilder();
      out.append(marker)
          .append(' ')
          .append(generation)
          .append(' ')
          .append(unfinishedJournal.isPresent() ? 1 : 0)
          .append(' ')
          .append(hostNamespaceKey.isEmpty() ? "-" : hostNamespaceKey)
          .append('\n');
      unfinishedJournal.ifPresent(text -> frame(out, err, text, "", 0));
      for (ExecResult result : results) {
        frame(out, err, result.stdoutUtf8(), result.stderrUtf8(), result.exitCode().orElse(255));
      }
      return ExecResult.of(batch, 0, out.toString(), err.toString(), Duration.ZERO);
    }

    /** The batch's output when it ran none of its steps, for {@code refusal}. */
    public ExecResult refused(Command batch, ShellBatch.Refusal refusal, String detail) {
      String word =
          switch (refusal) {
            case LOCKED -> "locked";
            case STALE -> "stale";
            case NO_FLOCK -> "noflock";
            case INPUT -> "input";
            case DIRECTORY -> "dir";
          };
      return ExecResult.of(
          batch, 0, marker + " ! " + word + " " + detail + "\n", "", Duration.ZERO);
    }

    private void frame(StringBuilder out, StringBuilder err, String stdout, String stderr, int s) {
      out.append(marker).append('\n').append(stdout).append('\n');
      out.append(marker).append(' ').append(s).append('\n');
      err.append(marker).append('\n').append(stderr).append('\n').append(marker).append('\n');
    }
  }

  /**
   * One step of a {@link Decoded} batch: its argv, and for a write the input it reads.
   *
   * @param argv the program and its arguments
   * @param input a write's input; empty for a read
   */
  public record DecodedStep(List<String> argv, Optional<String> input) {
    /** True for a write: fed its input, and the batch stops when it fails. */
    public boolean isWrite() {
      return input.isPresent();
    }
  }

  /**
   * Takes apart a command built by {@link ShellBatch#command()}, the inverse of it; empty when
   * {@code command} is not such a batch (another program, or another script).
   *
   * @throws IllegalArgumentException when it runs this script but its arguments are not framed as
   *     {@link ShellBatch#command()} frames them
   */
  public static Optional<Decoded> decode(Command command) {
    List<String> argv = command.argv();
    if (argv.size() < 11
        || !argv.get(0).equals("sh")
        || !argv.get(1).equals("-c")
        || !argv.get(2).equals(ShellBatch.SCRIPT)) {
      return Optional.empty();
    }
    try {
      byte[] stdin = command.stdin();
      int count = Integer.parseInt(argv.get(10));
      List<String> payloads = new ArrayList<>();
      int offset = 0;
      for (int i = 0; i < count; i++) {
        int size = Integer.parseInt(argv.get(11 + i));
        payloads.add(new String(stdin, offset, size, StandardCharsets.UTF_8));
        offset += size;
      }
      boolean hasJournal = argv.get(8).equals("1");
      List<DecodedStep> steps = new ArrayList<>();
      int at = 11 + count;
      while (at < argv.size()) {
        String kind = argv.get(at);
        int words = Integer.parseInt(argv.get(at + 1));
        at += 2;
        String input =
            switch (kind) {
              case "r", "e" -> null;
              case "a" -> argv.get(at++);
              case "s" -> new String(stdin, StandardCharsets.UTF_8);
              case "p" -> payloads.get(Integer.parseInt(argv.get(at++)));
              default -> throw new IllegalArgumentException("unknown step kind " + kind);
            };
        steps.add(
            new DecodedStep(List.copyOf(argv.subList(at, at + words)), Optional.ofNullable(input)));
        at += words;
      }
      String generation = argv.get(7);
      return Optional.of(
          new Decoded(
              argv.get(4),
              argv.get(5),
              Duration.ofMillis(Math.round(Double.parseDouble(argv.get(6)) * 1000)),
              generation.equals(ShellBatch.READ) ? -1 : Long.parseLong(generation),
              hasJournal ? Optional.of(payloads.get(0)) : Optional.empty(),
              argv.get(9),
              steps));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a batch this version frames: " + e.getMessage(), e);
    }
  }
}
