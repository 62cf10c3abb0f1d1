package dev.opskit.examples.cli;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code opskit exec [--timeout D] -- CMD ARG...}: runs an argv, streams its output and (when not a
 * terminal) stdin through, and exits with its exit code.
 */
@picocli.CommandLine.Command(
    mixinStandardHelpOptions = true,
    name = "exec",
    description = {
      "Run a command (argv, never a shell line) and pass its output through as it comes.",
      "Standard input is passed on unless it is a terminal. On SIGINT or SIGTERM the command is"
          + " killed (locally its process tree, over SSH its remote process group).",
      "Exit status: the command's own; 124 when --timeout killed it; 128+N when signal N ended"
          + " it; 1 when it could not run; 2 for bad usage."
    })
final class ExecCommand implements Callable<Integer> {
  /** The exit status when {@code --timeout} stopped the command, as timeout(1) uses. */
  static final int TIMED_OUT = 124;

  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(20);
  private static final Map<String, Integer> SIGNALS =
      Map.ofEntries(
          Map.entry("HUP", 1),
          Map.entry("INT", 2),
          Map.entry("QUIT", 3),
          Map.entry("ILL", 4),
          Map.entry("TRAP", 5),
          Map.entry("ABRT", 6),
          Map.entry("BUS", 7),
          Map.entry("FPE", 8),
          Map.entry("KILL", 9),
          Map.entry("USR1", 10),
          Map.entry("SEGV", 11),
          Map.entry("USR2", 12),
          Map.entry("PIPE", 13),
          Map.entry("ALRM", 14),
          Map.entry("TERM", 15));

  @Spec CommandSpec spec;

  @ParentCommand OpskitCli cli;

  @Mixin HostOptions host;

  @Mixin FleetOptions fleet;

  @Option(
      names = "--dry-run",
      description = "Reach the host(s) and print the command, without running it.")
  boolean dryRun;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Kill the command (and its children) after this long: 30s, 5m, 1h, 500ms.")
  Duration timeout;

  @Parameters(arity = "1..*", paramLabel = "ARG", description = "The program and its arguments.")
  List<String> argv;

  @Override
  public Integer call() throws Exception {
    Command.Builder builder = Command.builder().addAllArgv(argv);
    if (timeout != null) {
      builder.timeout(timeout);
    }
    Command command = builder.build();
    fleet.refuseWithoutFleet(spec);
    if (fleet.requested()) {
      return FleetRun.change(
          spec, host, fleet, dryRun, FleetTasks.execPlan(command), FleetTasks.exec(command));
    }
    if (dryRun) {
      try (HostOptions.Session session = host.open()) {
        session.executor.execute(Command.of("true")).requireSuccess();
      }
      spec.commandLine().getOut().println("would run " + command.display());
      spec.commandLine().getOut().flush();
      return 0;
    }
    StdoutGuard out = new StdoutGuard(cli.stdout);
    ExecResult result;
    try (HostOptions.Session session = host.open()) {
      StopOnShutdown stop = StopOnShutdown.install();
      try {
        result = session.executor.execute(command, cli.stdin, out, cli.stderr);
      } finally {
        stop.close();
      }
    } catch (IOException e) {
      if (out.failed) {
        return 128 + SIGNALS.get("PIPE");
      }
      throw e;
    }
    if (result.timedOut()) {
      spec.commandLine()
          .getErr()
          .println(
              "opskit: `"
                  + argv.get(0)
                  + "` timed out after "
                  + display(timeout)
                  + " and was killed");
      return TIMED_OUT;
    }
    if (result.exitCode().isPresent()) {
      return result.exitCode().getAsInt();
    }
    String signal = result.exitSignal().orElse("?");
    Integer number = SIGNALS.get(signal);
    spec.commandLine().getErr().println("opskit: `" + argv.get(0) + "` was killed by SIG" + signal);
    return number == null ? OpskitCli.FAILED : 128 + number;
  }

  private static String display(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }

  /**
   * Interrupts the thread running the command when the JVM shuts down (SIGINT, SIGTERM), so the
   * executor kills the command, and holds the shutdown until that is done.
   */
  static final class StopOnShutdown implements AutoCloseable {
    private final Thread worker = Thread.currentThread();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook = new Thread(this::stop, "opskit-exec-shutdown");
    private final Duration grace;
    private volatile boolean shuttingDown;

    private StopOnShutdown(Duration grace) {
      this.grace = grace;
    }

    static StopOnShutdown install() {
      return install(SHUTDOWN_GRACE);
    }

    /** Installs the hook, holding the shutdown at most {@code grace} for the work to end. */
    static StopOnShutdown install(Duration grace) {
      StopOnShutdown stop = new StopOnShutdown(grace);
      Runtime.getRuntime().addShutdownHook(stop.hook);
      return stop;
    }

    private void stop() {
      shuttingDown = true;
      worker.interrupt();
      try {
        finished.await(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      finished.countDown();
      if (!shuttingDown) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // Shutdown began just now; the hook sees the latch open and returns at once.
        }
      }
    }
  }

  /** Remembers that writing to our own stdout failed (a closed pipe), so exec exits quietly. */
  private static final class StdoutGuard extends OutputStream {
    private final OutputStream out;
    volatile boolean failed;

    StdoutGuard(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
      try {
        out.write(data, offset, length);
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }

  /**
   * Parses {@code 30s}, {@code 5m}, {@code 1h}, {@code 500ms}, or ISO-8601 such as {@code PT1M}.
   */
  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    @Override
    public Duration convert(String text) {
      Matcher matcher = SIMPLE.matcher(text.strip());
      Duration duration;
      if (matcher.matches()) {
        long amount = Long.parseLong(matcher.group(1));
        switch (matcher.group(2)) {
          case "ms":
            duration = Duration.ofMillis(amount);
            break;
          case "s":
            duration = Duration.ofSeconds(amount);
            break;
          case "m":
            duration = Duration.ofMinutes(amount);
            break;
          default:
            duration = Duration.ofHours(amount);
        }
      } else {
        try {
          duration = Duration.parse(text.strip());
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException(
              "'" + text + "' is not a duration such as 30s, 5m, 1h or 500ms");
        }
      }
      if (duration.isZero() || duration.isNegative()) {
        throw new IllegalArgumentException("'" + text + "' must be a positive duration");
      }
      return duration;
    }
  }
}
