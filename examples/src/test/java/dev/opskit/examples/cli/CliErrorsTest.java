package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.Command;
import dev.opskit.core.CommandFailedException;
import dev.opskit.core.ExecResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CliErrorsTest {

  @Test
  void rawJavaExceptionTextBecomesWords() {
    IOException wrapped =
        new IOException(
            "java.net.ConnectException: Failed to connect to /127.0.0.1:1",
            new ConnectException("Connection refused"));
    assertThat(CliErrors.describe(wrapped))
        .isEqualTo("Failed to connect to /127.0.0.1:1: connection refused");
  }

  @Test
  void causesAddWhatTheTopMessageDoesNotSay() {
    assertThat(
            CliErrors.describe(
                new UncheckedIOException(
                    new IOException(
                        "reading the profile failed", new NoSuchFileException("/x/p")))))
        .isEqualTo("reading the profile failed: no such file or directory: /x/p");
    assertThat(CliErrors.describe(new AccessDeniedException("/etc/sysctl.d/99-x.conf")))
        .isEqualTo("permission denied: /etc/sysctl.d/99-x.conf");
    assertThat(CliErrors.describe(new UnknownHostException("nowhere.invalid")))
        .isEqualTo("unknown host nowhere.invalid");
  }

  @Test
  void failedCommandShowsItsProgramStatusAndFirstErrorLineNotItsScript() {
    Command script = Command.of("sh", "-c", "set -e\nmkdir -p /x\nmv a b\nsysctl -p /x\n");
    ExecResult result =
        ExecResult.of(script, 1, "", "mkdir: cannot create directory '/x'\nmore\n", Duration.ZERO);
    assertThat(CliErrors.describe(new CommandFailedException(result)))
        .isEqualTo("`sh` failed with exit status 1: mkdir: cannot create directory '/x'");
  }

  @Test
  void everyMessageIsOneBoundedLine() {
    assertThat(CliErrors.describe(new IllegalStateException("first\nsecond\nthird")))
        .isEqualTo("first …");
    assertThat(CliErrors.describe(new IllegalStateException("x".repeat(5000)))).hasSize(402);
    assertThat(CliErrors.describe(new NullPointerException()))
        .isEqualTo("unexpected NullPointerException (a bug; please report it)");
  }
}
