package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OpskitCliTest {
  private static final List<String> COMMANDS =
      List.of("demo", "exec", "iptables", "sysctl", "pods", "images", "calico");

  @Test
  void versionIsPrintedWithoutPicocli() {
    for (String option : List.of("--version", "-V")) {
      CliRun run = CliRun.of(option);
      assertThat(run.exitCode).as(run.toString()).isZero();
      assertThat(run.out).isEqualTo("opskit 0.1.0-SNAPSHOT" + System.lineSeparator());
      assertThat(run.err).isEmpty();
    }
  }

  @Test
  void helpIsTheTextTheBuildRenderedWithPicocli() {
    assertThat(OpskitCli.shortcut(new String[] {"--help"}))
        .as("the build wrote the help resource")
        .isPresent();
    String picocli = OpskitCli.usage();
    assertThat(picocli).contains(COMMANDS).contains("--version").doesNotContain("\u001B[");
    for (String option : List.of("--help", "-h")) {
      CliRun run = CliRun.of(option);
      assertThat(run.exitCode).as(run.toString()).isZero();
      assertThat(run.out).isEqualTo(picocli);
      assertThat(run.err).isEmpty();
    }
  }

  @Test
  void onlyTheSoleArgumentIsAShortcut() {
    assertThat(OpskitCli.shortcut(new String[] {"pods", "--help"})).isEmpty();
    assertThat(OpskitCli.shortcut(new String[] {"--version", "--help"})).isEmpty();
    assertThat(OpskitCli.shortcut(new String[] {"--versions"})).isEmpty();
    assertThat(CliRun.of("pods", "--help").out).contains("reap").doesNotContain("images");
  }

  @Test
  void withoutACommandEveryCommandIsListed() {
    CliRun run = CliRun.of();
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err).contains(COMMANDS);
  }

  @Test
  void demoCompletesAndPrintsEverySection() {
    CliRun run = CliRun.of("demo");
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .contains("== core: commands are argv lists")
        .contains("timedOut=true")
        .contains("== cluster: image inventory")
        .contains("docker.io/library/nginx")
        .contains("== cluster: PodReaper dry run")
        .contains("== cluster: PodReaper real run")
        .contains("web-7c9f8d6b5-ev1ct")
        .contains("== cluster: Calico IP_AUTODETECTION_METHOD plan")
        .contains("interface=eth0|en0|en2")
        .contains("== iptables: NodePort 30001 allowlist")
        .contains("-A OPSKIT-demo -s 192.168.1.100/32 -j RETURN")
        .contains("== sysctl: this machine against the kubernetes-node profile")
        .contains("fs.file-max");
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
    assertThat(run.err).contains("frobnicate");
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

  @Test
  void everyHostCommandHasHelp() {
    assertThat(CliRun.of("sysctl", "apply", "--help").out).contains("--raise-only");
    assertThat(CliRun.of("iptables", "allow-nodeport", "--help").out).contains("--ipset");
    assertThat(CliRun.of("exec", "--help").out).contains("--target");
    assertThat(CliRun.of("iptables", "show", "--help").exitCode).isZero();
  }

  @Test
  void groupWithoutSubcommandIsUsageError() {
    CliRun run = CliRun.of("sysctl");
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err).contains("diff").contains("apply");
  }
}
