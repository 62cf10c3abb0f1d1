package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OpskitCliTest {

  @Test
  void demoCompletesAndPrintsEverySection() {
    CliRun run = CliRun.of("demo");
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .contains("== core: commands are argv lists")
        .contains("== core: a scripted executor")
        .contains("timedOut=true");
  }

  @Test
  void unknownOptionIsUsageErrorWithExitTwo() {
    CliRun run = CliRun.of("demo", "--no-such-option");
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err).contains("--no-such-option");
  }

  @Test
  void unknownSubcommandIsUsageError() {
    CliRun run = CliRun.of("frobnicate");
    assertThat(run.exitCode).isEqualTo(2);
  }

  @Test
  void execExitsWithTheCommandsExitCode() {
    assertThat(CliRun.of("exec", "--", "sh", "-c", "exit 5").exitCode).isEqualTo(5);
    assertThat(CliRun.of("exec", "--", "true").exitCode).isZero();
  }

  @Test
  void execOfMissingProgramFailsWithExitOne() {
    CliRun run = CliRun.of("exec", "--", "opskit-no-such-program");
    assertThat(run.exitCode).isEqualTo(1);
    assertThat(run.err).contains("opskit-no-such-program");
  }
}
