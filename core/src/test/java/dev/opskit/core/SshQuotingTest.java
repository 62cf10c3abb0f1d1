package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.internal.PosixShell;
import dev.opskit.core.internal.StdinEnvironment;
import dev.opskit.core.internal.ssh.RemoteCommandLine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exec string an {@link SshExecutor} sends: argv quoting round-trips byte for byte through real
 * POSIX shells, and the PID report is found and stripped exactly.
 */
class SshQuotingTest {
  private static final String[] HOSTILE = {
    "",
    " ",
    "  ",
    "'",
    "''",
    "\"",
    "$",
    "$HOME",
    "${HOME}",
    "$(id)",
    "`id`",
    "\\",
    "\\\\",
    "\\n",
    "\n",
    "\r\n",
    "\t",
    "*",
    "?",
    "[a-z]",
    "{a,b}",
    "~",
    "~root",
    "!",
    "!!",
    "#",
    "&",
    "&&",
    "|",
    ";",
    "<",
    ">",
    "(",
    ")",
    "%",
    "=",
    "a=b",
    "-n",
    "-e",
    "--",
    "-",
    "é",
    "日本語",
    "🙂",
    "\u00a0",
    "\u0001",
    "\u007f",
    "\u001b[31m",
    "'\"'\"'",
    "a b c",
    "x'y\"z",
    "$'\\n'",
    "ǅ",
    "\u2028"
  };

  /** A random list of 0 to 7 hostile arguments: pieces glued together, sometimes with letters. */
  static List<String> hostileArguments(Random random) {
    int count = random.nextInt(8);
    List<String> args = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      StringBuilder word = new StringBuilder();
      int pieces = random.nextInt(4);
      for (int p = 0; p < pieces; p++) {
        if (random.nextInt(4) == 0) {
          word.append((char) ('a' + random.nextInt(26)));
        }
        word.append(HOSTILE[random.nextInt(HOSTILE.length)]);
      }
      args.add(word.toString());
    }
    return args;
  }

  /** What {@code printf '%s\0' start ARGS...} prints. */
  static byte[] nulTerminated(List<String> args) {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (String arg : args) {
      expected.writeBytes(arg.getBytes(StandardCharsets.UTF_8));
      expected.write(0);
    }
    return expected.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sh", "dash", "bash"})
  void hostileArgumentsRoundTripThroughAPosixShell(String shell) throws Exception {
    Path program = Path.of("/bin", shell);
    if (!Files.isExecutable(program)) {
      return;
    }
    Random random = new Random(4242);
    for (int i = 0; i < 200; i++) {
      List<String> args = new ArrayList<>(List.of("start"));
      args.addAll(hostileArguments(random));
      List<String> argv = new ArrayList<>(List.of("printf", "%s\\0"));
      argv.addAll(args);
      String line = RemoteCommandLine.body(Command.of(argv));
      ExecResult result = runShell(program, line);
      assertThat(result.stdout()).as("%s reading %s", shell, line).isEqualTo(nulTerminated(args));
    }
  }

  @Test
  void environmentTravelsOnStdinAndWorkingDirectoryIsQuoted() throws Exception {
    Path dir = Files.createTempDirectory("opskit dir $(x) 'q' é");
    try {
      String value = "v'\"$HOME`id`\n~:~ é";
      Command command =
          StdinEnvironment.wrap(
              Command.builder()
                  .addArgv("sh", "-c", "printf '%s|' \"$V\" \"$PWD\"")
                  .putEnv("V", value)
                  .workingDirectory(dir.toString())
                  .build());
      String line = RemoteCommandLine.body(command);
      assertThat(line).doesNotContain("HOME");
      ExecResult result =
          LocalExecutor.create()
              .execute(
                  Command.builder()
                      .addArgv("/bin/sh", "-c", line)
                      .stdin(command.stdin())
                      .timeout(Duration.ofSeconds(30))
                      .build())
              .requireSuccess();
      assertThat(result.stdoutUtf8()).isEqualTo(value + "|" + dir + "|");
    } finally {
      Files.delete(dir);
    }
  }

  @Test
  void renderedLineReportsThePidOnStderrAndExecsTheCommand() throws Exception {
    String token = RemoteCommandLine.newToken();
    String line =
        RemoteCommandLine.render(Command.of("sh", "-c", "echo out; echo err >&2; echo $$"), token);
    ExecResult result = runShell(Path.of("/bin/sh"), line);
    String[] out = result.stdoutUtf8().split("\n");
    OptionalLong pid = RemoteCommandLine.pid(result.stderr(), token);
    assertThat(pid).hasValue(Long.parseLong(out[1]));
    assertThat(new String(RemoteCommandLine.stripReport(result.stderr(), token), UTF8))
        .isEqualTo("err\n");
  }

  @Test
  void reportIsFoundOnlyWithItsOwnTokenAndAtALineStart() {
    byte[] stderr = "noise\nopskit-pid:abc:123\nrest opskit-pid:def:9\n".getBytes(UTF8);
    assertThat(RemoteCommandLine.pid(stderr, "abc")).hasValue(123);
    assertThat(RemoteCommandLine.pid(stderr, "def")).isEmpty();
    assertThat(RemoteCommandLine.pid(stderr, "zzz")).isEmpty();
    assertThat(new String(RemoteCommandLine.stripReport(stderr, "abc"), UTF8))
        .isEqualTo("noise\nrest opskit-pid:def:9\n");
    assertThat(RemoteCommandLine.pid("opskit-pid:abc:12".getBytes(UTF8), "abc")).isEmpty();
    assertThat(RemoteCommandLine.stripReport(new byte[0], "abc")).isEmpty();
  }

  @Test
  void tokensAreFreshHex() {
    String a = RemoteCommandLine.newToken();
    assertThat(a).matches("[0-9a-f]{16}").isNotEqualTo(RemoteCommandLine.newToken());
  }

  @Test
  void quotingLeavesSafeWordsAloneAndQuotesTheRest() {
    assertThat(PosixShell.quote("iptables-save")).isEqualTo("iptables-save");
    assertThat(PosixShell.quote("")).isEqualTo("''");
    assertThat(PosixShell.quote("it's")).isEqualTo("'it'\"'\"'s'");
    assertThat(PosixShell.quote("~")).isEqualTo("'~'");
    assertThat(RemoteCommandLine.body(Command.of("x", "a b"))).isEqualTo("exec x 'a b'");
    assertThat(RemoteCommandLine.killGroup(42)).isEqualTo("kill -s KILL -- -42");
  }

  @Test
  void environmentValuesAreNeverRenderedIntoTheLine() {
    Command command = Command.builder().addArgv("env").putEnv("A", "s3cret").build();
    assertThatThrownBy(() -> RemoteCommandLine.body(command))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[A]")
        .hasMessageNotContaining("s3cret");
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  private static ExecResult runShell(Path shell, String line)
      throws IOException, InterruptedException {
    return LocalExecutor.create()
        .execute(Command.of(shell.toString(), "-c", line).withTimeout(Duration.ofSeconds(30)))
        .requireSuccess();
  }
}
