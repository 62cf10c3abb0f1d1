package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Random;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code opskit exec} on this machine: streaming, stdin, timeout, exit codes and messages. */
@Timeout(120)
class ExecCliTest {

  @Test
  void pipedStdinReachesTheCommand() {
    CliRun run = CliRun.withStdin("X\n".getBytes(StandardCharsets.UTF_8), "exec", "--", "cat");
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out).isEqualTo("X\n");
  }

  @Test
  void binaryStdinAndOutputPassThroughUnchanged(@TempDir Path dir) throws Exception {
    byte[] input = new byte[3 * 1024 * 1024 + 1];
    new Random(1).nextBytes(input);
    Path file = dir.resolve("copy");
    CliRun copy =
        CliRun.withStdin(input, "exec", "--", "sh", "-c", "cat > \"$1\"", "sh", file.toString());
    assertThat(copy.exitCode).as(copy.toString()).isZero();
    assertThat(Files.readAllBytes(file)).isEqualTo(input);
    CliRun cat = CliRun.withStdin(input, "exec", "--", "cat");
    assertThat(cat.outBytes).isEqualTo(input);
  }

  @Test
  void stderrIsPassedOnApart() {
    CliRun run =
        CliRun.withStdin(new byte[0], "exec", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
    assertThat(run.exitCode).isEqualTo(3);
    assertThat(run.out).isEqualTo("out\n");
    assertThat(run.err).isEqualTo("err\n");
  }

  @Test
  void timeoutKillsTheCommandAndExits124WithOneLine() {
    CliRun run =
        CliRun.of("exec", "--timeout", "300ms", "--", "sh", "-c", "echo started; sleep 60");
    assertThat(run.exitCode).as(run.toString()).isEqualTo(ExecCommand.TIMED_OUT);
    assertThat(run.out).isEqualTo("started\n");
    assertThat(run.err.strip()).isEqualTo("opskit: `sh` timed out after 300ms and was killed");
  }

  @Test
  void commandKilledBySignalExitsWith128PlusTheSignal() {
    CliRun run = CliRun.of("exec", "--", "sh", "-c", "kill -TERM $$");
    assertThat(run.exitCode).isEqualTo(143);
  }

  @Test
  void badTimeoutIsUsage() {
    CliRun run = CliRun.of("exec", "--timeout", "soon", "--", "true");
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err).contains("soon").contains("30s");
    assertThat(CliRun.of("exec", "--timeout", "0s", "--", "true").exitCode).isEqualTo(2);
    assertThat(CliRun.of("exec", "--timeout", "PT0.5S", "--", "true").exitCode).isZero();
  }

  @Test
  void nonKeyIdentityIsUsageWithOneLine(@TempDir Path dir) throws Exception {
    Path notAKey = Files.writeString(dir.resolve("notes.txt"), "hello\nworld\n");
    CliRun run =
        CliRun.of(
            "exec",
            "--target",
            "ssh://ops@127.0.0.1:1",
            "--identity",
            notAKey.toString(),
            "--",
            "true");
    assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
    assertOneHumanLine(run.err);
    assertThat(run.err).contains("--identity").contains(notAKey.toString());
    CliRun missing =
        CliRun.of(
            "exec",
            "--target",
            "ssh://ops@127.0.0.1:1",
            "--identity",
            dir.resolve("missing").toString(),
            "--",
            "true");
    assertThat(missing.exitCode).isEqualTo(2);
    assertOneHumanLine(missing.err);
  }

  @Test
  void withoutIdentityAndNoDefaultKeysTheMessageNamesTheFlag(@TempDir Path home) throws Exception {
    Files.createDirectories(home.resolve(".ssh"));
    Files.writeString(home.resolve(".ssh/id_rsa"), "not a key\n");
    CliRun run = withHome(home, "exec", "--target", "ssh://ops@127.0.0.1:1", "--", "true");
    assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
    assertOneHumanLine(run.err);
    assertThat(run.err).contains("--identity").contains("id_rsa").doesNotContain("identityFile(");
  }

  @Test
  void missingNetnsIsOneLineAndUsage() {
    CliRun run = CliRun.of("exec", "--netns", "opskit-no-such-ns-4711", "--", "true");
    assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
    assertOneHumanLine(run.err);
    assertThat(run.err).contains("opskit-no-such-ns-4711").contains("does not exist");
    CliRun bad = CliRun.of("exec", "--netns", "../etc", "--", "true");
    assertThat(bad.exitCode).isEqualTo(2);
    assertOneHumanLine(bad.err);
  }

  @Test
  void unreachableTargetIsOneLineAndExitOne(@TempDir Path home) throws Exception {
    Files.createDirectories(home.resolve(".ssh"));
    writeNewKey(home.resolve(".ssh/id_ecdsa"));
    CliRun run = withHome(home, "exec", "--target", "ssh://ops@127.0.0.1:1", "--", "true");
    assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
    assertOneHumanLine(run.err);
    assertThat(run.err).contains("127.0.0.1:1").containsIgnoringCase("connection refused");
  }

  /** Writes a new, unencrypted ECDSA private key nobody authorizes, in OpenSSH format. */
  static void writeNewKey(Path file) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    KeyPair pair = generator.generateKeyPair();
    try (OutputStream out = Files.newOutputStream(file)) {
      new OpenSSHKeyPairResourceWriter().writePrivateKey(pair, "opskit-test", null, out);
    }
  }

  static CliRun withHome(Path home, String... args) {
    String saved = System.getProperty("user.home");
    System.setProperty("user.home", home.toString());
    try {
      return CliRun.of(args);
    } finally {
      System.setProperty("user.home", saved);
    }
  }

  static void assertOneHumanLine(String err) {
    assertThat(err).startsWith("opskit: ").endsWith("\n");
    assertThat(err.strip()).doesNotContain("\n");
    assertThat(err)
        .doesNotContainPattern("\\b(java|javax|org|io)\\.[a-z]+\\.")
        .doesNotContain("Exception");
  }
}
