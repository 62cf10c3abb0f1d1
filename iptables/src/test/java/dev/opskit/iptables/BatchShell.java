package dev.opskit.iptables;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.FakeCommandExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stands in for {@code sh} running the applier's batched commands: takes the steps from the batch's
 * positional arguments and answers each from {@code programs}, a fake scripted with what each
 * program prints on its own (writes get their input as stdin), framed the way the real script
 * frames it and stopping after a failed write as it does.
 */
final class BatchShell {
  private BatchShell() {}

  /** One step of a batch: its argv, and for a write its input. */
  record Step(List<String> argv, String input) {
    boolean isWrite() {
      return input != null;
    }
  }

  /** True for a batched call's argv. */
  static boolean isBatch(List<String> argv) {
    return argv.size() > 4 && argv.get(0).equals("sh") && argv.get(1).equals("-c");
  }

  /** The steps a batched read runs, as argvs, in order. */
  static List<List<String>> steps(List<String> argv) {
    return parse(Command.of(argv)).stream().map(Step::argv).toList();
  }

  /** The steps of a batched call, with the inputs of its writes. */
  static List<Step> parse(Command batch) {
    List<String> argv = batch.argv();
    int payloadCount = Integer.parseInt(argv.get(10));
    List<String> payloads = new ArrayList<>();
    byte[] stdin = batch.stdin();
    int offset = 0;
    for (int i = 0; i < payloadCount; i++) {
      int size = Integer.parseInt(argv.get(11 + i));
      // an argv without its stdin (as recorded) still names the steps
      payloads.add(
          offset + size <= stdin.length
              ? new String(stdin, offset, size, StandardCharsets.UTF_8)
              : "");
      offset += size;
    }
    List<String> args = argv.subList(11 + payloadCount, argv.size());
    List<Step> steps = new ArrayList<>();
    int at = 0;
    while (at < args.size()) {
      String kind = args.get(at);
      int words = Integer.parseInt(args.get(at + 1));
      at += 2;
      String input = null;
      if (kind.equals("a")) {
        input = args.get(at++);
      } else if (kind.equals("s")) {
        input = new String(stdin, StandardCharsets.UTF_8);
      } else if (kind.equals("p")) {
        input = payloads.get(Integer.parseInt(args.get(at++)));
      }
      steps.add(new Step(List.copyOf(args.subList(at, at + words)), input));
      at += words;
    }
    return steps;
  }

  /** True when the batched call is a write batch (it states the generation it expects). */
  static boolean isWriteBatch(List<String> argv) {
    return !argv.get(7).equals("-");
  }

  /** Replies to batched calls on {@code host} from {@code programs}. */
  static void install(FakeCommandExecutor host, FakeCommandExecutor programs) {
    AtomicLong generation = new AtomicLong();
    host.onArgv("batched commands", BatchShell::isBatch).reply(c -> run(c, programs, generation));
  }

  private static ExecResult run(Command batch, FakeCommandExecutor programs, AtomicLong generation)
      throws IOException, InterruptedException {
    String marker = batch.argv().get(4);
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    if (isWriteBatch(batch.argv())) {
      if (Long.parseLong(batch.argv().get(7)) != generation.get()) {
        return ExecResult.of(
            batch, 0, marker + " ! stale " + generation.get() + "\n", "", Duration.ZERO);
      }
      generation.incrementAndGet();
    }
    out.append(marker).append(' ').append(generation.get()).append(" 0 1\n");
    for (Step step : parse(batch)) {
      Command command = Command.of(step.argv());
      ExecResult result =
          programs.execute(step.isWrite() ? command.withStdin(step.input()) : command);
      int status = result.exitCode().orElse(255);
      out.append(marker)
          .append('\n')
          .append(result.stdoutUtf8())
          .append('\n')
          .append(marker)
          .append(' ')
          .append(status)
          .append('\n');
      err.append(marker).append('\n').append(result.stderrUtf8()).append('\n').append(marker);
      err.append('\n');
      if (step.isWrite() && status != 0) {
        break;
      }
    }
    return ExecResult.of(batch, 0, out.toString(), err.toString(), Duration.ZERO);
  }
}
