package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class FakeCommandExecutorTest {

  @Test
  void repliesByExactArgvAndRecords() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("sysctl", "-n", "fs.file-max").replyStdout("2097152\n");

    ExecResult result = fake.execute("sysctl", "-n", "fs.file-max");

    assertThat(result.stdoutUtf8()).isEqualTo("2097152\n");
    assertThat(result.command().argv()).containsExactly("sysctl", "-n", "fs.file-max");
    assertThat(fake.argvs()).containsExactly(List.of("sysctl", "-n", "fs.file-max"));
  }

  @Test
  void firstMatchingRuleWins() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("iptables-save", "-t", "raw").replyExit(1, "", "no raw");
    fake.onArgvStartingWith("iptables-save").replyStdout("*filter\nCOMMIT\n");

    assertThat(fake.execute("iptables-save", "-t", "raw").exitCode()).hasValue(1);
    assertThat(fake.execute("iptables-save", "-t", "nat").stdoutUtf8()).startsWith("*filter");
  }

  @Test
  void regexMatchesWholeJoinedArgv() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvMatching("ip6?tables -w -L .*").replyExit(0);

    assertThat(fake.execute("ip6tables", "-w", "-L", "INPUT").isSuccess()).isTrue();
    assertThatThrownBy(() -> fake.execute("x", "ip6tables", "-w", "-L", "INPUT"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void unscriptedCommandFailsLoudlyNamingItAndTheScript() {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("true").replyExit(0);

    assertThatThrownBy(() -> fake.execute("rm", "-rf", "/tmp/x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unscripted command: rm -rf /tmp/x")
        .hasMessageContaining("argv [true]");
    assertThat(fake.argvs()).containsExactly(List.of("rm", "-rf", "/tmp/x"));
  }

  @Test
  void replyCanSeeStdinAndSimulateTransportFailure() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("cat")
        .reply(
            c -> ExecResult.of(c, 0, new String(c.stdin(), "UTF-8"), "", java.time.Duration.ZERO));
    fake.onArgv("ssh-down").replyFailure(new IOException("connection reset"));

    assertThat(fake.execute(Command.of("cat").withStdin("hello")).stdoutUtf8()).isEqualTo("hello");
    assertThatThrownBy(() -> fake.execute("ssh-down"))
        .isInstanceOf(IOException.class)
        .hasMessage("connection reset");
  }
}
