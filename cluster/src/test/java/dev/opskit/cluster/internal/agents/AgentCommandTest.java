package dev.opskit.cluster.internal.agents;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.cluster.testing.internal.AgentExec;
import dev.opskit.core.Command;
import dev.opskit.core.internal.FramedCommand;
import dev.opskit.core.test.Privileged;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exec an agent pod receives is constant; the command travels on stdin, and the pod's own
 * script (run here in a real shell, with a stand-in {@code nsenter} that records what it would run)
 * gets back every word and every stdin byte exactly, however hostile or large.
 */
public class AgentCommandTest {
  private static final byte[] MORE = "MORE".getBytes(StandardCharsets.UTF_8);
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  /**
   * Words a shell would expand, split, trim or choke on if it ever parsed them, a 100 KB word and a
   * word of 2,000 lines.
   */
  public static List<String> hostileArgv() {
    List<String> argv = new ArrayList<>();
    argv.add("printf");
    argv.add("");
    argv.add("'single' \"double\" `uname` $(touch /tmp/pwned) ${HOME} $0 $@ $((1+1))");
    argv.add("\nleading newline, trailing newline\n");
    argv.add("\n\n");
    argv.add("a\n\nb\r\n");
    argv.add("  leading and trailing blanks\t ");
    argv.add("back\\slash \\n \\\\ \\");
    argv.add("*");
    argv.add("-n");
    argv.add("--");
    argv.add("; rm -rf / # | & > < 2>&1");
    argv.add("grüße 日本語 🚀 \u00a0nbsp");
    argv.add("");
    argv.add("x".repeat(100 * 1024));
    argv.add(("line with 'quotes' and $VARS\n").repeat(2000));
    return argv;
  }

  private static AgentExec.Decoded decode(
      List<String> shell, List<Path> pathFirst, byte[]... chunks) throws Exception {
    return decode(AgentCommand.ENTER_NODE, shell, pathFirst, chunks);
  }

  private static AgentExec.Decoded decode(
      List<String> runner, List<String> shell, List<Path> pathFirst, byte[]... chunks)
      throws Exception {
    try (AgentExec.Session pod = AgentExec.start(runner, shell, pathFirst)) {
      for (byte[] chunk : chunks) {
        pod.write(chunk);
      }
      // stdin is not closed: the script must stop reading at the frame's end by itself
      return pod.await(60_000);
    }
  }

  private static void assertDeliveredExactly(List<String> shell, List<Path> pathFirst)
      throws Exception {
    assertDeliveredExactly(AgentCommand.ENTER_NODE, shell, pathFirst);
  }

  private static void assertDeliveredExactly(
      List<String> runner, List<String> shell, List<Path> pathFirst) throws Exception {
    byte[] input = new byte[70_000];
    for (int i = 0; i < input.length; i++) {
      input[i] = (byte) i;
    }
    Command command = Command.builder().argv(hostileArgv()).stdin(input).build();

    AgentExec.Decoded decoded =
        decode(runner, shell, pathFirst, AgentCommand.stdin(command, DEADLINE), MORE);

    assertThat(decoded.exitCode()).as(decoded.stderr()).isZero();
    Command received = decoded.command().orElseThrow();
    assertThat(received.argv()).isEqualTo(command.argv());
    assertThat(received.stdin()).isEqualTo(input);
    assertThat(Path.of("/tmp/pwned")).doesNotExist();
  }

  @Test
  void theExecRequestIsTheSameShortCommandForEveryCommand() {
    assertThat(AgentExec.isAgentCommand(AgentCommand.EXEC)).isTrue();
    String query =
        AgentCommand.EXEC.stream()
            .map(word -> "command=" + URLEncoder.encode(word, StandardCharsets.UTF_8))
            .reduce((a, b) -> a + "&" + b)
            .orElseThrow();
    assertThat(query.length()).as("the exec URL's command parameters").isLessThan(2048);
  }

  @Test
  void theFrameCountsWordsAndEachWordsNewlinesThenTheStdinBytes() {
    Command command = Command.of("sh", "-c", "cat\nwc -l", "").withStdin("ab\n");
    assertThat(new String(AgentCommand.stdin(command, Duration.ofMillis(1500)), UTF_8))
        .isEqualTo("2\n4\n0\nsh\n0\n-c\n1\ncat\nwc -l\n0\n\n3\nab\n");
    assertThat(new String(AgentCommand.stdin(command, Duration.ZERO), UTF_8)).startsWith("0\n4\n");
    assertThatThrownBy(() -> AgentCommand.stdin(command, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-1S");
  }

  @Test
  void hostileAndLargeWordsAndTheStdinAfterThemArriveByteExactInSh() throws Exception {
    assertDeliveredExactly(List.of("sh"), List.of());
  }

  @Test
  @Privileged(tools = {"busybox"})
  void hostileAndLargeWordsAndTheStdinAfterThemArriveByteExactInBusybox(@TempDir Path bin)
      throws Exception {
    // the default agent image's shell and head (busybox's head reads ahead: it must come last)
    Path busybox = Path.of("/usr/bin/busybox");
    busyboxApplets(bin, "sh", "head", "setsid", "sleep");
    assertDeliveredExactly(List.of(bin.resolve("sh").toString()), List.of(bin));
  }

  @Test
  void throughChrootHostTheWordsAndStdinArriveByteExactToo() throws Exception {
    // the runner of the single-node exec pod: chroot /host "$@" (a stand-in records what it gets)
    assertDeliveredExactly(AgentCommand.CHROOT_HOST, List.of("sh"), List.of());
  }

  @Test
  void aRunnerIsPlainWordsTheScriptCanNameUnquoted() {
    assertThat(AgentCommand.exec(AgentCommand.CHROOT_HOST))
        .hasSize(3)
        .startsWith("sh", "-c")
        .last(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .endsWith("| chroot /host \"$@\"");
    for (List<String> runner : List.of(List.<String>of(), List.of("chroot", "/ho st"))) {
      assertThatThrownBy(() -> FramedCommand.decoder(runner))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(runner.toString())
          .hasMessageContaining("letters, digits");
    }
    assertThatThrownBy(() -> FramedCommand.decoder(List.of("chroot", "$(id)")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("$(id)");
  }

  @Test
  void aCommandWithoutStdinReadsNothingThatFollowsTheFrame() throws Exception {
    Command command = Command.of("cat");
    for (Duration deadline : List.of(DEADLINE, Duration.ZERO)) {
      AgentExec.Decoded decoded =
          decode(List.of("sh"), List.of(), AgentCommand.stdin(command, deadline), MORE);

      assertThat(decoded.command().orElseThrow().argv()).as("%s", deadline).containsExactly("cat");
      assertThat(decoded.command().orElseThrow().stdin()).as("%s", deadline).isEmpty();
    }
  }

  @Test
  void aCommandStillRunningAtItsDeadlineIsKilledWithWhatItStartedInSh() throws Exception {
    assertKilledAtTheDeadline(List.of());
  }

  @Test
  @Privileged(tools = {"busybox"})
  void aCommandStillRunningAtItsDeadlineIsKilledWithWhatItStartedInBusybox(@TempDir Path bin)
      throws Exception {
    busyboxApplets(bin, "sh", "head", "setsid", "sleep", "env");
    assertKilledAtTheDeadline(List.of(bin));
  }

  @Test
  void aCommandThatEndsInTimeKeepsItsExitStatusAndLeavesNothingBehind() throws Exception {
    Command command = Command.of("sh", "-c", "cat; exit 3").withStdin("in time\n");
    // a deadline no other test uses, so that its watchdog's sleep can be told apart
    Duration deadline = Duration.ofSeconds(297);
    try (Node node = Node.start(List.of(), AgentCommand.stdin(command, deadline))) {
      // the watchdog holds neither stdout nor the exit: both come when the command ends
      CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(node::readAll);
      assertThat(stdout.get(20, TimeUnit.SECONDS)).isEqualTo("in time\n".getBytes(UTF_8));
      assertThat(node.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(node.process.exitValue()).isEqualTo(3);
    }
    // the watchdog's sleep ends with it (one left behind would belong to init, for 297 s)
    List<ProcessHandle> watchdogs =
        ProcessHandle.allProcesses()
            .filter(p -> p.info().command().orElse("").endsWith("sleep"))
            .filter(
                p -> p.info().arguments().map(List::of).orElse(List.of()).equals(List.of("297")))
            .toList();
    for (ProcessHandle watchdog : watchdogs) {
      watchdog.onExit().get(10, TimeUnit.SECONDS);
    }
  }

  /** Runs a command that starts a child and waits, with a deadline of two seconds. */
  private static void assertKilledAtTheDeadline(List<Path> pathFirst) throws Exception {
    Command command = Command.of("sh", "-c", "sleep 60 & echo $!; wait");
    try (Node node = Node.start(pathFirst, AgentCommand.stdin(command, Duration.ofSeconds(2)))) {
      String line = new BufferedReader(new InputStreamReader(node.stdout, UTF_8)).readLine();
      // taken while the child runs (a handle is never fooled by a reused pid)
      Optional<ProcessHandle> sleeper = ProcessHandle.of(Long.parseLong(line.strip()));

      assertThat(node.process.waitFor(30, TimeUnit.SECONDS)).as("ended at the deadline").isTrue();
      assertThat(node.process.exitValue()).isEqualTo(137);
      // the child the command started was killed with it, long before its 60 s were up
      if (sleeper.isPresent()) {
        sleeper.get().onExit().get(10, TimeUnit.SECONDS);
      }
    }
  }

  private static void busyboxApplets(Path bin, String... applets) throws Exception {
    for (String applet : applets) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("/usr/bin/busybox"));
    }
  }

  /**
   * The decoder of a pod whose runner is {@code env}: it runs the command on this machine, so a
   * test sees what the node would run, and what is left of it.
   */
  private static final class Node implements AutoCloseable {
    final Process process;
    final InputStream stdout;

    private Node(Process process) {
      this.process = process;
      this.stdout = process.getInputStream();
    }

    static Node start(List<Path> pathFirst, byte[] frame) throws IOException {
      List<String> path = new ArrayList<>();
      pathFirst.forEach(p -> path.add(p.toString()));
      path.add(System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
      String shell = pathFirst.isEmpty() ? "sh" : pathFirst.get(0).resolve("sh").toString();
      ProcessBuilder builder =
          new ProcessBuilder(shell, "-c", FramedCommand.decoder(List.of("env")))
              .redirectError(ProcessBuilder.Redirect.DISCARD);
      builder.environment().put("PATH", String.join(":", path));
      Node node = new Node(builder.start());
      // the exec's stdin is never closed: the decoder must stop reading by itself
      node.process.getOutputStream().write(frame);
      node.process.getOutputStream().flush();
      return node;
    }

    byte[] readAll() {
      try {
        return stdout.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  @Test
  void aFrameThatDoesNotParseRunsNothing() throws Exception {
    for (String frame :
        List.of("x\n", "-1\n1\n0\nls\n0\n", "5\n0\n", "5\n1\n-1\nls\n0\n", "5\n1\n0\nls\nfive\n")) {
      AgentExec.Decoded decoded =
          decode(List.of("sh"), List.of(), frame.getBytes(StandardCharsets.UTF_8));
      assertThat(decoded.command()).as(frame).isEmpty();
      assertThat(decoded.exitCode()).as(frame).isEqualTo(AgentCommand.MALFORMED);
      assertThat(decoded.stderr()).as(frame).contains("malformed command on stdin");
    }
  }

  @Test
  void theFixturePlaysTheAgentsOwnScript() {
    assertThat(AgentCommand.MALFORMED).isEqualTo(AgentExec.MALFORMED);
    assertThat(AgentCommand.ENTER_NODE).isEqualTo(AgentExec.ENTER_NODE);
    assertThat(AgentCommand.CHROOT_HOST).isEqualTo(AgentExec.CHROOT_HOST);
    for (List<String> runner : List.of(AgentCommand.ENTER_NODE, AgentCommand.CHROOT_HOST)) {
      assertThat(AgentExec.runner(AgentCommand.exec(runner))).hasValue(runner);
    }
    assertThat(AgentExec.isAgentCommand(AgentCommand.exec(AgentCommand.CHROOT_HOST))).isFalse();
    assertThat(AgentExec.isAgentCommand(List.of("sh", "-c", AgentCommand.DECODER + " "))).isFalse();
  }
}
