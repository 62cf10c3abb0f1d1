package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshdServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code iptables allow-nodeport} refuses risky allowlists with exit 2 and one line, unless the
 * user says so: a CIDR with host bits ({@code --normalize}), the port the SSH connection uses
 * ({@code --force}); and it warns about allow-everything.
 */
@Privileged(tools = {"ip", "iptables", "iptables-save", "sshd", "ssh-keygen"})
class IptablesCliSafetyIT {
  @TempDir Path dir;
  @RegisterExtension final CliNamespace node = new CliNamespace("clisafe");

  @Test
  void aCidrWithHostBitsIsRefusedUnlessNormalizedExplicitly() {
    String[] args = {
      "allow-nodeport", "--name", "web", "--port", "30001", "--allow", "198.18.1.4/8"
    };
    CliRun refused = node.iptables(args);
    assertThat(refused.exitCode).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err)
        .isEqualTo(
            "opskit: CIDR '198.18.1.4/8' has host bits set (its network is 198.0.0.0/8): write the"
                + " network, or let opskit clear them with --normalize\n");
    assertThat(node.save()).doesNotContain("OPSKIT-web");

    CliRun applied = node.iptables(CliNamespace.plus(args, "--normalize"));
    assertThat(applied.exitCode).as(applied.toString()).isZero();
    assertThat(node.save()).contains("-A OPSKIT-web -s 198.0.0.0/8 -j RETURN");
  }

  @Test
  void allowEverythingIsAppliedWithAWarning() {
    CliRun run =
        node.iptables("allow-nodeport", "--name", "all", "--port", "30001", "--allow", "0.0.0.0/0");
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.err)
        .contains("warning: 0.0.0.0/0 allows every IPV4 source: the allowlist drops nothing");
    // iptables prints no source for 0.0.0.0/0, and the read-back agrees
    assertThat(node.save()).contains("-A OPSKIT-all -j RETURN");
  }

  @Test
  void theSshPortOfTheConnectionIsRefusedUnlessForced() throws Exception {
    try (SshdServer sshd = SshdServer.start(dir.resolve("sshd"))) {
      String[] args = {
        "allow-nodeport",
        "--target",
        sshd.target().toString(),
        "--identity",
        sshd.clientKey().toString(),
        "--known-hosts",
        sshd.knownHosts().toString(),
        "--name",
        "ssh",
        "--port",
        Integer.toString(sshd.port()),
        "--allow",
        "127.0.0.1"
      };
      CliRun refused = node.iptables(args);
      assertThat(refused.exitCode).as(refused.toString()).isEqualTo(2);
      // (a warning about the ephemeral range may come first: sshd's test port lies in it)
      assertThat(refused.err.lines().reduce((first, second) -> second))
          .hasValue(
              "opskit: refusing to apply 'ssh': port "
                  + sshd.port()
                  + " is the one this connection uses, so every source not on the list would"
                  + " lose it (use --force)");
      assertThat(node.save()).doesNotContain("OPSKIT-ssh");

      CliRun applied = node.iptables(CliNamespace.plus(args, "--force"));
      assertThat(applied.exitCode).as(applied.toString()).isZero();
      assertThat(node.save()).contains("OPSKIT-ssh");
    }
  }
}
