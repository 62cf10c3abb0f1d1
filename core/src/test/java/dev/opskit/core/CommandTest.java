package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandTest {

  @Test
  void ofKeepsArgvInOrder() {
    Command command = Command.of("iptables-save", "-t", "filter");
    assertThat(command.argv()).containsExactly("iptables-save", "-t", "filter");
    assertThat(command.stdin()).isEmpty();
    assertThat(command.timeout()).isEmpty();
  }

  @Test
  void rejectsEmptyArgv() {
    assertThatThrownBy(() -> Command.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("argv must not be empty");
  }

  @Test
  void rejectsEmptyProgram() {
    assertThatThrownBy(() -> Command.of("", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("argv[0]");
  }

  @Test
  void rejectsNulInArgumentNamingItsIndex() {
    assertThatThrownBy(() -> Command.of("echo", "a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("argv[1]")
        .hasMessageContaining("'a\\0b'")
        .hasMessageContaining("NUL");
  }

  @Test
  void rejectsUnpairedSurrogate() {
    assertThatThrownBy(() -> Command.of("echo", "x\uD800y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired UTF-16 surrogate at index 1");
  }

  @Test
  void acceptsPairedSurrogates() {
    assertThat(Command.of("echo", "\uD83D\uDE00").argv()).hasSize(2);
  }

  @Test
  void rejectsBadEnvironmentName() {
    assertThatThrownBy(() -> Command.builder().addArgv("env").putEnv("A-B", "x").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'A-B'");
  }

  @Test
  void rejectsNonPositiveTimeout() {
    assertThatThrownBy(() -> Command.of("true").withTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be positive");
  }

  @Test
  void toStringHidesStdinAndEnvironmentValues() {
    Command command =
        Command.builder()
            .addArgv("sudo", "-S", "--", "id")
            .stdin("hunter2\n".getBytes(StandardCharsets.UTF_8))
            .putEnv("TOKEN", "s3cret")
            .build();
    assertThat(command.toString())
        .doesNotContain("hunter2")
        .doesNotContain("s3cret")
        .contains("stdin=8 bytes")
        .contains("TOKEN");
  }

  @Test
  void displayQuotesForTheShell() {
    assertThat(Command.of("echo", "it's", "", "a b", "plain-1.2").display())
        .isEqualTo("echo 'it'\"'\"'s' '' 'a b' plain-1.2");
  }

  @Test
  void withPrefixKeepsEverythingElse() {
    Command command = Command.of("id").withStdin("x").withTimeout(Duration.ofSeconds(3));
    Command prefixed = command.withPrefix(List.of("ip", "netns", "exec", "n1"));
    assertThat(prefixed.argv()).containsExactly("ip", "netns", "exec", "n1", "id");
    assertThat(prefixed.stdin()).isEqualTo(command.stdin());
    assertThat(prefixed.timeout()).contains(Duration.ofSeconds(3));
  }

  @Test
  void equalityIncludesStdinBytes() {
    assertThat(Command.of("cat").withStdin("a")).isEqualTo(Command.of("cat").withStdin("a"));
    assertThat(Command.of("cat").withStdin("a")).isNotEqualTo(Command.of("cat").withStdin("b"));
  }
}
