package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SudoExecutorIT {
  private final LocalExecutor local = LocalExecutor.create();

  /** Runs what sudo would run, after sudo did (or did not) read the password line. */
  private CommandExecutor fakeSudo(boolean consumesPassword) {
    return command -> {
      List<String> argv = command.argv();
      int dashes = argv.indexOf("--");
      byte[] stdin = command.stdin();
      if (consumesPassword) {
        int newline = indexOf(stdin, (byte) '\n');
        stdin = Arrays.copyOfRange(stdin, newline + 1, stdin.length);
      }
      return local.execute(
          Command.builder()
              .from(command)
              .argv(argv.subList(dashes + 1, argv.size()))
              .stdin(stdin)
              .build());
    };
  }

  @Test
  void commandSeesOnlyItsOwnStdinWhenSudoReadThePassword() throws Exception {
    assertCatSeesPayload(SudoExecutor.withPassword(fakeSudo(true), "secret".toCharArray()));
  }

  @Test
  void commandSeesOnlyItsOwnStdinWhenSudoDidNotNeedThePassword() throws Exception {
    assertCatSeesPayload(SudoExecutor.withPassword(fakeSudo(false), "secret".toCharArray()));
  }

  @Test
  @Privileged(tools = {"sudo"})
  void realSudoWithoutPasswordRunsTheCommand() throws Exception {
    ExecResult whoami = probeSudo(local.withSudo());
    assertThat(whoami.stdoutUtf8()).isEqualTo("0\n");
  }

  @Test
  @Privileged(tools = {"sudo"})
  void realSudoThatNeedsNoPasswordDropsThePasswordLine() throws Exception {
    assertCatSeesPayload(SudoExecutor.withPassword(local, "not-needed".toCharArray()));
  }

  @Test
  @Privileged(tools = {"sudo"})
  void realSudoStreamsStdinAfterThePasswordLine() throws Exception {
    byte[] input = new byte[2 * 1024 * 1024];
    new java.util.Random(4).nextBytes(input);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    ExecResult result =
        SudoExecutor.withPassword(local, "secret".toCharArray())
            .execute(
                Command.of("cat"),
                new java.io.ByteArrayInputStream(input),
                out,
                java.io.OutputStream.nullOutputStream());
    assertThat(result.exitCode()).hasValue(0);
    assertThat(out.toByteArray()).isEqualTo(input);
  }

  private static ExecResult probeSudo(CommandExecutor sudo)
      throws IOException, InterruptedException {
    return sudo.execute("id", "-u").requireSuccess();
  }

  private static void assertCatSeesPayload(CommandExecutor sudo) throws Exception {
    String payload = "first line\nsecond 'line' $x\n\u00fc";
    ExecResult result = sudo.execute(Command.of("cat").withStdin(payload)).requireSuccess();
    assertThat(result.stdoutUtf8()).isEqualTo(payload);
    assertThat(new String(result.stdout(), StandardCharsets.UTF_8)).doesNotContain("secret");
  }

  private static int indexOf(byte[] bytes, byte wanted) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == wanted) {
        return i;
      }
    }
    return -1;
  }
}
