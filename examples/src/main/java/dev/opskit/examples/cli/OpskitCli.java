package dev.opskit.examples.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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
    version = OpskitCli.VERSION,
    description = "Kubernetes node and cluster chores, typed and testable.")
public final class OpskitCli {
  /** What {@code opskit --version} prints. */
  static final String VERSION = "opskit 0.1.0-SNAPSHOT";

  /**
   * The resource, next to this class, holding {@code opskit --help} as picocli renders it (plain
   * text); {@link UsageText} writes it at build time.
   */
  static final String HELP_RESOURCE = "opskit-help.txt";

  /** The subcommands, in the order the help lists them. */
  private static final List<Class<?>> SUBCOMMANDS =
      List.of(
          DemoCommand.class,
          ExecCommand.class,
          IptablesCommand.class,
          SysctlCommand.class,
          PodsCommand.class,
          ImagesCommand.class,
          CalicoCommand.class);

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
    Optional<String> known = shortcut(args);
    if (known.isPresent()) {
      out.print(known.get());
      out.flush();
      return 0;
    }
    CommandLine commandLine = commandLine(cli, args);
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
   * What {@code opskit --version} and {@code opskit --help} (or {@code -V}, {@code -h}) print,
   * without loading picocli or building its model of every command, which is most of what they
   * cost: the version, and the help the build rendered with picocli. Empty for other arguments, and
   * for the help when the build did not render it (classes run from an IDE).
   */
  static Optional<String> shortcut(String[] args) {
    if (args.length != 1) {
      return Optional.empty();
    }
    if (args[0].equals("--version") || args[0].equals("-V")) {
      return Optional.of(VERSION + System.lineSeparator());
    }
    if (args[0].equals("--help") || args[0].equals("-h")) {
      try (InputStream help = OpskitCli.class.getResourceAsStream(HELP_RESOURCE)) {
        if (help != null) {
          return Optional.of(
              new String(help.readAllBytes(), StandardCharsets.UTF_8)
                  .replace("\n", System.lineSeparator()));
        }
      } catch (IOException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** {@code opskit --help} as picocli renders it without colours. */
  static String usage() {
    return commandLine(new OpskitCli(), new String[0]).getUsageMessage(CommandLine.Help.Ansi.OFF);
  }

  /**
   * The command line for {@code args}: when they name a subcommand, only that one is built (picocli
   * builds a command's model, by reflection, when it is added); otherwise all of them, for the help
   * and for messages naming the commands there are.
   */
  private static CommandLine commandLine(OpskitCli cli, String[] args) {
    CommandLine commandLine = new CommandLine(cli);
    Optional<Class<?>> named =
        SUBCOMMANDS.stream()
            .filter(c -> args.length > 0 && c.getAnnotation(Command.class).name().equals(args[0]))
            .findFirst();
    for (Class<?> command : SUBCOMMANDS) {
      if (named.isEmpty() || named.get() == command) {
        commandLine.addSubcommand(command);
      }
    }
    return commandLine;
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
