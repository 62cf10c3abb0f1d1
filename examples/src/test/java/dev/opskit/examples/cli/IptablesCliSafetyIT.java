package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshdServer;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code iptables allow-nodeport} refuses risky allowlists with exit 2 and one line, unless the
 * user says so: a CIDR with host bits ({@code --normalize}), the port the SSH connection uses
 * ({@code --force}); and it warns about allow-everything.
 */
@Privileged(tools = {"ip", "iptables", "iptables-save", "sshd", "ssh-keygen"})
class IptablesCliSafetyIT {
  @TempDir Path dir;
  private TestNetworks net;
  private String node;

  @BeforeEach
  void createNamespace() {
    net = TestNetworks.create();
    node = net.namespace("clisafe");
  }

  @AfterEach
  void deleteNamespace() {
    net.close();
  }

  private String save() {
    return net.exec(node, "iptables-save").stdoutUtf8();
  }

  @Test
  void aCidrWithHostBitsIsRefusedUnlessNormalizedExplicitly() {
    String[] args = {
      "iptables",
      "allow-nodeport",
      "--netns",
      node,
      "--name",
      "web",
      "--port",
      "30001",
      "--allow",
      "198.18.1.4/8"
    };
    CliRun refused = CliRun.of(args);
    assertThat(refused.exitCode).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err)
        .isEqualTo(
            "opskit: CIDR '198.18.1.4/8' has host bits set (its network is 198.0.0.0/8): write the"
                + " network, or let opskit clear them with --normalize\n");
    assertThat(save()).doesNotContain("OPSKIT-web");

    String[] normalized = new String[args.length + 1];
    System.arraycopy(args, 0, normalized, 0, args.length);
    normalized[args.length] = "--normalize";
    CliRun applied = CliRun.of(normalized);
    assertThat(applied.exitCode).as(applied.toString()).isZero();
    assertThat(save()).contains("-A OPSKIT-web -s 198.0.0.0/8 -j RETURN");
  }

  @Test
  void allowEverythingIsAppliedWithAWarning() {
    CliRun run =
        CliRun.of(
            "iptables",
            "allow-nodeport",
            "--netns",
            node,
            "--name",
            "all",
            "--port",
            "30001",
            "--allow",
            "0.0.0.0/0");
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.err)
        .contains("warning: 0.0.0.0/0 allows every IPV4 source: the allowlist drops nothing");
    // iptables prints no source for 0.0.0.0/0, and the read-back agrees
    assertThat(save()).contains("-A OPSKIT-all -j RETURN");
  }

  @Test
  void theSshPortOfTheConnectionIsRefusedUnlessForced() throws Exception {
    try (SshdServer sshd = SshdServer.start(dir.resolve("sshd"))) {
      String[] args = {
        "iptables",
        "allow-nodeport",
        "--target",
        sshd.target().toString(),
        "--identity",
        sshd.clientKey().toString(),
        "--known-hosts",
        sshd.knownHosts().toString(),
        "--netns",
        node,
        "--name",
        "ssh",
        "--port",
        Integer.toString(sshd.port()),
        "--allow",
        "127.0.0.1"
      };
      CliRun refused = CliRun.of(args);
      assertThat(refused.exitCode).as(refused.toString()).isEqualTo(2);
      // (a warning about the ephemeral range may come first: sshd's test port lies in it)
      assertThat(refused.err.lines().reduce((first, second) -> second))
          .hasValue(
              "opskit: refusing to apply 'ssh': port "
                  + sshd.port()
                  + " is the one this connection uses, so every source not on the list would"
                  + " lose it (use --force)");
      assertThat(save()).doesNotContain("OPSKIT-ssh");

      String[] forced = new String[args.length + 1];
      System.arraycopy(args, 0, forced, 0, args.length);
      forced[args.length] = "--force";
      CliRun applied = CliRun.of(forced);
      assertThat(applied.exitCode).as(applied.toString()).isZero();
      assertThat(save()).contains("OPSKIT-ssh");
    }
  }
}
