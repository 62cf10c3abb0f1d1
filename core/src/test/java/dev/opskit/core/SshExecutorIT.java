package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshdServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link SshExecutor} against a real OpenSSH sshd started by the test on loopback. */
@Privileged(tools = {"sshd", "ssh-keygen"})
@Timeout(120)
class SshExecutorIT {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir static Path dir;
  private static SshdServer sshd;
  private static SshExecutor ssh;

  @BeforeAll
  static void startServer() throws Exception {
    sshd = SshdServer.start(dir.resolve("sshd"));
    ssh = sshd.executor();
  }

  @AfterAll
  static void stopServer() {
    if (ssh != null) {
      ssh.close();
    }
    if (sshd != null) {
      sshd.close();
    }
  }

  @Test
  void hostileArgumentsRoundTripByteForByte() throws Exception {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    for (int i = 0; i < 300; i++) {
      List<String> args = new ArrayList<>(List.of("start"));
      args.addAll(SshQuotingTest.hostileArguments(random));
      Command command = Command.builder().addArgv("printf", "%s\\0").addAllArgv(args).build();
      ExecResult result = ssh.execute(command);
      assertThat(result.exitCode()).as("seed %s: %s", seed, command).hasValue(0);
      assertThat(result.stdout())
          .as("seed %s: %s", seed, command)
          .isEqualTo(SshQuotingTest.nulTerminated(args));
      assertThat(result.stderr()).as("seed %s: %s", seed, command).isEmpty();
    }
  }

  @Test
  void reportsExitCodesAndSignals() throws Exception {
    assertThat(ssh.execute("true").exitCode()).hasValue(0);
    assertThat(ssh.execute("false").exitCode()).hasValue(1);
    assertThat(ssh.execute("sh", "-c", "exit 42").exitCode()).hasValue(42);
    assertThat(ssh.execute("no-such-program-opskit").exitCode()).hasValue(127);
    ExecResult killed = ssh.execute("sh", "-c", "kill -TERM $$");
    assertThat(killed.exitCode()).isEmpty();
    assertThat(killed.exitSignal()).hasValue("TERM");
    assertThat(killed.isSuccess()).isFalse();
  }

  @Test
  void keepsStdoutAndStderrApart() throws Exception {
    ExecResult result = ssh.execute("sh", "-c", "echo out; echo err >&2; echo out2; echo err2 >&2");
    assertThat(result.stdoutUtf8()).isEqualTo("out\nout2\n");
    assertThat(result.stderrUtf8()).isEqualTo("err\nerr2\n");
  }

  @Test
  void carriesLargeOutputOnBothStreams() throws Exception {
    ExecResult result =
        ssh.execute(
            "sh", "-c", "head -c 5000000 /dev/zero; head -c 3000000 /dev/zero >&2; echo done");
    assertThat(result.stdout()).hasSize(5_000_005);
    assertThat(result.stderr()).hasSize(3_000_000);
  }

  @Test
  void sendsStdinThenEndOfFile() throws Exception {
    byte[] input = new byte[3_000_000];
    new Random(7).nextBytes(input);
    ExecResult result = ssh.execute(Command.of("cat").withStdin(input));
    assertThat(result.stdout()).isEqualTo(input);
    assertThat(ssh.execute(Command.of("cat")).stdout()).isEmpty();
    assertThat(ssh.execute(Command.of("wc", "-c").withStdin("héllo")).stdoutUtf8().strip())
        .isEqualTo("6");
  }

  @Test
  void streamsOutputFarBeyondTheCapAndTakesOutThePidReport() throws Exception {
    long size = 64L * 1024 * 1024;
    Command command =
        Command.of(
                "sh",
                "-c",
                "echo err >&2; head -c " + size + " /dev/urandom | tee /dev/stderr | cksum")
            .withMaxOutputBytes(1024);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StreamingTest.CountingSink err = new StreamingTest.CountingSink();

    ExecResult result = ssh.execute(command, out, err);

    assertThat(result.exitCode()).hasValue(0);
    assertThat(result.stdout()).isEmpty();
    assertThat(result.stderr()).isEmpty();
    assertThat(err.count).isEqualTo(4 + size);
    String[] cksum = out.toString(StandardCharsets.US_ASCII).strip().split(" ");
    assertThat(Long.parseLong(cksum[1])).isEqualTo(size);
  }

  @Test
  void bufferedOutputOverTheCapIsCutAndFlagged() throws Exception {
    ExecResult result =
        ssh.execute(
            Command.of("sh", "-c", "head -c 300000 /dev/zero; echo e >&2")
                .withMaxOutputBytes(100_000));
    assertThat(result.stdout()).hasSize(100_000);
    assertThat(result.stdoutTruncated()).isTrue();
    assertThat(result.stderrUtf8()).isEqualTo("e\n");
    assertThat(result.isSuccess()).isFalse();
  }

  @Test
  void streamsStdinThenEndOfFileSoARemoteFileIsWrittenWhole() throws Exception {
    Path file = dir.resolve("streamed-stdin");
    byte[] input = new byte[12 * 1024 * 1024 + 5];
    new Random(9).nextBytes(input);
    ExecResult result =
        ssh.execute(
            Command.of("sh", "-c", "cat > \"$1\"", "sh", file.toString()).withStdin("first:"),
            new ByteArrayInputStream(input),
            OutputStream.nullOutputStream(),
            OutputStream.nullOutputStream());
    assertThat(result.exitCode()).hasValue(0);
    byte[] written = Files.readAllBytes(file);
    assertThat(Arrays.copyOfRange(written, 0, 6))
        .isEqualTo("first:".getBytes(StandardCharsets.UTF_8));
    assertThat(Arrays.copyOfRange(written, 6, written.length)).isEqualTo(input);
  }

  @Test
  void failingSinkKillsTheRemoteCommand() throws Exception {
    Path pidFile = dir.resolve("sink.pid");
    OutputStream broken =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("Broken pipe");
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            throw new IOException("Broken pipe");
          }
        };
    Command command =
        Command.of(
            "sh",
            "-c",
            "echo $$ > \"$1\"; while :; do echo y; sleep 0.01; done",
            "sh",
            pidFile.toString());
    assertThatThrownBy(() -> ssh.execute(command, broken, OutputStream.nullOutputStream()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Broken pipe");
    assertGone(pidIn(pidFile));
    assertThat(ssh.execute("true").isSuccess()).isTrue();
  }

  @Test
  void setsEnvironmentAndWorkingDirectory() throws Exception {
    Path work = Files.createDirectories(dir.resolve("work $(id) 'q' \"d\" é\nx"));
    String value = "v'\"$HOME`id`\n~:~ é\\";
    Command command =
        Command.builder()
            .addArgv("sh", "-c", "printf '%s|%s' \"$OPSKIT_V\" \"$(pwd -P)\"")
            .putEnv("OPSKIT_V", value)
            .workingDirectory(work.toString())
            .build();
    assertThat(ssh.execute(command).stdoutUtf8()).isEqualTo(value + "|" + work.toRealPath());
    ExecResult missing =
        ssh.execute(Command.builder().addArgv("true").workingDirectory(dir + "/missing").build());
    assertThat(missing.isSuccess()).isFalse();
  }

  @Test
  void timeoutKillsTheRemoteCommandAndItsChildren() throws Exception {
    Path parent = dir.resolve("timeout-parent.pid");
    Path child = dir.resolve("timeout-child.pid");
    Command command =
        Command.of(
                "sh",
                "-c",
                "sleep 1000 & echo $! > \"$1\"; echo $$ > \"$2\"; echo started; wait",
                "sh",
                child.toString(),
                parent.toString())
            .withTimeout(Duration.ofSeconds(2));
    ExecResult result = ssh.execute(command);
    assertThat(result.timedOut()).isTrue();
    assertThat(result.exitCode()).isEmpty();
    assertThat(result.exitSignal()).hasValue("KILL");
    assertThat(result.stdoutUtf8()).isEqualTo("started\n");
    assertThat(result.stderr()).isEmpty();
    assertGone(pidIn(parent));
    assertGone(pidIn(child));
    assertThat(ssh.execute("true").isSuccess()).isTrue();
  }

  @Test
  void interruptKillsTheRemoteCommand() throws Exception {
    Path pidFile = dir.resolve("interrupt.pid");
    Command command =
        Command.of("sh", "-c", "echo $$ > \"$1\"; sleep 1000", "sh", pidFile.toString());
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread runner =
        new Thread(
            () -> {
              try {
                ssh.execute(command);
              } catch (Throwable e) {
                thrown.set(e);
              }
            });
    runner.start();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!(Files.exists(pidFile) && Files.size(pidFile) > 0) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    long pid = pidIn(pidFile);
    runner.interrupt();
    runner.join(WAIT.toMillis());
    assertThat(runner.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    assertGone(pid);
  }

  @Test
  void refusesAnUnknownHostKeyNamingHostAndFingerprint() throws Exception {
    Path empty = Files.writeString(dir.resolve("known_hosts_empty"), "");
    try (SshExecutor strict = sshd.executorBuilder().knownHosts(empty).build()) {
      assertThatThrownBy(() -> strict.execute("true"))
          .isInstanceOfSatisfying(
              SshHostKeyException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(SshHostKeyException.Reason.UNKNOWN);
                assertThat(e.fingerprint()).isEqualTo(sshd.hostKeyFingerprint());
                assertThat(e.keyType()).isEqualTo("ssh-ed25519");
                assertThat(e.getMessage())
                    .contains("127.0.0.1:" + sshd.port())
                    .contains(sshd.hostKeyFingerprint())
                    .contains("unknown");
              });
    }
    Path missing = dir.resolve("no-such-known-hosts");
    try (SshExecutor strict = sshd.executorBuilder().knownHosts(missing).build()) {
      assertThatThrownBy(() -> strict.execute("true")).isInstanceOf(SshHostKeyException.class);
    }
    assertThat(Files.exists(missing)).isFalse();
    assertThat(Files.readString(empty)).isEmpty();
  }

  @Test
  void refusesAChangedHostKey() throws Exception {
    Path other = sshd.newKey("ed25519");
    String otherLine = Files.readString(SshdServer.publicKeyOf(other));
    Path knownHosts =
        Files.writeString(dir.resolve("known_hosts_changed"), sshd.knownHostsLine(otherLine));
    try (SshExecutor strict = sshd.executorBuilder().knownHosts(knownHosts).build()) {
      assertThatThrownBy(() -> strict.execute("true"))
          .isInstanceOfSatisfying(
              SshHostKeyException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(SshHostKeyException.Reason.CHANGED);
                assertThat(e.fingerprint()).isEqualTo(sshd.hostKeyFingerprint());
                assertThat(e.knownFingerprint())
                    .hasValue(SshdServer.fingerprint(SshdServer.publicKeyOf(other)));
                assertThat(e.getMessage())
                    .contains("127.0.0.1:" + sshd.port())
                    .contains(sshd.hostKeyFingerprint())
                    .contains("CHANGED");
              });
    }
    assertThat(Files.readString(knownHosts)).isEqualTo(sshd.knownHostsLine(otherLine));
  }

  @Test
  void acceptsAnyHostKeyOnlyWhenToldTo() throws Exception {
    Path empty = Files.writeString(dir.resolve("known_hosts_any"), "");
    try (SshExecutor insecure =
        sshd.executorBuilder().knownHosts(empty).insecureAcceptAnyHostKey().build()) {
      assertThat(insecure.execute("true").isSuccess()).isTrue();
    }
  }

  @Test
  void refusesAKeyTheServerDoesNotAuthorize() throws Exception {
    Path stranger = sshd.newKey("ed25519");
    try (SshExecutor wrong =
        SshExecutor.builder(sshd.target())
            .identityFile(stranger)
            .knownHosts(sshd.knownHosts())
            .build()) {
      assertThatThrownBy(() -> wrong.execute("true"))
          .isInstanceOf(java.io.IOException.class)
          .isNotInstanceOf(SshHostKeyException.class)
          .hasMessageContaining("authentication")
          .hasMessageContaining(stranger.toString());
      assertThatThrownBy(wrong::connect)
          .isInstanceOf(java.io.IOException.class)
          .hasMessageContaining("authentication");
    }
  }

  @Test
  void logsInWithAnRsaKey() throws Exception {
    Path rsa = sshd.newKey("rsa");
    sshd.authorize(SshdServer.publicKeyOf(rsa));
    try (SshExecutor withRsa =
        SshExecutor.builder(sshd.target())
            .identityFile(rsa)
            .knownHosts(sshd.knownHosts())
            .build()) {
      assertThat(withRsa.execute("echo", "rsa").stdoutUtf8()).isEqualTo("rsa\n");
    }
  }

  @Test
  void connectLogsInOnceWithoutRunningAnythingAndCommandsReuseIt() throws Exception {
    int loginsBefore = sshd.acceptedLogins();
    SshExecutor fresh = sshd.executor();
    try {
      fresh.connect();
      assertThat(sshd.acceptedLogins() - loginsBefore).isEqualTo(1);
      assertThat(sshd.connectionProcesses())
          .as("no shell runs for a connection alone")
          .noneMatch(p -> p.info().command().orElse("").matches(".*/(ba|da)?sh"));
      fresh.connect();
      assertThat(fresh.execute("echo", "warm").stdoutUtf8()).isEqualTo("warm\n");
      assertThat(sshd.acceptedLogins() - loginsBefore).isEqualTo(1);
    } finally {
      fresh.close();
    }
    assertThatThrownBy(fresh::connect).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void reusesOneConnectionForManyCommands() throws Exception {
    int loginsBefore = sshd.acceptedLogins();
    Set<String> connectionProcesses = new HashSet<>();
    try (SshExecutor fresh = sshd.executor()) {
      for (int i = 0; i < 100; i++) {
        ExecResult result = fresh.execute("sh", "-c", "echo $PPID");
        connectionProcesses.add(result.requireSuccess().stdoutUtf8().strip());
      }
    }
    assertThat(sshd.acceptedLogins() - loginsBefore).isEqualTo(1);
    assertThat(connectionProcesses).hasSize(1);
  }

  @Test
  void runsCommandsFromManyThreadsAtOnce() throws Exception {
    int loginsBefore = sshd.acceptedLogins();
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try (SshExecutor shared = sshd.executor()) {
      List<Future<Integer>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        workers.add(
            threads.submit(
                () -> {
                  int ok = 0;
                  for (int i = 0; i < 50; i++) {
                    String word = "t" + thread + "-" + i + " $x'";
                    ExecResult result =
                        shared.execute(
                            Command.builder()
                                .addArgv(
                                    "sh", "-c", "printf %s \"$1\"; printf %s \"$1\" >&2; exit $2")
                                .addArgv("sh", word, Integer.toString(i % 7))
                                .build());
                    assertThat(result.stdoutUtf8()).isEqualTo(word);
                    assertThat(result.stderrUtf8()).isEqualTo(word);
                    assertThat(result.exitCode()).hasValue(i % 7);
                    ok++;
                  }
                  return ok;
                }));
      }
      for (Future<Integer> worker : workers) {
        try {
          assertThat(worker.get()).isEqualTo(50);
        } catch (Exception e) {
          System.err.println("sshd log:\n" + sshd.log());
          throw e;
        }
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(sshd.acceptedLogins() - loginsBefore).isEqualTo(1);
  }

  @Test
  void reconnectsAfterTheConnectionDrops() throws Exception {
    int loginsBefore = sshd.acceptedLogins();
    try (SshExecutor fresh = sshd.executor()) {
      String first = fresh.execute("sh", "-c", "echo $PPID").requireSuccess().stdoutUtf8();
      sshd.dropConnections();
      String second = fresh.execute("sh", "-c", "echo $PPID").requireSuccess().stdoutUtf8();
      assertThat(second).isNotEqualTo(first);
      assertThat(fresh.execute("true").isSuccess()).isTrue();
    }
    assertThat(sshd.acceptedLogins() - loginsBefore).isEqualTo(2);
  }

  @Test
  void closeReleasesTheConnectionAndRefusesFurtherCommands() throws Exception {
    SshExecutor fresh = sshd.executor();
    String connection = fresh.execute("sh", "-c", "echo $PPID").stdoutUtf8().strip();
    long pid = Long.parseLong(connection);
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).hasValue(true);
    fresh.close();
    fresh.close();
    assertGone(pid);
    assertThatThrownBy(() -> fresh.execute("true")).isInstanceOf(IllegalStateException.class);
  }

  private static long pidIn(Path file) throws Exception {
    return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip());
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
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    try {
      String text = Files.readString(stat);
      String state = text.substring(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
      return !state.equals("Z") && !state.equals("X");
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
