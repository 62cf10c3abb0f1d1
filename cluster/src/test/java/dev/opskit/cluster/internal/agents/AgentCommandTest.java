package dev.opskit.cluster.internal.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.cluster.testing.internal.AgentExec;
import dev.opskit.core.Command;
import dev.opskit.core.test.Privileged;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exec an agent pod receives is constant; the command travels on stdin, and the pod's own
 * script (run here in a real shell, with a stand-in {@code nsenter} that records what it would run)
 * gets back every word and every stdin byte exactly, however hostile or large.
 */
public class AgentCommandTest {
  private static final byte[] MORE = "MORE".getBytes(StandardCharsets.UTF_8);

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

    AgentExec.Decoded decoded = decode(runner, shell, pathFirst, AgentCommand.stdin(command), MORE);

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
    assertThat(new String(AgentCommand.stdin(command), StandardCharsets.UTF_8))
        .isEqualTo("4\n0\nsh\n0\n-c\n1\ncat\nwc -l\n0\n\n3\nab\n");
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
    Files.createSymbolicLink(bin.resolve("sh"), busybox);
    Files.createSymbolicLink(bin.resolve("head"), busybox);
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
      assertThatThrownBy(() -> AgentCommand.decoder(runner))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(runner.toString())
          .hasMessageContaining("letters, digits");
    }
    assertThatThrownBy(() -> AgentCommand.decoder(List.of("chroot", "$(id)")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("$(id)");
  }

  @Test
  void aCommandWithoutStdinReadsNothingThatFollowsTheFrame() throws Exception {
    Command command = Command.of("cat");

    AgentExec.Decoded decoded = decode(List.of("sh"), List.of(), AgentCommand.stdin(command), MORE);

    assertThat(decoded.command().orElseThrow().argv()).containsExactly("cat");
    assertThat(decoded.command().orElseThrow().stdin()).isEmpty();
  }

  @Test
  void aFrameThatDoesNotParseRunsNothing() throws Exception {
    for (String frame : List.of("0\n0\n", "x\n", "1\n-1\nls\n0\n", "1\n0\nls\nfive\n")) {
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
