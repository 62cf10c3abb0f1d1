package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IptablesPlanTest {

  static IptablesRuleSet desired(String owner, String... cidrs) {
    String chain = IptablesRuleSet.chainPrefix(owner);
    List<Rule> rules = new ArrayList<>();
    for (String cidr : cidrs) {
      rules.add(Rule.of(List.of(Match.source(cidr)), Target.returnToCaller()));
    }
    rules.add(Rule.of(Target.drop()));
    Rule jump =
        Rule.of(
            List.of(
                Match.protocol("tcp"),
                Match.destinationPort("tcp", PortRange.of(30001)),
                Match.destinationAddressType("LOCAL")),
            Target.jump(chain));
    return IptablesRuleSet.builder()
        .owner(owner)
        .addTables(Table.of("raw", Chain.of("PREROUTING", jump), Chain.of(chain, rules)))
        .build();
  }

  static final String FOREIGN =
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:cali-PREROUTING - [0:0]\n"
          + "-A PREROUTING -j cali-PREROUTING\nCOMMIT\n"
          + "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
          + ":KUBE-FORWARD - [0:0]\n-A FORWARD -j KUBE-FORWARD\nCOMMIT\n";

  @Test
  void freshHostCreatesChainAndInsertsJumpAtTheTop() {
    IptablesPlan plan =
        IptablesPlan.of(
            IptablesRuleSet.parse(IpFamily.IPV4, FOREIGN), desired("web", "198.18.1.0/24"));
    assertThat(plan.isEmpty()).isFalse();
    assertThat(plan.restoreInputs()).containsOnlyKeys("raw");
    assertThat(plan.restoreInputs().get("raw"))
        .isEqualTo(
            "*raw\n"
                + ":OPSKIT-web - [0:0]\n"
                + "-A OPSKIT-web -s 198.18.1.0/24 -j RETURN\n"
                + "-A OPSKIT-web -j DROP\n"
                + "-I PREROUTING 1 -p tcp -m tcp --dport 30001 -m addrtype --dst-type LOCAL -j OPSKIT-web\n"
                + "COMMIT\n");
    assertThat(plan.changes()).hasSize(2);
    assertThat(plan.render()).contains("create chain OPSKIT-web (2 rules)").contains("insert jump");
  }

  @Test
  void planOfAppliedStateIsEmpty() {
    IptablesRuleSet desired = desired("web", "198.18.1.0/24", "198.19.0.7");
    String applied =
        "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:OPSKIT-web - [0:0]\n"
            + ":cali-PREROUTING - [0:0]\n"
            + "-A PREROUTING -j cali-PREROUTING\n"
            + "-A PREROUTING -p tcp -m tcp --dport 30001 -m addrtype --dst-type LOCAL -j OPSKIT-web\n"
            + "-A OPSKIT-web -s 198.18.1.0/24 -j RETURN\n"
            + "-A OPSKIT-web -s 198.19.0.7/32 -j RETURN\n"
            + "-A OPSKIT-web -j DROP\nCOMMIT\n";
    IptablesPlan plan = IptablesPlan.of(IptablesRuleSet.parse(IpFamily.IPV4, applied), desired);
    assertThat(plan.isEmpty()).isTrue();
    assertThat(plan.restoreInputs()).isEmpty();
    assertThat(plan.render()).contains("no changes");
  }

  @Test
  void changedChainIsReplacedAndJumpKept() {
    IptablesRuleSet before = IptablesRuleSet.parse(IpFamily.IPV4, FOREIGN + "").ownedPart("web");
    IptablesRuleSet observed =
        IptablesRuleSet.parse(
            IpFamily.IPV4,
            desired("web", "198.18.1.0/24")
                .render()
                .replace("*raw\n", "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"));
    assertThat(before.tables()).isEmpty();
    IptablesPlan plan = IptablesPlan.of(observed, desired("web", "198.18.2.0/24"));
    assertThat(plan.restoreInputs().get("raw"))
        .isEqualTo(
            "*raw\n:OPSKIT-web - [0:0]\n-A OPSKIT-web -s 198.18.2.0/24 -j RETURN\n"
                + "-A OPSKIT-web -j DROP\nCOMMIT\n");
    assertThat(plan.changes()).containsExactly("raw: replace chain OPSKIT-web (2 rules)");
  }

  @Test
  void removalDeletesJumpsThenChainsOfThatOwnerOnly() {
    String observed =
        "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:OPSKIT-web - [0:0]\n:OPSKIT-api - [0:0]\n"
            + "-A PREROUTING -p tcp -m tcp --dport 30001 -j OPSKIT-web\n"
            + "-A PREROUTING -p tcp -m tcp --dport 30002 -j OPSKIT-api\n"
            + "-A OPSKIT-web -j DROP\n-A OPSKIT-api -j DROP\nCOMMIT\n";
    IptablesPlan plan =
        IptablesPlan.of(
            IptablesRuleSet.parse(IpFamily.IPV4, observed),
            IptablesRuleSet.empty(IpFamily.IPV4, "web"));
    assertThat(plan.restoreInputs().get("raw"))
        .isEqualTo(
            "*raw\n:OPSKIT-web - [0:0]\n-D PREROUTING -p tcp -m tcp --dport 30001 -j OPSKIT-web\n"
                + "-X OPSKIT-web\nCOMMIT\n");
    assertThat(plan.restoreInputs().get("raw")).doesNotContain("api");
  }

  @Test
  void movingTablesDeletesTheOldOne() throws IOException {
    String observed = desired("web", "198.18.1.0/24").render();
    Rule jump =
        Rule.of(
            List.of(
                Match.protocol("tcp"), Match.conntrackOriginalDestinationPort(PortRange.of(30001))),
            Target.jump("OPSKIT-web"));
    IptablesRuleSet filter =
        IptablesRuleSet.builder()
            .owner("web")
            .addTables(
                Table.of(
                    "filter",
                    Chain.of("INPUT", jump),
                    Chain.of("FORWARD", jump),
                    Chain.of("OPSKIT-web", Rule.of(Target.drop()))))
            .build();
    IptablesPlan plan = IptablesPlan.of(IptablesRuleSet.parse(IpFamily.IPV4, observed), filter);
    assertThat(plan.restoreInputs()).containsOnlyKeys("raw", "filter");
    assertThat(plan.restoreInputs().get("raw")).contains("-X OPSKIT-web").contains("-D PREROUTING");
    assertThat(plan.restoreInputs().get("filter"))
        .contains(
            "-I INPUT 1 -p tcp -m conntrack --ctstate DNAT --ctorigdstport 30001 --ctdir ORIGINAL -j OPSKIT-web")
        .contains("-I FORWARD 1");
  }

  @Test
  void goldenForeignRulesNeverAppearInAPlan() throws IOException {
    IptablesRuleSet observed =
        IptablesRuleSet.parse(IpFamily.IPV4, IptablesRuleSetParseTest.golden("nft-v4.rules"));
    IptablesPlan plan = IptablesPlan.of(observed, IptablesRuleSet.empty(IpFamily.IPV4, "NP"));
    String all = String.join("", plan.restoreInputs().values());
    assertThat(all).doesNotContain("KUBE").doesNotContain("cali").doesNotContain(":INPUT");
    assertThat(all).contains("-X OPSKIT-NP-web").contains("-X OPSKIT-NP-raw");
    assertThat(all).contains("-D FORWARD -p udp -m multiport --sports 53,123 -g OPSKIT-NP-web");
  }

  @Test
  void desiredMustBeOwnedAndSameFamily() {
    assertThatThrownBy(
            () ->
                IptablesPlan.of(
                    IptablesRuleSet.parse(IpFamily.IPV4, FOREIGN),
                    IptablesRuleSet.parse(IpFamily.IPV4, FOREIGN)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("owner");
    assertThatThrownBy(
            () ->
                IptablesPlan.of(
                    IptablesRuleSet.parse(IpFamily.IPV4, FOREIGN),
                    IptablesRuleSet.empty(IpFamily.IPV6, "web")))
        .hasMessageContaining("IPV6");
  }
}
