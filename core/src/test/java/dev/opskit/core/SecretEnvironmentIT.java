package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshdServer;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secret in a command's environment reaches the program through every decorator and transport
 * (real sudo, a real network namespace, a real OpenSSH sshd), and nothing observable shows it: not
 * the argv of any process on the machine while the program runs ({@code /proc/PID/cmdline}, what
 * {@code ps} shows), not what listeners outside and inside the decorators see, not {@code
 * toString()}, not the sshd log.
 */
@Privileged(tools = {"sudo", "ip", "sshd", "ssh-keygen"})
@Timeout(120)
class SecretEnvironmentIT {
  /** Prints the secret as the program sees it, then every process's argv, then its own stdin. */
  private static final String PROGRAM =
      "printf 'seen:%s|%s\\n' \"$OPSKIT_SECRET\" \"$OPSKIT_SECOND\";"
          + " for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < \"$f\"; echo; done 2>/dev/null;"
          + " cat";

  @TempDir static Path dir;
  private static SshdServer sshd;
  private static SshExecutor ssh;
  private static TestNetworks networks;
  private static String namespace;

  private final LocalExecutor local = LocalExecutor.create();
  private final String secret = "s3cret-" + UUID.randomUUID();

  @BeforeAll
  static void start() throws Exception {
    sshd = SshdServer.start(dir.resolve("sshd"));
    ssh = sshd.executor();
    networks = TestNetworks.create();
    namespace = networks.namespace("secret");
  }

  @AfterAll
  static void stop() {
    if (ssh != null) {
      ssh.close();
    }
    if (sshd != null) {
      sshd.close();
    }
    if (networks != null) {
      networks.close();
    }
  }

  @Test
  void underSudo() throws Exception {
    assertSecretStaysSecret(local, CommandExecutor::withSudo);
  }

  @Test
  void underSudoWithAPassword() throws Exception {
    assertSecretStaysSecret(local, e -> SudoExecutor.withPassword(e, "unused".toCharArray()));
  }

  @Test
  void underSudoInANetworkNamespace() throws Exception {
    assertSecretStaysSecret(local, e -> e.withSudo().inNetworkNamespace(namespace));
    assertSecretStaysSecret(local, e -> e.inNetworkNamespace(namespace).withSudo());
  }

  @Test
  void overSsh() throws Exception {
    assertSecretStaysSecret(ssh, UnaryOperator.identity());
    assertSecretStaysSecret(ssh, e -> e.inNetworkNamespace(namespace));
  }

  @Test
  void underSudoOverSsh() throws Exception {
    assertSecretStaysSecret(ssh, CommandExecutor::withSudo);
    assertSecretStaysSecret(ssh, e -> e.withSudo().inNetworkNamespace(namespace));
  }

  private void assertSecretStaysSecret(
      CommandExecutor transport, UnaryOperator<CommandExecutor> decorators) throws Exception {
    List<Object> heard = new CopyOnWriteArrayList<>();
    ExecutionListener recorder =
        new ExecutionListener() {
          @Override
          public void started(Command command) {
            heard.add(command);
            heard.add(command.argv());
          }

          @Override
          public void finished(ExecResult result) {
            heard.add(result);
          }
        };
    CommandExecutor executor =
        decorators.apply(transport.withListener(recorder)).withListener(recorder);
    String second = "line one\nline 'two' \\ $HOME";
    Command command =
        Command.builder()
            .addArgv("sh", "-c", PROGRAM)
            .putAllEnv(Map.of("OPSKIT_SECRET", secret, "OPSKIT_SECOND", second))
            .timeout(Duration.ofSeconds(60))
            .build()
            .withStdin("own stdin\n");

    ExecResult result = executor.execute(command);

    String out = result.requireSuccess().stdoutUtf8();
    String context = executor.toString();
    assertThat(out).as(context).startsWith("seen:" + secret + "|" + second + "\n");
    assertThat(out).as(context).endsWith("\nown stdin\n");
    assertThat(out.split(secret, -1)).as("%s: the secret in a process's argv", context).hasSize(2);
    assertThat(heard).as(context).hasSize(6);
    for (Object shown : List.of(heard, command, result, executor, sshd.log())) {
      assertThat(shown.toString()).as(context).doesNotContain(secret);
    }
  }
}
