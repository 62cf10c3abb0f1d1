package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshdServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code opskit exec} as a separate process, locally and against a real OpenSSH sshd: signals,
 * stdin and output streamed in bounded memory, default keys, and one-line errors.
 */
@Privileged(tools = {"sshd", "ssh-keygen"})
@Timeout(300)
class ExecCliIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String LINE = "0123456789abcdefghijklmnopqrstuvwxyz";

  @TempDir static Path dir;
  private static SshdServer sshd;

  @BeforeAll
  static void startServer() throws Exception {
    sshd = SshdServer.start(dir.resolve("sshd"));
  }

  @AfterAll
  static void stopServer() {
    if (sshd != null) {
      sshd.close();
    }
  }

  private static List<String> ssh() {
    return List.of(
        "--target",
        "ssh://" + sshd.target().user() + "@127.0.0.1:" + sshd.port(),
        "--identity",
        sshd.clientKey().toString(),
        "--known-hosts",
        sshd.knownHosts().toString());
  }

  @Test
  void sigtermKillsTheLocalProcessTree() throws Exception {
    assertSigtermKillsTheCommand(List.of(), "local");
  }

  @Test
  void sigtermKillsTheRemoteProcessGroup() throws Exception {
    assertSigtermKillsTheCommand(ssh(), "ssh");
  }

  private void assertSigtermKillsTheCommand(List<String> target, String name) throws Exception {
    Path parent = dir.resolve(name + "-parent.pid");
    Path child = dir.resolve(name + "-child.pid");
    List<String> args = new ArrayList<>(List.of("exec"));
    args.addAll(target);
    args.addAll(
        List.of(
            "--",
            "sh",
            "-c",
            "sleep 1000 & echo $! > \"$1\"; echo $$ > \"$2\"; wait",
            "sh",
            child.toString(),
            parent.toString()));
    Process cli = cli(List.of(), args).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    try {
      long parentPid = awaitPid(parent, cli);
      long childPid = awaitPid(child, cli);
      assertThat(isRunning(parentPid)).isTrue();

      cli.destroy(); // SIGTERM to the CLI's JVM only, by PID

      assertThat(cli.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(cli.exitValue()).isEqualTo(143);
      assertGone(parentPid);
      assertGone(childPid);
    } finally {
      cli.destroyForcibly();
    }
  }

  @Test
  void pipedStdinReachesALocalAndARemoteCommand() throws Exception {
    for (List<String> target : List.of(List.<String>of(), ssh())) {
      List<String> args = new ArrayList<>(List.of("exec"));
      args.addAll(target);
      args.addAll(List.of("--", "cat"));
      Path input = Files.writeString(dir.resolve("x.txt"), "X\n");
      Process cli = cli(List.of(), args).redirectInput(input.toFile()).start();
      CompletableFuture<byte[]> out = readAll(cli.getInputStream());
      assertThat(cli.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(new String(out.get(), StandardCharsets.UTF_8)).as("%s", target).isEqualTo("X\n");
      assertThat(cli.exitValue()).isZero();
    }
  }

  @Test
  void redirectedStdinWritesTheWholeFileRemotely() throws Exception {
    byte[] content = new byte[9 * 1024 * 1024 + 7];
    new Random(13).nextBytes(content);
    Path source = Files.write(dir.resolve("source.bin"), content);
    Path remote = dir.resolve("remote-copy.bin");
    List<String> args = new ArrayList<>(List.of("exec"));
    args.addAll(ssh());
    args.addAll(List.of("--", "sh", "-c", "cat > \"$1\"", "sh", remote.toString()));
    Process cli = cli(List.of(), args).redirectInput(source.toFile()).start();
    CompletableFuture<byte[]> err = readAll(cli.getErrorStream());
    assertThat(cli.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(cli.exitValue()).as(new String(err.get(), StandardCharsets.UTF_8)).isZero();
    assertThat(Arrays.equals(Files.readAllBytes(remote), content)).isTrue();
  }

  @Test
  void outputFarLargerThanTheHeapStreamsThrough() throws Exception {
    long size = 400L * 1024 * 1024;
    for (List<String> target : List.of(List.<String>of(), ssh())) {
      List<String> args = new ArrayList<>(List.of("exec"));
      args.addAll(target);
      args.addAll(List.of("--", "sh", "-c", "yes " + LINE + " | head -c " + size));
      Process cli = cli(List.of("-Xmx48m"), args).start();
      CompletableFuture<byte[]> err = readAll(cli.getErrorStream());
      CRC32 crc = new CRC32();
      long count = 0;
      byte[] buffer = new byte[65536];
      try (InputStream in = cli.getInputStream()) {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          crc.update(buffer, 0, n);
          count += n;
        }
      }
      assertThat(cli.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(cli.exitValue()).as(new String(err.get(), StandardCharsets.UTF_8)).isZero();
      assertThat(count).as("%s", target).isEqualTo(size);
      assertThat(crc.getValue()).isEqualTo(expectedCrc(size));
    }
  }

  @Test
  void defaultKeysAreTriedInOrderAsSshDoes() throws Exception {
    Path home = Files.createDirectories(dir.resolve("home-default-keys"));
    Path ssh = Files.createDirectories(home.resolve(".ssh"));
    Files.writeString(ssh.resolve("id_ed25519"), "not a key\n");
    Path rsa = sshd.newKey("rsa");
    sshd.authorize(SshdServer.publicKeyOf(rsa));
    Files.copy(rsa, ssh.resolve("id_rsa"));
    CliRun run =
        ExecCliTest.withHome(
            home,
            "exec",
            "--target",
            "ssh://" + sshd.target().user() + "@127.0.0.1:" + sshd.port(),
            "--known-hosts",
            sshd.knownHosts().toString(),
            "--",
            "echo",
            "in");
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out).isEqualTo("in\n");
  }

  @Test
  void remoteErrorsAreOneLineWithTheRightStatus() throws Exception {
    List<String> missingNs = new ArrayList<>(List.of("exec"));
    missingNs.addAll(ssh());
    missingNs.addAll(List.of("--netns", "opskit-test-none", "--", "true"));
    CliRun netns = CliRun.of(missingNs.toArray(new String[0]));
    assertThat(netns.exitCode).as(netns.toString()).isEqualTo(2);
    ExecCliTest.assertOneHumanLine(netns.err);
    assertThat(netns.err).contains("opskit-test-none").contains("127.0.0.1");

    Path empty = Files.writeString(dir.resolve("known_hosts_empty"), "");
    CliRun unknown =
        CliRun.of(
            "exec",
            "--target",
            "ssh://" + sshd.target().user() + "@127.0.0.1:" + sshd.port(),
            "--identity",
            sshd.clientKey().toString(),
            "--known-hosts",
            empty.toString(),
            "--",
            "true");
    assertThat(unknown.exitCode).as(unknown.toString()).isEqualTo(1);
    ExecCliTest.assertOneHumanLine(unknown.err);
    assertThat(unknown.err).contains(sshd.hostKeyFingerprint());
  }

  /** The CLI as its own JVM, on this test's class path. */
  private static ProcessBuilder cli(List<String> jvmOptions, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
    command.add(OpskitCli.class.getName());
    command.addAll(args);
    return new ProcessBuilder(command);
  }

  private static CompletableFuture<byte[]> readAll(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return in.readAllBytes();
          } catch (IOException e) {
            return new byte[0];
          }
        });
  }

  private static long awaitPid(Path file, Process cli) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline && cli.isAlive()) {
      if (Files.exists(file)) {
        String text = Files.readString(file).strip();
        if (!text.isEmpty()) {
          return Long.parseLong(text);
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        file
            + " never got a PID; CLI said: "
            + new String(cli.getErrorStream().readNBytes(4096), StandardCharsets.UTF_8));
  }

  private static long expectedCrc(long size) {
    byte[] line = (LINE + "\n").getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    long left = size;
    while (left > 0) {
      int n = (int) Math.min(left, line.length);
      crc.update(line, 0, n);
      left -= n;
    }
    return crc.getValue();
  }

  /** Waits (bounded) until the process is gone, then asserts it is. */
  private static void assertGone(long pid) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (isRunning(pid) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(isRunning(pid)).as("process %s is still running", pid).isFalse();
  }

  /** True unless the process is gone or a zombie (dead, waiting for its parent to reap it). */
  private static boolean isRunning(long pid) {
    try {
      String text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = text.charAt(text.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }
}
