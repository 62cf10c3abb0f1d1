package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.internal.StdinEnvironment;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The stdin wrapper that carries environment values past sudo and SSH without argv. */
class StdinEnvironmentTest {
  private final LocalExecutor local = LocalExecutor.create();

  @ParameterizedTest
  @ValueSource(strings = {"sh", "dash", "bash"})
  void hostileValuesArriveExactlyAndStdinFollowsIntact(String shell) throws Exception {
    Path program = Path.of("/bin", shell);
    if (!Files.isExecutable(program)) {
      return;
    }
    Random random = new Random(77);
    for (int round = 0; round < 100; round++) {
      Map<String, String> env = new LinkedHashMap<>();
      int count = random.nextInt(4) + 1;
      for (int i = 0; i < count; i++) {
        env.put("V" + i, HostileStrings.randomArgument(random) + "value-" + i);
      }
      String payload = "payload\\n $x\n" + HostileStrings.randomArgument(random);
      Command command =
          Command.builder()
              .addArgv("sh", "-c", printEach(env.keySet()) + "cat")
              .putAllEnv(env)
              .stdin(payload.getBytes(StandardCharsets.UTF_8))
              .build();

      Command wrapped = StdinEnvironment.wrap(command);
      List<String> withShell = new ArrayList<>(wrapped.argv());
      withShell.set(0, program.toString());
      ExecResult result =
          local.execute(
              Command.builder()
                  .from(wrapped)
                  .argv(withShell)
                  .timeout(Duration.ofSeconds(30))
                  .build());

      assertThat(result.stderrUtf8()).as("%s, env %s", shell, env).isEmpty();
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      expected.writeBytes(SshQuotingTest.nulTerminated(new ArrayList<>(env.values())));
      expected.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
      assertThat(result.stdout()).as("%s, env %s", shell, env).isEqualTo(expected.toByteArray());
      assertThat(wrapped.env()).isEmpty();
      assertThat(String.join(" ", wrapped.argv())).contains(env.keySet()).doesNotContain("value-");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"opskit_env_line", "IFS", "PATH"})
  void variablesTheWrapperItselfUsesAreSetToo(String name) throws Exception {
    Command command =
        Command.builder()
            .addArgv("/usr/bin/env")
            .putEnv(name, "/usr/bin:/bin x\\y")
            .putEnv("OTHER", "second")
            .build();
    ExecResult result = local.execute(StdinEnvironment.wrap(command)).requireSuccess();
    assertThat(result.stdoutUtf8().lines()).contains(name + "=/usr/bin:/bin x\\y", "OTHER=second");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "cut-off line without its line feed"})
  void missingLinesStopBeforeTheProgramRuns(String stdin) throws Exception {
    Command wrapped =
        StdinEnvironment.wrap(Command.builder().addArgv("echo", "ran").putEnv("A", "x").build());
    ExecResult result = local.execute(wrapped.withStdin(stdin));
    assertThat(result.exitCode()).hasValue(125);
    assertThat(result.stdoutUtf8()).isEmpty();
    assertThat(result.stderrUtf8()).contains("environment lines missing");
  }

  @Test
  void commandsWithoutEnvironmentAreLeftAlone() {
    Command command = Command.of("x");
    assertThat(StdinEnvironment.wrap(command)).isSameAs(command);
  }

  private static String printEach(Iterable<String> names) {
    StringBuilder script = new StringBuilder();
    for (String name : names) {
      script.append("printf '%s\\0' \"$").append(name).append("\"; ");
    }
    return script.toString();
  }
}
