package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Streaming output and input, and the cap on buffered output. */
@Timeout(120)
class StreamingTest {
  private static final String LINE = "0123456789abcdefghijklmnopqrstuvwxyz\n";
  private final LocalExecutor local = LocalExecutor.create();

  @Test
  void streamsOutputFarBeyondTheCapToTheSink() throws Exception {
    long size = 256L * 1024 * 1024;
    Command command =
        Command.of("sh", "-c", "yes " + LINE.strip() + " | head -c " + size)
            .withMaxOutputBytes(1024);
    CountingSink out = new CountingSink();
    CountingSink err = new CountingSink();

    ExecResult result = local.execute(command, out, err);

    assertThat(result.exitCode()).hasValue(0);
    assertThat(out.count).isEqualTo(size);
    assertThat(out.crc.getValue()).isEqualTo(expectedCrc(size));
    assertThat(err.count).isZero();
    assertThat(result.stdout()).isEmpty();
    assertThat(result.stdoutTruncated()).isFalse();
    assertThat(result.isSuccess()).isTrue();
  }

  @Test
  void bufferedFormKeepsOnlyTheCapAndSaysSo() throws Exception {
    Command command =
        Command.of("sh", "-c", "head -c 1000000 /dev/zero; echo oops >&2").withMaxOutputBytes(1000);

    ExecResult result = local.execute(command);

    assertThat(result.stdout()).hasSize(1000);
    assertThat(result.stdoutTruncated()).isTrue();
    assertThat(result.stderrUtf8()).isEqualTo("oops\n");
    assertThat(result.stderrTruncated()).isFalse();
    assertThat(result.exitCode()).hasValue(0);
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.toString()).contains("stdoutTruncated");
    assertThatThrownBy(result::requireSuccess)
        .isInstanceOf(CommandFailedException.class)
        .hasMessageContaining("output beyond 1000 bytes was dropped from stdout");
  }

  @Test
  void outputExactlyAtTheCapIsWhole() throws Exception {
    ExecResult result =
        local.execute(Command.of("head", "-c", "1000", "/dev/zero").withMaxOutputBytes(1000));
    assertThat(result.stdout()).hasSize(1000);
    assertThat(result.isSuccess()).isTrue();
  }

  @Test
  void capMustFitAByteArray() {
    assertThatThrownBy(() -> Command.of("true").withMaxOutputBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxOutputBytes")
        .hasMessageContaining("-1");
    assertThat(Command.of("true").maxOutputBytes()).isEqualTo(Command.DEFAULT_MAX_OUTPUT_BYTES);
    assertThat(Command.of("true").withMaxOutputBytes(5).toString()).contains("maxOutputBytes=5");
  }

  @Test
  void streamsStdinAfterTheCommandsOwnBytesThenEndOfFile() throws Exception {
    byte[] input = new byte[20 * 1024 * 1024];
    new Random(11).nextBytes(input);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    ExecResult result =
        local.execute(
            Command.of("cat").withStdin("head:"),
            new ByteArrayInputStream(input),
            out,
            OutputStream.nullOutputStream());

    assertThat(result.exitCode()).hasValue(0);
    byte[] expected = concat("head:".getBytes(StandardCharsets.UTF_8), input);
    assertThat(out.toByteArray()).isEqualTo(expected);
  }

  @Test
  void endOfStreamedStdinReachesTheCommand(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("f");
    byte[] input = new byte[5 * 1024 * 1024 + 3];
    new Random(5).nextBytes(input);

    ExecResult result =
        local.execute(
            Command.of("sh", "-c", "cat > \"$1\"", "sh", file.toString()),
            new ByteArrayInputStream(input),
            OutputStream.nullOutputStream(),
            OutputStream.nullOutputStream());

    assertThat(result.exitCode()).hasValue(0);
    assertThat(Files.readAllBytes(file)).isEqualTo(input);
  }

  @Test
  void commandThatStopsReadingAnEndlessStdinStillFinishes() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExecResult result =
        local.execute(
            Command.of("head", "-c", "5"),
            new EndlessInput(),
            out,
            OutputStream.nullOutputStream());
    assertThat(result.exitCode()).hasValue(0);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("xxxxx");
  }

  @Test
  void failingSinkStopsTheCommand() throws Exception {
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
    assertThatThrownBy(
            () -> local.execute(Command.of("yes"), broken, OutputStream.nullOutputStream()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("yes")
        .hasMessageContaining("Broken pipe");
  }

  @Test
  void streamedTimeoutStillKillsTheCommand() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExecResult result =
        local.execute(
            Command.of("sh", "-c", "echo started; sleep 60").withTimeout(Duration.ofMillis(500)),
            out,
            OutputStream.nullOutputStream());
    assertThat(result.timedOut()).isTrue();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("started\n");
  }

  @Test
  void lambdaExecutorsStreamThroughTheBufferingDefault() throws Exception {
    List<Command> seen = new ArrayList<>();
    CommandExecutor lambda =
        command -> {
          seen.add(command);
          return ExecResult.of(
              command, 0, new String(command.stdin(), StandardCharsets.UTF_8), "e", Duration.ZERO);
        };
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    ExecResult result =
        lambda.execute(
            Command.of("cat").withStdin("a"),
            new ByteArrayInputStream("b".getBytes(StandardCharsets.UTF_8)),
            out,
            err);

    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("ab");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("e");
    assertThat(result.stdout()).isEmpty();
    assertThat(result.command()).isEqualTo(Command.of("cat").withStdin("a"));
    assertThat(seen.get(0).stdin()).isEqualTo("ab".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void listenerSeesStreamedCommands() throws Exception {
    List<String> events = new ArrayList<>();
    CommandExecutor listened =
        local.withListener(
            new ExecutionListener() {
              @Override
              public void started(Command command) {
                events.add("started " + command.display());
              }

              @Override
              public void finished(ExecResult result) {
                events.add("finished " + result.exitCode().getAsInt());
              }
            });
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    listened.execute(
        Command.of("cat"),
        new ByteArrayInputStream("hi".getBytes(StandardCharsets.UTF_8)),
        out,
        OutputStream.nullOutputStream());

    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hi");
    assertThat(events).containsExactly("started cat", "finished 0");
  }

  @Test
  void sudoAndNetnsDecoratorsStreamThroughTheirDelegate() throws Exception {
    List<String> calls = new ArrayList<>();
    CommandExecutor streaming =
        new CommandExecutor() {
          @Override
          public ExecResult execute(Command command) {
            throw new AssertionError("the buffered form must not be used");
          }

          @Override
          public ExecResult execute(
              Command command, InputStream stdin, OutputStream stdout, OutputStream stderr)
              throws IOException {
            calls.add(String.join(" ", command.argv()));
            stdin.transferTo(stdout);
            return ExecResult.builder()
                .command(command)
                .exitCode(0)
                .duration(Duration.ZERO)
                .build();
          }
        };
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    ExecResult result =
        streaming
            .withSudo()
            .inNetworkNamespace("lab")
            .execute(
                Command.of("cat"),
                new ByteArrayInputStream("x".getBytes(StandardCharsets.UTF_8)),
                out,
                OutputStream.nullOutputStream());

    assertThat(calls).containsExactly("sudo -n -- ip netns exec lab cat");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("x");
    assertThat(result.command().argv()).containsExactly("cat");
  }

  private static long expectedCrc(long size) {
    byte[] line = LINE.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    long left = size;
    while (left > 0) {
      int n = (int) Math.min(left, line.length);
      crc.update(line, 0, n);
      left -= n;
    }
    return crc.getValue();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = new byte[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /** Counts and checksums what it is given, keeping nothing. */
  static final class CountingSink extends OutputStream {
    final CRC32 crc = new CRC32();
    long count;

    @Override
    public void write(int b) {
      crc.update(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      crc.update(b, off, len);
      count += len;
    }
  }

  /** An input that never ends. */
  static final class EndlessInput extends InputStream {
    @Override
    public int read() {
      return 'x';
    }

    @Override
    public int read(byte[] b, int off, int len) {
      java.util.Arrays.fill(b, off, off + len, (byte) 'x');
      return len;
    }
  }
}
