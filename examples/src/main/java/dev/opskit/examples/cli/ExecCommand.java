package dev.opskit.examples.cli;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code opskit exec -- CMD ARG...}: runs an argv and exits with its exit code. */
@picocli.CommandLine.Command(
    mixinStandardHelpOptions = true,
    name = "exec",
    description = "Run a command (argv, never a shell line) and pass its output through.")
final class ExecCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin HostOptions host;

  @Parameters(arity = "1..*", paramLabel = "ARG", description = "The program and its arguments.")
  List<String> argv;

  @Override
  public Integer call() throws Exception {
    ExecResult result;
    try (HostOptions.Session session = host.open()) {
      result = session.executor.execute(Command.of(argv));
    }
    System.out.write(result.stdout());
    System.out.flush();
    System.err.write(result.stderr());
    System.err.flush();
    return result.exitCode().orElse(OpskitCli.FAILED);
  }
}
