package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalExecutorTest {
  private final LocalExecutor local = LocalExecutor.create();

  @Test
  void reportsExitCodes() throws Exception {
    assertThat(local.execute("true").exitCode()).hasValue(0);
    assertThat(local.execute("sh", "-c", "exit 3").exitCode()).hasValue(3);
    assertThat(local.execute("sh", "-c", "exit 255").exitCode()).hasValue(255);
  }

  @Test
  void keepsStdoutAndStderrApart() throws Exception {
    ExecResult result = local.execute("sh", "-c", "echo out; echo err >&2");
    assertThat(result.stdoutUtf8()).isEqualTo("out\n");
    assertThat(result.stderrUtf8()).isEqualTo("err\n");
  }

  @Test
  void drainsLargeOutputOnBothStreamsAtOnce() throws Exception {
    int size = 50 * 1024 * 1024;
    ExecResult result =
        local.execute(
            "sh",
            "-c",
            "head -c " + size + " /dev/zero >&2 & head -c " + size + " /dev/zero; wait");
    assertThat(result.exitCode()).hasValue(0);
    assertThat(result.stdout()).hasSize(size);
    assertThat(result.stderr()).hasSize(size);
  }

  @Test
  void writesStdinAndClosesIt() throws Exception {
    byte[] input = new byte[3 * 1024 * 1024];
    new Random(7).nextBytes(input);
    ExecResult result = local.execute(Command.of("cat").withStdin(input));
    assertThat(result.stdout()).isEqualTo(input);
  }

  @Test
  void commandThatIgnoresStdinStillFinishes() throws Exception {
    byte[] input = new byte[8 * 1024 * 1024];
    ExecResult result = local.execute(Command.of("true").withStdin(input));
    assertThat(result.exitCode()).hasValue(0);
  }

  @Test
  void addsEnvironmentAndWorkingDirectory(@TempDir Path dir) throws Exception {
    ExecResult result =
        local.execute(
            Command.builder()
                .addArgv("sh", "-c", "printf '%s|' \"$OPSKIT_X\"; pwd -P")
                .putEnv("OPSKIT_X", "a b$c")
                .workingDirectory(dir.toString())
                .build());
    assertThat(result.stdoutUtf8()).isEqualTo("a b$c|" + dir.toRealPath() + "\n");
  }

  @Test
  void missingProgramIsAnIOException() {
    assertThatThrownBy(() -> local.execute("opskit-no-such-program-here"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void timeoutKillsTheWholeTreeAndSaysSo() throws Exception {
    ExecResult result =
        local.execute(
            Command.of("sh", "-c", "sleep 100 & echo $!; wait")
                .withTimeout(Duration.ofMillis(500)));

    assertThat(result.timedOut()).isTrue();
    assertThat(result.exitCode()).isEmpty();
    assertThat(result.exitSignal()).contains("KILL");
    long child = Long.parseLong(result.stdoutUtf8().strip());
    assertThat(isGone(child)).as("child %d of the timed-out command", child).isTrue();
  }

  @Test
  void interruptKillsTheCommand() throws Exception {
    CompletableFuture<Long> pid = new CompletableFuture<>();
    Thread runner =
        new Thread(
            () -> {
              try {
                local.execute("sh", "-c", "sleep 100");
                pid.completeExceptionally(new AssertionError("finished without interrupt"));
              } catch (InterruptedException e) {
                pid.complete(-1L);
              } catch (IOException e) {
                pid.completeExceptionally(e);
              }
            });
    runner.start();
    long sleeper = awaitChildOf(ProcessHandle.current().pid(), "sleep");
    runner.interrupt();
    assertThat(pid.get(10, TimeUnit.SECONDS)).isEqualTo(-1L);
    assertThat(isGone(sleeper)).isTrue();
  }

  @Test
  void backgroundChildHoldingThePipeDoesNotHangTheCaller() throws Exception {
    ExecResult result = local.execute("sh", "-c", "sleep 20 & echo $!");
    long child = Long.parseLong(result.stdoutUtf8().strip());
    ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
    assertThat(result.exitCode()).hasValue(0);
  }

  @Test
  void argumentsRoundTripByteForByte() throws Exception {
    Random random = new Random(20261126);
    for (int round = 0; round < 100; round++) {
      List<String> args = HostileStrings.randomArguments(random);
      List<String> argv = new ArrayList<>(List.of("printf", "%s\\0"));
      argv.addAll(args);
      ExecResult result = local.execute(argv);
      assertThat(splitOnNul(result.stdout())).as("round %d", round).isEqualTo(args);
    }
  }

  @Test
  void isSafeForConcurrentUse() throws Exception {
    List<CompletableFuture<String>> results = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      String word = "w" + i;
      results.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return local.execute("echo", word).stdoutUtf8();
                } catch (IOException | InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    for (int i = 0; i < results.size(); i++) {
      assertThat(results.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("w" + i + "\n");
    }
  }

  static List<String> splitOnNul(byte[] bytes) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == 0) {
        parts.add(new String(Arrays.copyOfRange(bytes, start, i), StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    return parts;
  }

  private static boolean isGone(long pid) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        Thread.sleep(50);
      } else {
        return true;
      }
    }
    return false;
  }

  private static long awaitChildOf(long parent, String command)
      throws InterruptedException, ExecutionException {
    for (int i = 0; i < 200; i++) {
      var found =
          ProcessHandle.of(parent)
              .orElseThrow()
              .descendants()
              .filter(p -> p.info().command().map(c -> c.endsWith("/" + command)).orElse(false))
              .findFirst();
      if (found.isPresent()) {
        return found.get().pid();
      }
      Thread.sleep(25);
    }
    throw new ExecutionException(new AssertionError("no child " + command + " appeared"));
  }
}
