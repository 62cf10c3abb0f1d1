package dev.opskit.iptables;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.FakeCommandExecutor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Stands in for {@code sh} running the applier's batched read: takes the steps from the batch's
 * positional arguments and answers each from {@code programs}, a fake scripted with what each
 * program prints on its own, framed the way the real script frames it.
 */
final class BatchShell {
  private BatchShell() {}

  /** True for the batched read's argv. */
  static boolean isBatch(List<String> argv) {
    return argv.size() > 4 && argv.get(0).equals("sh") && argv.get(1).equals("-c");
  }

  /** The steps a batched read runs, as argvs, in order. */
  static List<List<String>> steps(List<String> argv) {
    List<String> args = argv.subList(5, argv.size());
    List<List<String>> steps = new ArrayList<>();
    if (args.get(0).equals("1")) {
      steps.add(List.of("printenv", "SSH_CONNECTION"));
    }
    if (!args.get(1).isEmpty()) {
      steps.add(List.of(args.get(1), "--version"));
    }
    if (args.get(2).equals("1")) {
      steps.add(List.of("ipset", "list", "-n"));
    }
    int saves = Integer.parseInt(args.get(3));
    for (String program : args.subList(4, 4 + saves)) {
      steps.add(List.of(program));
    }
    for (String name : args.subList(4 + saves, args.size())) {
      steps.add(List.of("ipset", "save", name));
    }
    return steps;
  }

  /** Replies to batched reads on {@code host} from {@code programs}. */
  static void install(FakeCommandExecutor host, FakeCommandExecutor programs) {
    host.onArgv("batched read", BatchShell::isBatch).reply(c -> run(c, programs));
  }

  private static ExecResult run(Command batch, FakeCommandExecutor programs)
      throws IOException, InterruptedException {
    String marker = batch.argv().get(4);
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    for (List<String> step : steps(batch.argv())) {
      ExecResult result = programs.execute(Command.of(step));
      out.append(marker)
          .append('\n')
          .append(result.stdoutUtf8())
          .append('\n')
          .append(marker)
          .append(' ')
          .append(result.exitCode().orElse(255))
          .append('\n');
      err.append(marker).append('\n').append(result.stderrUtf8()).append('\n').append(marker);
      err.append('\n');
    }
    return ExecResult.of(batch, 0, out.toString(), err.toString(), Duration.ZERO);
  }
}
