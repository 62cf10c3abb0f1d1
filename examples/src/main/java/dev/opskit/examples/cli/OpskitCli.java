package dev.opskit.examples.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code opskit} command line: every subcommand is a thin layer over the SDK.
 *
 * <p>Exit codes: 0 success, 1 the operation failed, 2 bad usage or invalid input.
 */
@Command(
    name = "opskit",
    mixinStandardHelpOptions = true,
    version = "opskit 0.1.0-SNAPSHOT",
    description = "Kubernetes node and cluster chores, typed and testable.",
    subcommands = {
      DemoCommand.class,
      ExecCommand.class,
      IptablesCommand.class,
      SysctlCommand.class,
      PodsCommand.class,
      ImagesCommand.class,
      CalicoCommand.class
    })
public final class OpskitCli {

  /** Exit status for a failed operation. */
  public static final int FAILED = 1;

  /** Exit status for bad usage or invalid input. */
  public static final int USAGE = 2;

  private OpskitCli() {}

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given output streams and returns its exit status. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(new OpskitCli());
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExecutionExceptionHandler(
        (exception, cmd, parseResult) -> {
          if (exception instanceof IllegalArgumentException) {
            cmd.getErr().println("opskit: " + exception.getMessage());
            return USAGE;
          }
          cmd.getErr().println("opskit: " + exception);
          return FAILED;
        });
    return commandLine.execute(args);
  }
}
