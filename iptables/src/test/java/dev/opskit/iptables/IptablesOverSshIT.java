package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.SshExecutor;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshdServer;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The applier through a real OpenSSH sshd into a namespace: each batched call, with one input on
 * stdin and the others as arguments, crosses the one command string SSH carries and the remote
 * shell without a byte changed.
 */
@Privileged(tools = {"sshd", "ssh-keygen", "ip", "iptables", "ipset"})
@Timeout(120)
class IptablesOverSshIT {
  @TempDir Path dir;

  @Test
  void appliesVerifiesAndRemovesOverSsh() throws Exception {
    try (SshdServer sshd = SshdServer.start(dir.resolve("sshd"));
        SshExecutor ssh = sshd.executor();
        TestNetworks net = TestNetworks.create()) {
      String node = net.namespace("ssh");
      CommandExecutor executor = ssh.inNetworkNamespace(node);
      IptablesApplier applier = TestAppliers.create(executor);
      // the ipset's 2,000 entries travel on stdin, both rule sets as arguments
      NodePortAllowlist list =
          NodePortAllowlist.builder()
              .name("ssh")
              .addPorts(PortRange.of(30001))
              .addAllAllowedCidrs(IpsetAllowlistIT.cidrs(2_000))
              .addAllowedCidrs("fd00:198:18::/64")
              .useIpset(true)
              .build();

      IptablesApplyResult applied = applier.apply(list);

      assertThat(applied.verified()).isTrue();
      assertThat(applied.commands())
          .containsExactly(
              "ipset restore", "iptables-restore --noflush -w", "ip6tables-restore --noflush -w");
      assertThat(net.exec(node, "ipset", "list", "-t", "opskit-ssh-v4").stdoutUtf8())
          .contains("Number of entries: 2000");
      assertThat(applier.apply(list).changed()).isFalse();

      // a comment full of shell syntax reaches iptables as written, and runs nothing
      Path pwned = dir.resolve("pwned");
      String comment = "it's $(touch " + pwned + ") `touch " + pwned + "`; echo |&";
      Rule rule = Rule.of(List.of(Match.comment(comment)), Target.drop());
      IptablesRuleSet odd =
          IptablesRuleSet.builder()
              .owner("odd")
              .addTables(Table.of("filter", Chain.of("OPSKIT-odd", rule)))
              .build();
      IptablesApplyResult oddApplied = applier.apply(odd);
      assertThat(oddApplied.verified()).isTrue();
      assertThat(applier.observe(IpFamily.IPV4).table("filter").orElseThrow().chain("OPSKIT-odd"))
          .hasValueSatisfying(chain -> assertThat(chain.rules()).containsExactly(rule));
      assertThat(pwned).doesNotExist();

      applier.remove(list);
      applier.remove("odd");
      assertThat(net.exec(node, "ipset", "list", "-n").stdoutUtf8()).isEmpty();
      assertThat(net.exec(node, "iptables-save").stdoutUtf8()).doesNotContain("OPSKIT-");
    }
  }

  @Test
  void refusesToGuardThePortItsOwnConnectionUsesUnlessForced() throws Exception {
    try (SshdServer sshd = SshdServer.start(dir.resolve("sshd"));
        SshExecutor ssh = sshd.executor();
        TestNetworks net = TestNetworks.create()) {
      String node = net.namespace("sshport");
      IptablesApplier applier =
          TestAppliers.builder(ssh.inNetworkNamespace(node))
              .stateDirectory(dir.resolve("state").toString())
              .build();
      // this client is allowed, but everyone else would lose SSH on the node
      NodePortAllowlist.Builder guardingSsh =
          NodePortAllowlist.builder()
              .name("sshport")
              .addPorts(PortRange.of(sshd.port()))
              .addAllowedCidrs("127.0.0.1");

      assertThatThrownBy(() -> applier.apply(guardingSsh.build()))
          .isInstanceOfSatisfying(
              SelfLockoutException.class,
              e -> {
                assertThat(e.serverPort()).isEqualTo(sshd.port());
                assertThat(e.getMessage())
                    .contains("port " + sshd.port() + " is the one this connection uses")
                    .contains("allowConnectionPort(true)");
              });
      assertThat(net.exec(node, "iptables-save").stdoutUtf8()).doesNotContain("OPSKIT-");

      IptablesApplyResult forced = applier.apply(guardingSsh.allowConnectionPort(true).build());
      assertThat(forced.changed()).isTrue();
      assertThat(net.exec(node, "iptables-save").stdoutUtf8()).contains("OPSKIT-sshport");
    }
  }
}
