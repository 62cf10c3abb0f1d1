package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SshExecutor} against MINA's in-process SSH server scripted to misbehave: every transport
 * failure must surface as an {@link IOException}, promptly, never as a hang. Also covers password
 * authentication, which the OpenSSH fixture cannot offer without PAM.
 */
@Timeout(60)
class SshExecutorFaultIT {
  private static final String USER = "ops";
  private static final String PASSWORD = "s3cret pass'word";

  @TempDir Path dir;
  private SshServer server;
  private Path knownHosts;

  @BeforeEach
  void startServer() throws Exception {
    server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(0);
    SimpleGeneratorHostKeyProvider hostKeys =
        new SimpleGeneratorHostKeyProvider(dir.resolve("host.key"));
    server.setKeyPairProvider(hostKeys);
    server.setPasswordAuthenticator(
        (user, password, session) -> USER.equals(user) && PASSWORD.equals(password));
    server.setCommandFactory((channel, line) -> new ScriptedCommand(line));
    server.start();
    KeyPair hostKey = hostKeys.loadKeys(null).iterator().next();
    knownHosts =
        Files.writeString(
            dir.resolve("known_hosts"),
            "[127.0.0.1]:"
                + server.getPort()
                + " "
                + PublicKeyEntry.toString(hostKey.getPublic())
                + "\n");
  }

  @AfterEach
  void stopServer() throws IOException {
    server.stop(true);
  }

  private SshExecutor.Builder executor() {
    return SshExecutor.builder(SshTarget.of(USER, "127.0.0.1", server.getPort()))
        .password(PASSWORD)
        .knownHosts(knownHosts);
  }

  @Test
  void logsInWithAPasswordAndSendsTheQuotedCommand() throws Exception {
    try (SshExecutor ssh = executor().build()) {
      ExecResult result = ssh.execute("echo-line", "a b", "it's");
      assertThat(result.exitCode()).hasValue(0);
      assertThat(result.stdoutUtf8()).endsWith("exec echo-line 'a b' 'it'\"'\"'s'");
    }
  }

  @Test
  void wrongPasswordIsAnIoExceptionNamingTheTarget() {
    try (SshExecutor ssh = executor().password("wrong").build()) {
      assertThatThrownBy(() -> ssh.execute("echo-line"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("authentication")
          .hasMessageContaining("127.0.0.1:" + server.getPort())
          .hasMessageNotContaining("wrong");
    }
  }

  @Test
  void serverDroppingTheConnectionMidCommandIsAnIoExceptionThenReconnects() throws Exception {
    try (SshExecutor ssh = executor().build()) {
      assertThatThrownBy(() -> ssh.execute("drop-session"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("drop-session");
      assertThat(ssh.execute("echo-line").exitCode()).hasValue(0);
    }
  }

  @Test
  void channelClosedWithoutAnExitStatusIsAnIoException() throws Exception {
    try (SshExecutor ssh = executor().build()) {
      assertThatThrownBy(() -> ssh.execute("close-channel"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("exit status");
      assertThat(ssh.execute("echo-line").exitCode()).hasValue(0);
    }
  }

  @Test
  void serverDyingMidCommandIsAnIoException() throws Exception {
    try (SshExecutor ssh = executor().build()) {
      assertThat(ssh.execute("echo-line").exitCode()).hasValue(0);
      Thread stopper =
          new Thread(
              () -> {
                try {
                  Thread.sleep(300);
                  server.stop(true);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      stopper.start();
      assertThatThrownBy(() -> ssh.execute("hang")).isInstanceOf(IOException.class);
      stopper.join();
      assertThatThrownBy(() -> ssh.execute("echo-line")).isInstanceOf(IOException.class);
    }
  }

  @Test
  void timeoutOfACommandThatNeverReportsItsPidStillReturns() throws Exception {
    try (SshExecutor ssh = executor().build()) {
      ExecResult result = ssh.execute(Command.of("hang").withTimeout(Duration.ofMillis(300)));
      assertThat(result.timedOut()).isTrue();
      assertThat(result.exitCode()).isEmpty();
      assertThat(ssh.execute("echo-line").exitCode()).hasValue(0);
    }
  }

  @Test
  void builderCommandTimeoutAppliesToCommandsWithoutOne() throws Exception {
    try (SshExecutor ssh = executor().commandTimeout(Duration.ofMillis(300)).build()) {
      assertThat(ssh.execute("hang").timedOut()).isTrue();
    }
  }

  @Test
  void serverThatNeverSpeaksSshIsAnIoExceptionAfterTheAuthTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        SshExecutor ssh =
            SshExecutor.builder(SshTarget.of(USER, "127.0.0.1", silent.getLocalPort()))
                .password(PASSWORD)
                .knownHosts(knownHosts)
                .authTimeout(Duration.ofSeconds(1))
                .build()) {
      assertThatThrownBy(() -> ssh.execute("true"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("127.0.0.1:" + silent.getLocalPort());
    }
  }

  @Test
  void nothingListeningIsAnIoException() throws Exception {
    int port;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = closed.getLocalPort();
    }
    try (SshExecutor ssh =
        SshExecutor.builder(SshTarget.of(USER, "127.0.0.1", port))
            .password(PASSWORD)
            .knownHosts(knownHosts)
            .build()) {
      assertThatThrownBy(() -> ssh.execute("true"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("127.0.0.1:" + port);
    }
  }

  @Test
  void builderRejectsMisuse() throws IOException {
    SshExecutor.Builder builder = SshExecutor.builder(SshTarget.of(USER, "127.0.0.1"));
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no credentials");
    assertThatThrownBy(() -> builder.identityFile(dir.resolve("missing")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
    Path notAKey = Files.writeString(dir.resolve("not-a-key"), "hello\n");
    assertThatThrownBy(() -> builder.identityFile(notAKey))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(notAKey.toString())
        .hasMessageContaining("no usable private key");
    assertThatThrownBy(() -> builder.maxConcurrentCommands(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.commandTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Behaves according to the command line: {@code echo-line} prints the exec string and exits 0;
   * {@code drop-session} prints a little, then closes the whole connection; {@code close-channel}
   * closes the channel without an exit status; {@code hang} never finishes.
   */
  private static final class ScriptedCommand implements org.apache.sshd.server.command.Command {
    private final String line;
    private OutputStream out;
    private ExitCallback exit;

    ScriptedCommand(String line) {
      this.line = line;
    }

    @Override
    public void setInputStream(InputStream in) {}

    @Override
    public void setOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {}

    @Override
    public void setExitCallback(ExitCallback callback) {
      this.exit = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) throws IOException {
      if (line.contains("exec echo-line")) {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.flush();
        exit.onExit(0);
      } else if (line.contains("exec drop-session")) {
        out.write("partial".getBytes(StandardCharsets.UTF_8));
        out.flush();
        later(() -> channel.getSession().close(true));
      } else if (line.contains("exec close-channel")) {
        later(() -> channel.close(false));
      } else if (!line.contains("exec hang")) {
        exit.onExit(2, "unknown command");
      }
    }

    private static void later(Runnable action) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  Thread.sleep(200);
                } catch (InterruptedException e) {
                  return;
                }
                action.run();
              });
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void destroy(ChannelSession channel) {}
  }
}
