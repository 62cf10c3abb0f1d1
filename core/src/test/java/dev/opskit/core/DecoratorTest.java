package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecoratorTest {

  @Test
  void sudoWithoutPasswordNeverPrompts() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("sudo").replyExit(0);

    ExecResult result = fake.withSudo().execute("iptables-save");

    assertThat(fake.argvs()).containsExactly(List.of("sudo", "-n", "--", "iptables-save"));
    assertThat(result.command().argv()).containsExactly("iptables-save");
  }

  @Test
  void sudoPasswordGoesOnStdinNeverInArgv() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("sudo").replyExit(0);

    SudoExecutor.withPassword(fake, "pa ss'word".toCharArray())
        .execute(Command.of("tee", "/x").withStdin("payload"));

    Command sent = fake.commands().get(0);
    assertThat(sent.argv()).noneMatch(arg -> arg.contains("pa ss'word"));
    assertThat(sent.toString()).doesNotContain("pa ss'word");
    String stdin = new String(sent.stdin(), StandardCharsets.UTF_8);
    assertThat(stdin).startsWith("pa ss'word\nopskit-sudo-").endsWith("\npayload");
    assertThat(sent.argv()).startsWith("sudo", "-S", "-p", "", "--", "sh", "-c");
    assertThat(sent.argv().subList(sent.argv().size() - 2, sent.argv().size()))
        .containsExactly("tee", "/x");
  }

  @Test
  void sudoRejectsMultiLinePassword() {
    assertThatThrownBy(
            () -> SudoExecutor.withPassword(FakeCommandExecutor.create(), "a\nb".toCharArray()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line break");
  }

  @Test
  void sudoCarriesEnvironmentValuesOnStdinNeverInArgv() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("sudo").replyExit(0);
    List<Command> heard = new ArrayList<>();
    ExecutionListener listener =
        new ExecutionListener() {
          @Override
          public void started(Command command) {
            heard.add(command);
          }
        };
    Command deploy =
        Command.builder().addArgv("deploy").putEnv("API_TOKEN", "s3cret").build().withStdin("in");

    ExecResult result =
        fake.withListener(listener).withSudo().withListener(listener).execute(deploy);

    Command sent = fake.commands().get(0);
    assertThat(sent.argv())
        .startsWith("sudo", "-n", "--", "sh", "-c")
        .endsWith("API_TOKEN", "--", "deploy");
    assertThat(sent.env()).isEmpty();
    assertThat(new String(sent.stdin(), StandardCharsets.UTF_8)).isEqualTo("s3cret\nin");
    assertThat(heard).hasSize(2);
    for (Object shown : List.of(sent.argv(), sent, heard, result, deploy.display())) {
      assertThat(shown.toString()).doesNotContain("s3cret");
    }
    assertThat(deploy.toString()).contains("API_TOKEN");
  }

  @Test
  void netnsPrefixesIpNetnsExecAndValidatesName() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("ip", "netns", "exec").replyExit(0);

    fake.inNetworkNamespace("opskit-test-a").execute("ip", "link");

    assertThat(fake.argvs())
        .containsExactly(List.of("ip", "netns", "exec", "opskit-test-a", "ip", "link"));
    assertThatThrownBy(() -> fake.inNetworkNamespace("../etc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'../etc'");
  }

  @Test
  void decoratorsComposeOutermostLast() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("sudo").replyExit(0);

    fake.withSudo().inNetworkNamespace("n1").execute("iptables-save");

    assertThat(fake.argvs())
        .containsExactly(List.of("sudo", "-n", "--", "ip", "netns", "exec", "n1", "iptables-save"));
  }

  @Test
  void listenerSeesStartFinishAndFailure() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("ok").replyExit(0);
    fake.onArgv("down").replyFailure(new java.io.IOException("down"));
    List<String> events = new ArrayList<>();
    CommandExecutor listened =
        fake.withListener(
            new ExecutionListener() {
              @Override
              public void started(Command command) {
                events.add("start " + command.display());
              }

              @Override
              public void finished(ExecResult result) {
                events.add("finish " + result.exitCode().getAsInt());
              }

              @Override
              public void failed(Command command, Exception error) {
                events.add("fail " + error.getMessage());
              }
            });

    listened.execute("ok");
    assertThatThrownBy(() -> listened.execute("down")).isInstanceOf(java.io.IOException.class);

    assertThat(events).containsExactly("start ok", "finish 0", "start down", "fail down");
  }
}
