package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodePortAllowlistTest {

  private static NodePortAllowlist.Builder web() {
    return NodePortAllowlist.builder()
        .name("web")
        .addPorts(PortRange.of(30001))
        .addAllowedCidrs("198.18.1.7/24", "fd00:198:18::/64")
        .normalizeCidrs(true);
  }

  @Test
  void rawModeRendersAJumpBeforeConntrackAndDnat() {
    NodePortAllowlist list = web().build();
    assertThat(list.allowedCidrs()).containsExactly("198.18.1.0/24", "fd00:198:18::/64");
    assertThat(list.ruleSet(IpFamily.IPV4).render())
        .isEqualTo(
            "*raw\n:OPSKIT-web - [0:0]\n"
                + "-A PREROUTING -p tcp -m tcp --dport 30001 -m addrtype --dst-type LOCAL -j OPSKIT-web\n"
                + "-A OPSKIT-web -s 198.18.1.0/24 -j RETURN\n-A OPSKIT-web -j DROP\nCOMMIT\n");
    assertThat(list.ruleSet(IpFamily.IPV6).render())
        .contains("-A OPSKIT-web -s fd00:198:18::/64 -j RETURN");
    assertThat(list.warnings()).isEmpty();
  }

  @Test
  void conntrackModeMatchesTheOriginalPortInOriginalDirection() {
    NodePortAllowlist list =
        web().mode(NodePortAllowlist.Mode.CONNTRACK).addProtocols("tcp", "udp").build();
    String rendered = list.ruleSet(IpFamily.IPV4).render();
    assertThat(rendered)
        .contains(
            "-A INPUT -p udp -m conntrack --ctstate DNAT --ctorigdstport 30001 --ctdir ORIGINAL -j OPSKIT-web")
        .contains(
            "-A FORWARD -p tcp -m conntrack --ctstate DNAT --ctorigdstport 30001 --ctdir ORIGINAL -j OPSKIT-web")
        .contains("-A INPUT -p tcp -m tcp --dport 30001 -j OPSKIT-web")
        .contains("-A OPSKIT-web -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN");
  }

  @Test
  void inputModeWarnsAboutTheDnatTrap() {
    NodePortAllowlist list = web().mode(NodePortAllowlist.Mode.INPUT).build();
    assertThat(list.warnings())
        .singleElement()
        .asString()
        .contains("does not hold behind kube-proxy");
  }

  @Test
  void manyPortsAreGroupedIntoMultiport() {
    NodePortAllowlist.Builder builder = NodePortAllowlist.builder().name("many");
    for (int port = 30000; port < 30020; port++) {
      builder.addPorts(PortRange.of(port));
    }
    List<Rule> jumps =
        builder
            .build()
            .ruleSet(IpFamily.IPV4)
            .table("raw")
            .orElseThrow()
            .chain("PREROUTING")
            .orElseThrow()
            .rules();
    assertThat(jumps).hasSize(2);
    assertThat(jumps.get(0).spec()).startsWith("-p tcp -m multiport --dports 30000,30001,");
  }

  @Test
  void ipsetModeUsesOneRulePerFamily() {
    NodePortAllowlist list = web().useIpset(true).build();
    assertThat(list.ruleSet(IpFamily.IPV4).render())
        .contains("-A OPSKIT-web -m set --match-set opskit-web-v4 src -j RETURN");
    assertThat(list.ipsets())
        .extracting(IpsetSpec::name)
        .containsExactly("opskit-web-v4", "opskit-web-v6");
    assertThat(list.ipset(IpFamily.IPV4).orElseThrow().restoreInput(true))
        .isEqualTo(
            "create opskit-web-v4 hash:net family inet hashsize 1024 maxelem 65536\n"
                + "create opskit-web-v4-t hash:net family inet hashsize 1024 maxelem 65536\n"
                + "add opskit-web-v4-t 198.18.1.0/24\n"
                + "swap opskit-web-v4-t opskit-web-v4\n"
                + "destroy opskit-web-v4-t\n");
  }

  @Test
  void largeIpsetsAreCreatedWithRoomForTheirEntries() {
    List<String> cidrs = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      cidrs.add("198.19." + i / 250 + "." + (i % 250 + 1) + "/32");
    }
    IpsetSpec large = IpsetSpec.of("opskit-big-v4", IpFamily.IPV4, cidrs);
    assertThat(large.hashSize()).isEqualTo(16_384);
    assertThat(large.restoreInput(true))
        .startsWith("create opskit-big-v4 hash:net family inet hashsize 16384 maxelem 65536\n");
    assertThat(IpsetSpec.of("s", IpFamily.IPV4, cidrs.subList(0, 1024)).hashSize()).isEqualTo(1024);
    assertThat(IpsetSpec.of("s", IpFamily.IPV4, cidrs.subList(0, 1025)).hashSize()).isEqualTo(2048);
    assertThat(IpsetSpec.of("s", IpFamily.IPV4, List.of()).hashSize()).isEqualTo(1024);
  }

  @Test
  void derivedRuleSetsAndIpsetsAreBuiltOncePerValue() {
    NodePortAllowlist list = web().useIpset(true).build();
    assertThat(list.ruleSet(IpFamily.IPV4)).isSameAs(list.ruleSet(IpFamily.IPV4));
    assertThat(list.ipsets()).isSameAs(list.ipsets());
    assertThatThrownBy(() -> list.ipsets().clear())
        .isInstanceOf(UnsupportedOperationException.class);
    NodePortAllowlist v4Only = web().ipv6(false).build();
    // a family the allowlist does not write is still built on request, just not kept
    assertThat(v4Only.ruleSet(IpFamily.IPV6).family()).isEqualTo(IpFamily.IPV6);
  }

  @Test
  void blocksTellsWhoIsDropped() {
    NodePortAllowlist list = web().build();
    assertThat(list.blocks("198.18.1.9", "tcp", 30001)).isFalse();
    assertThat(list.blocks("198.18.2.9", "tcp", 30001)).isTrue();
    assertThat(list.blocks("198.18.2.9", "tcp", 22)).isFalse();
    assertThat(list.blocks("198.18.2.9", "udp", 30001)).isFalse();
    assertThat(list.blocks("fd00:198:18::9", "tcp", 30001)).isFalse();
    assertThat(list.blocks("fd00:198:19::9", "tcp", 30001)).isTrue();
  }

  @Test
  void badInputIsRejected() {
    assertThatThrownBy(() -> web().name("bad-name").build()).hasMessageContaining("'bad-name'");
    assertThatThrownBy(() -> NodePortAllowlist.builder().name("x").build())
        .hasMessageContaining("at least one port");
    assertThatThrownBy(() -> web().addAllowedCidrs("198.18.0.0/40").build())
        .hasMessageContaining("198.18.0.0/40");
    assertThatThrownBy(() -> web().addProtocols("icmp").build()).hasMessageContaining("'icmp'");
    assertThatThrownBy(() -> IpsetSpec.of("s", IpFamily.IPV4, List.of("0.0.0.0/0")))
        .hasMessageContaining("/0");
    assertThatThrownBy(() -> IpsetSpec.of("s", IpFamily.IPV4, List.of("fd00::/64")))
        .hasMessageContaining("fd00::/64");
  }
}
