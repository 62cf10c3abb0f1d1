package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ExecResultTest {
  private final Command command = Command.of("false");

  @Test
  void zeroExitIsSuccess() {
    ExecResult result = ExecResult.of(command, 0, "out\n", "", Duration.ofMillis(3));
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.requireSuccess()).isSameAs(result);
    assertThat(result.stdoutUtf8()).isEqualTo("out\n");
  }

  @Test
  void nonZeroExitIsDataUntilRequired() {
    ExecResult result = ExecResult.of(command, 3, "", "boom\n", Duration.ofMillis(3));
    assertThat(result.isSuccess()).isFalse();
    assertThatThrownBy(result::requireSuccess)
        .isInstanceOfSatisfying(
            CommandFailedException.class,
            e -> {
              assertThat(e.result()).isSameAs(result);
              assertThat(e.command()).isEqualTo(command);
            })
        .hasMessageContaining("false")
        .hasMessageContaining("exit 3")
        .hasMessageContaining("boom");
  }

  @Test
  void timedOutIsNeverSuccess() {
    ExecResult result =
        ExecResult.builder()
            .command(command)
            .exitSignal("KILL")
            .timedOut(true)
            .duration(Duration.ofSeconds(1))
            .build();
    assertThat(result.exitCode()).isEmpty();
    assertThat(result.isSuccess()).isFalse();
    assertThatThrownBy(result::requireSuccess).hasMessageContaining("timed out");
  }

  @Test
  void malformedUtf8BecomesReplacementCharacter() {
    ExecResult result =
        ExecResult.builder()
            .command(command)
            .exitCode(0)
            .stdout(new byte[] {'a', (byte) 0xff, 'b'})
            .duration(Duration.ZERO)
            .build();
    assertThat(result.stdoutUtf8()).isEqualTo("a\uFFFDb");
    assertThat(result.stdout()).containsExactly('a', (byte) 0xff, 'b');
  }

  @Test
  void rejectsNegativeDuration() {
    assertThatThrownBy(() -> ExecResult.of(command, 0, "", "", Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duration");
  }
}
