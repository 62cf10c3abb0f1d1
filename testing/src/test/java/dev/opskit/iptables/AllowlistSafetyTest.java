package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.testing.FakeHost;
import org.junit.jupiter.api.Test;

/** Risky allowlists: host bits, allow-everything, the executor's own connection port. */
class AllowlistSafetyTest {
  private static NodePortAllowlist.Builder web() {
    return NodePortAllowlist.builder().name("web").addPorts(PortRange.of(30001));
  }

  @Test
  void aCidrWithHostBitsIsRefusedNamingItsNetwork() {
    assertThatThrownBy(() -> web().addAllowedCidrs("1.2.3.4/8").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "CIDR '1.2.3.4/8' has host bits set (its network is 1.0.0.0/8): write the network, or"
                + " let opskit clear them with normalizeCidrs(true)");
    assertThatThrownBy(() -> web().addAllowedCidrs("2001:db8::1/64").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2001:db8::/64");
  }

  @Test
  void normalizingExplicitlyClearsTheHostBits() {
    NodePortAllowlist list =
        web().addAllowedCidrs("1.2.3.4/8", "2001:db8::1/64").normalizeCidrs(true).build();
    assertThat(list.allowedCidrs()).containsExactly("1.0.0.0/8", "2001:db8::/64");
  }

  @Test
  void networksAddressesAndOtherSpellingsAreNotHostBits() {
    NodePortAllowlist list =
        web()
            .addAllowedCidrs("198.18.1.0/24", "198.18.2.7", "198.18.3.9/32", "2001:db8:0:0::/64")
            .build();
    assertThat(list.allowedCidrs())
        .containsExactly("198.18.1.0/24", "198.18.2.7/32", "198.18.3.9/32", "2001:db8::/64");
  }

  @Test
  void allowEverythingIsWarnedAboutPerFamily() {
    NodePortAllowlist list = web().addAllowedCidrs("0.0.0.0/0", "::/0").build();
    assertThat(list.warnings())
        .containsExactly(
            "0.0.0.0/0 allows every IPV4 source: the allowlist drops nothing for IPV4",
            "::/0 allows every IPV6 source: the allowlist drops nothing for IPV6");
    assertThat(web().addAllowedCidrs("198.18.0.0/15").build().warnings()).isEmpty();
  }

  /** A host whose SSH connection comes from an allowed client to port 22. */
  private static FakeHost sshHost() {
    return FakeHost.create().withSshConnection("198.18.1.9 51234 198.18.0.1 22");
  }

  @Test
  void guardingThePortOfTheExecutorsOwnConnectionIsRefusedBeforeAnyWrite() {
    FakeHost host = sshHost();
    NodePortAllowlist ssh =
        NodePortAllowlist.builder()
            .name("ssh")
            .addPorts(PortRange.of(20, 30))
            .addAllowedCidrs("198.18.1.0/24")
            .build();
    assertThatThrownBy(() -> IptablesApplier.on(host).apply(ssh))
        .isInstanceOfSatisfying(
            SelfLockoutException.class,
            e -> {
              assertThat(e.clientAddress()).isEqualTo("198.18.1.9");
              assertThat(e.serverPort()).isEqualTo(22);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "refusing to apply 'ssh': port 22 is the one this connection uses, so every"
                          + " source not on the list would lose it (allow it explicitly with"
                          + " allowConnectionPort(true))");
            });
    // only the read ran
    assertThat(host.calls()).hasSize(1);
    assertThat(host.calls().get(0).write()).isFalse();
    assertThat(host.iptablesSave(IpFamily.IPV4)).isEmpty();
  }

  @Test
  void udpOnlyOrOtherPortsDoNotTouchTheConnection() throws Exception {
    NodePortAllowlist udp =
        NodePortAllowlist.builder()
            .name("dns")
            .addPorts(PortRange.of(22))
            .addProtocols("udp")
            .addAllowedCidrs("198.18.1.0/24")
            .build();
    IptablesApplier applier = IptablesApplier.builder(sshHost()).verifyAfterApply(false).build();
    assertThat(applier.apply(udp).commands()).isNotEmpty();
  }
}
