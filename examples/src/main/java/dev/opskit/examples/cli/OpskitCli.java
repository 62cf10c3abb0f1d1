package dev.opskit.examples.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code opskit} command line: every subcommand is a thin layer over the SDK.
 *
 * <p>Exit codes: 0 success, 1 the operation failed, 2 bad usage or invalid input ({@code exec}
 * passes on its command's own status). Every error is one line on stderr, starting {@code opskit:}.
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

  /** Standard input as bytes, for commands that pass it on ({@code exec}); empty if none. */
  InputStream stdin = InputStream.nullInputStream();

  /** Standard output as bytes, for commands that stream binary output ({@code exec}). */
  OutputStream stdout = System.out;

  /** Standard error as bytes, for commands that stream binary output ({@code exec}). */
  OutputStream stderr = System.err;

  private OpskitCli() {}

  /**
   * Runs the command line and exits with its status. Standard input is passed to {@code exec}
   * unless it is a terminal.
   */
  public static void main(String[] args) {
    OpskitCli cli = new OpskitCli();
    if (!stdinIsTerminal()) {
      cli.stdin = new FileInputStream(FileDescriptor.in);
    }
    cli.stdout = new FileOutputStream(FileDescriptor.out);
    cli.stderr = new FileOutputStream(FileDescriptor.err);
    System.exit(
        run(cli, args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * Runs the command line with the given output writers and returns its exit status; {@code exec}
   * gets no standard input and its output is decoded as UTF-8 into the writers.
   */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    OpskitCli cli = new OpskitCli();
    cli.stdout = new WriterOutputStream(out);
    cli.stderr = new WriterOutputStream(err);
    return run(cli, args, out, err);
  }

  /**
   * Runs the command line on byte streams and returns its exit status: {@code exec} reads {@code
   * in} as its command's standard input and streams the command's output to {@code out} and {@code
   * err} unchanged; other output is UTF-8 text. The streams are not closed.
   */
  public static int run(String[] args, InputStream in, OutputStream out, OutputStream err) {
    OpskitCli cli = new OpskitCli();
    cli.stdin = in;
    cli.stdout = out;
    cli.stderr = err;
    return run(
        cli,
        args,
        new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true),
        new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
  }

  private static int run(OpskitCli cli, String[] args, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(cli);
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExecutionExceptionHandler(
        (exception, cmd, parseResult) -> {
          cmd.getErr().println("opskit: " + CliErrors.describe(exception));
          cmd.getErr().flush();
          return exception instanceof IllegalArgumentException ? USAGE : FAILED;
        });
    int status = commandLine.execute(args);
    out.flush();
    err.flush();
    return status;
  }

  /**
   * Whether this process's standard input is a terminal (then {@code exec} does not read it, as
   * nobody would type the command's input there by accident).
   */
  static boolean stdinIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
      return target.startsWith("/dev/pts/")
          || target.startsWith("/dev/tty")
          || target.equals("/dev/console");
    } catch (Exception e) {
      return System.console() != null;
    }
  }
}
