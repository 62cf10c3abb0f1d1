package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fleet options refused before any host is reached: exit 2 and one line naming the option. */
class FleetCliTest {
  private static final String HOST = "ssh://root@198.18.0.2:22";

  private static void assertUsage(CliRun run, String named) {
    assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
    assertThat(run.err).startsWith("opskit: ").contains(named);
    assertThat(run.err.strip().lines()).hasSize(1);
    assertThat(run.out).isEmpty();
  }

  @Test
  void rolloutOptionsWithoutAFleetAreRefused() {
    assertUsage(
        CliRun.of("sysctl", "apply", "--set", "net.core.somaxconn=1", "--canary", "1"), "--canary");
    assertUsage(CliRun.of("iptables", "show", "-o", "json"), "--output");
  }

  @Test
  void badPolicyValuesNameTheirOption() {
    assertUsage(CliRun.of("exec", "--host", HOST, "--batch", "ten", "--", "true"), "--batch");
    assertUsage(
        CliRun.of("exec", "--host", HOST, "--max-failures", "120%", "--", "true"),
        "--max-failures");
    assertUsage(
        CliRun.of("exec", "--host", HOST, "--max-parallel", "0", "--", "true"), "--max-parallel");
    assertUsage(CliRun.of("exec", "--host", HOST, "--canary", "-1", "--", "true"), "--canary");
    assertUsage(CliRun.of("exec", "--host", HOST, "-o", "yaml", "--", "true"), "'yaml'");
    assertUsage(
        CliRun.of("exec", "--host", HOST, "--health-cmd", " ", "--", "true"), "--health-cmd");
  }

  @Test
  void aBadHostOrInventoryIsRefusedBeforeConnecting(@TempDir Path dir) throws Exception {
    assertUsage(CliRun.of("exec", "--host", "ftp://x", "--", "true"), "--host");
    assertUsage(
        CliRun.of("exec", "--inventory", dir.resolve("none.txt").toString(), "--", "true"),
        "does not exist");
    Path inventory = dir.resolve("fleet.txt");
    Files.writeString(
        inventory, "# fleet\nnode-1 ssh://root@198.18.0.2\nnode-1 ssh://root@198.18.0.3\n");
    assertUsage(
        CliRun.of("exec", "--inventory", inventory.toString(), "--", "true"), "inventory line 3");
    Files.writeString(inventory, "# only a comment\n\n");
    assertUsage(CliRun.of("exec", "--inventory", inventory.toString(), "--", "true"), "no hosts");
    assertUsage(
        CliRun.of("iptables", "show", "--target", HOST, "--inventory", inventory.toString()),
        "--target");
  }

  @Test
  void nodesExcludesAnSshFleetAndIsListedInTheHelp() {
    assertUsage(
        CliRun.of("sysctl", "diff", "--nodes", "role=worker", "--host", HOST, "--set", "a.b=1"),
        "--nodes");
    assertThat(CliRun.of("sysctl", "apply", "--help").out)
        .contains("--nodes")
        .contains("--inventory")
        .contains("--max-failures")
        .contains("--health-cmd");
  }

  @Test
  void showOnAFleetHasNoRawOrAllForm() {
    assertUsage(CliRun.of("iptables", "show", "--host", HOST, "--raw"), "--raw");
  }
}
