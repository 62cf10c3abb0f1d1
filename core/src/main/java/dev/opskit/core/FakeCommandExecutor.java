package dev.opskit.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A scripted executor for tests of your own code that runs plain commands: replies are chosen by
 * argv pattern, every command is recorded, and a command nobody scripted fails loudly with an
 * {@link IllegalStateException} that names it and lists what was scripted. Fakes over mocks: no
 * process is ever started.
 *
 * <pre>{@code
 * FakeCommandExecutor fake = FakeCommandExecutor.create();
 * fake.onArgv("systemctl", "is-active", "kubelet").replyStdout("active\n");
 * fake.onArgvStartingWith("crictl", "rmi").replyExit(0);
 * fake.onArgvMatching("journalctl .*").reply(cmd -> ExecResult.of(cmd, 1, "", "no journal", ZERO));
 * ... run the code under test ...
 * assertThat(fake.argvs()).contains(List.of("crictl", "rmi", "--prune"));
 * }</pre>
 *
 * <p><b>Which fake?</b> Use this one when you know the exact argv your code sends and want to
 * script each reply (including malformed output or transport failures). To test code that calls
 * opskit's appliers ({@code IptablesApplier}, {@code SysctlApplier}, {@code LimitsApplier}, {@code
 * DatapathDetector}), use {@code FakeHost} from the {@code opskit-testing} artifact instead: the
 * appliers send few, batched {@code sh -c} scripts with a private framing rather than one command
 * per program (there is no {@code sysctl -n KEY} to script), and {@code FakeHost} keeps a host's
 * state in memory and answers them as a host would.
 *
 * <p>The first scripted rule that matches wins. Thread-safe.
 */
public final class FakeCommandExecutor implements CommandExecutor {

  /** Computes the reply to a command: return a result or throw the failure to simulate. */
  @FunctionalInterface
  public interface Reply {
    /** The result for {@code command}, or an exception to throw from {@code execute}. */
    ExecResult apply(Command command) throws IOException, InterruptedException;
  }

  private final List<Rule> rules = new ArrayList<>();
  private final List<Command> commands = new ArrayList<>();

  private FakeCommandExecutor() {}

  /** A fake with nothing scripted. */
  public static FakeCommandExecutor create() {
    return new FakeCommandExecutor();
  }

  /** Scripts a reply for commands whose argv is exactly {@code argv}. */
  public Stub onArgv(String... argv) {
    List<String> expected = List.of(argv);
    return stub("argv " + expected, expected::equals);
  }

  /** Scripts a reply for commands whose argv starts with {@code prefix}. */
  public Stub onArgvStartingWith(String... prefix) {
    List<String> expected = List.of(prefix);
    return stub(
        "argv starting with " + expected,
        argv ->
            argv.size() >= expected.size() && argv.subList(0, expected.size()).equals(expected));
  }

  /**
   * Scripts a reply for commands whose argv, joined with single spaces, matches {@code regex}
   * entirely.
   */
  public Stub onArgvMatching(String regex) {
    Pattern pattern = Pattern.compile(regex);
    return stub(
        "argv matching /" + regex + "/", argv -> pattern.matcher(String.join(" ", argv)).matches());
  }

  /** Scripts a reply for commands whose argv satisfies {@code predicate}. */
  public Stub onArgv(String description, Predicate<List<String>> predicate) {
    return stub(description, predicate);
  }

  private Stub stub(String description, Predicate<List<String>> predicate) {
    return new Stub(description, predicate);
  }

  /** Every command executed so far, in order. */
  public synchronized List<Command> commands() {
    return List.copyOf(commands);
  }

  /** The argv of every command executed so far, in order. */
  public synchronized List<List<String>> argvs() {
    return commands.stream().map(Command::argv).collect(Collectors.toUnmodifiableList());
  }

  /** Forgets the recorded commands; the script stays. */
  public synchronized void clearCommands() {
    commands.clear();
  }

  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    Reply reply;
    synchronized (this) {
      commands.add(command);
      reply =
          rules.stream()
              .filter(rule -> rule.predicate.test(command.argv()))
              .findFirst()
              .map(rule -> rule.reply)
              .orElse(null);
      if (reply == null) {
        throw new IllegalStateException(
            "unscripted command: "
                + command.display()
                + "; scripted: "
                + rules.stream().map(rule -> rule.description).collect(Collectors.toList()));
      }
    }
    return reply.apply(command);
  }

  @Override
  public String toString() {
    return "fake";
  }

  private static final class Rule {
    final String description;
    final Predicate<List<String>> predicate;
    final Reply reply;

    Rule(String description, Predicate<List<String>> predicate, Reply reply) {
      this.description = description;
      this.predicate = predicate;
      this.reply = reply;
    }
  }

  /** The reply half of a scripted rule; one of its methods completes the rule. */
  public final class Stub {
    private final String description;
    private final Predicate<List<String>> predicate;

    private Stub(String description, Predicate<List<String>> predicate) {
      this.description = description;
      this.predicate = predicate;
    }

    /** Replies with a computed result (or a thrown exception). */
    public FakeCommandExecutor reply(Reply reply) {
      Objects.requireNonNull(reply, "reply");
      synchronized (FakeCommandExecutor.this) {
        rules.add(new Rule(description, predicate, reply));
      }
      return FakeCommandExecutor.this;
    }

    /** Replies with exit status 0 and this standard output. */
    public FakeCommandExecutor replyStdout(String stdout) {
      return replyExit(0, stdout, "");
    }

    /** Replies with this exit status and no output. */
    public FakeCommandExecutor replyExit(int exitCode) {
      return replyExit(exitCode, "", "");
    }

    /** Replies with this exit status and output. */
    public FakeCommandExecutor replyExit(int exitCode, String stdout, String stderr) {
      byte[] out = stdout.getBytes(StandardCharsets.UTF_8);
      byte[] err = stderr.getBytes(StandardCharsets.UTF_8);
      return reply(
          command ->
              ExecResult.builder()
                  .command(command)
                  .exitCode(exitCode)
                  .stdout(Arrays.copyOf(out, out.length))
                  .stderr(Arrays.copyOf(err, err.length))
                  .duration(Duration.ZERO)
                  .build());
    }

    /** Throws {@code error} from {@code execute}, as a dropped transport would. */
    public FakeCommandExecutor replyFailure(IOException error) {
      Objects.requireNonNull(error, "error");
      return reply(
          command -> {
            throw error;
          });
    }
  }
}
