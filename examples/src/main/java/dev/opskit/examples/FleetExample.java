package dev.opskit.examples;

import dev.opskit.core.HostCount;
import dev.opskit.core.HostTask;
import dev.opskit.core.Rollout;
import dev.opskit.core.RolloutPolicy;
import dev.opskit.core.RolloutReport;
import dev.opskit.core.SshExecutor;
import dev.opskit.core.SshInventory;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Rolls a NodePort allowlist out to every host of an SSH inventory file: one canary, then batches
 * of 10%, stopping and rolling the failed batch back at the first failure. Usage: {@code
 * FleetExample INVENTORY IDENTITY KNOWN_HOSTS}. The marked part is quoted in the README.
 */
public final class FleetExample {
  private FleetExample() {}

  /** Runs the rollout and prints its report. */
  public static void main(String[] args) throws IOException, InterruptedException {
    Path inventory = Path.of(args[0]);
    Path key = Path.of(args[1]);
    Path knownHosts = Path.of(args[2]);
    NodePortAllowlist allowlist =
        NodePortAllowlist.builder()
            .name("web")
            .addPorts(PortRange.of(30001))
            .addAllowedCidrs("198.18.0.0/24")
            .build();
    // [readme]
    try (SshInventory fleet =
        SshInventory.read(
            inventory, // lines of "[NAME ]ssh://user@host[:port]"
            target ->
                SshExecutor.builder(target).identityFile(key).knownHosts(knownHosts).build())) {
      fleet.connect(); // in parallel; an unreachable host is reported, never skipped silently
      RolloutReport report =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(HostTask.applying(IptablesApplier::on, allowlist)) // rollback included
              .policy(
                  RolloutPolicy.builder()
                      .canary(1)
                      .batch(HostCount.parse("10%"))
                      .maxFailures(HostCount.parse("0"))
                      .build())
              .build()
              .run();
      System.out.print(report.renderTable()); // or report.toJson()
    }
    // [/readme]
  }
}
