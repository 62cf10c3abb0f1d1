package dev.opskit.iptables.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IpsetSpec;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The journal a multi-step apply leaves on the host reads back as the states it recorded. */
class JournalTest {
  private static NodePortAllowlist allowlist(NodePortAllowlist.Mode mode, boolean ipset) {
    return NodePortAllowlist.builder()
        .name("web")
        .mode(mode)
        .useIpset(ipset)
        .addPorts(PortRange.of(30001), PortRange.of(30100, 30110))
        .addAllowedCidrs("198.18.1.0/24", "2001:db8::/64")
        .build();
  }

  private static List<IptablesRuleSet> sets(NodePortAllowlist list) {
    return List.of(list.ruleSet(IpFamily.IPV4), list.ruleSet(IpFamily.IPV6));
  }

  @Test
  void targetAndBeforeStatesRoundTrip() {
    NodePortAllowlist target = allowlist(NodePortAllowlist.Mode.CONNTRACK, true);
    NodePortAllowlist before = allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, false);
    Journal journal =
        new Journal(
            Instant.parse("2026-01-02T03:04:05Z"),
            new Journal.State(sets(target), target.ipsets(), List.of()),
            new Journal.State(
                List.of(before.ruleSet(IpFamily.IPV4), IptablesRuleSet.empty(IpFamily.IPV6, "web")),
                List.of(),
                List.of("opskit-web-v4", "opskit-web-v6")));

    Journal read = Journal.parse(journal.render());

    assertThat(read.begun()).isEqualTo(journal.begun());
    assertThat(read.target().owners()).containsExactly("web");
    for (int i = 0; i < 2; i++) {
      IptablesRuleSet written = journal.target().ruleSets().get(i);
      IptablesRuleSet back = read.target().ruleSets().get(i);
      assertThat(back.family()).isEqualTo(written.family());
      assertThat(back.owner()).hasValue("web");
      assertThat(IptablesPlan.of(back, written).isEmpty()).isTrue();
    }
    assertThat(read.target().ipsets())
        .extracting(IpsetSpec::name, IpsetSpec::family, IpsetSpec::entries)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "opskit-web-v4", IpFamily.IPV4, List.of("198.18.1.0/24")),
            org.assertj.core.groups.Tuple.tuple(
                "opskit-web-v6", IpFamily.IPV6, List.of("2001:db8::/64")));
    assertThat(read.before().ruleSets().get(1).tables()).isEmpty();
    assertThat(read.before().absent()).containsExactly("opskit-web-v4", "opskit-web-v6");
  }

  @Test
  void aJournalCutShortOrForeignIsRefused() {
    NodePortAllowlist list = allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, false);
    Journal.State state = new Journal.State(sets(list), List.of(), List.of());
    String text = new Journal(Instant.now(), state, state).render();

    assertThatThrownBy(() -> Journal.parse(text.substring(0, text.length() / 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cut short");
    assertThatThrownBy(() -> Journal.parse("something else\nend\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an opskit journal");
  }
}
