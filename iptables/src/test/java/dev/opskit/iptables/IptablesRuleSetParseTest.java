package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IptablesRuleSetParseTest {

  static String golden(String name) throws IOException {
    try (InputStream in = IptablesRuleSetParseTest.class.getResourceAsStream("/golden/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** iptables-save output without its comment lines: what render() must reproduce exactly. */
  static String withoutComments(String saved) {
    return saved
        .lines()
        .filter(l -> !l.startsWith("#"))
        .collect(Collectors.joining("\n", "", "\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"nft-v4.rules", "legacy-v4.rules", "nft-v6.rules", "legacy-v6.rules"})
  void goldenFilesRenderBackByteForByte(String file) throws IOException {
    String saved = golden(file);
    IptablesRuleSet parsed = IptablesRuleSet.parse(saved);
    assertThat(parsed.render()).isEqualTo(withoutComments(saved));
    assertThat(IptablesRuleSet.parse(parsed.family(), parsed.render())).isEqualTo(parsed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"nft-v4.rules", "legacy-v4.rules"})
  void goldenIpv4RulesAreTyped(String file) throws IOException {
    IptablesRuleSet parsed = IptablesRuleSet.parse(golden(file));
    assertThat(parsed.family()).isEqualTo(IpFamily.IPV4);
    assertThat(parsed.tables()).extracting(Table::name).contains("filter", "nat", "raw", "mangle");
    Chain prerouting = parsed.table("raw").orElseThrow().chain("PREROUTING").orElseThrow();
    assertThat(prerouting.policy()).contains("ACCEPT");
    Rule jump = prerouting.rules().get(0);
    assertThat(jump.matches())
        .containsExactly(
            Match.protocol("tcp"),
            Match.destinationPort("tcp", PortRange.of(30001)),
            Match.destinationAddressType("LOCAL"));
    assertThat(jump.target()).contains(Target.jump("OPSKIT-NP-raw"));

    Table filter = parsed.table("filter").orElseThrow();
    List<Rule> input = filter.chain("INPUT").orElseThrow().rules();
    assertThat(input.get(1).matches())
        .containsExactly(
            Match.source("198.18.0.0/24"),
            Match.inInterface("lo"),
            Match.protocol("tcp"),
            Match.destinationPort("tcp", PortRange.of(22)));
    assertThat(input.get(3).matches())
        .containsExactly(
            Match.protocol("tcp"), Match.conntrackOriginalDestinationPort(PortRange.of(30001)));
    List<Rule> owned = filter.chain("OPSKIT-NP-web").orElseThrow().rules();
    assertThat(owned.get(0).matches()).contains(Match.comment("allow office"));
    assertThat(owned.get(2).target()).contains(Target.log("opskit drop: ", 4));
    assertThat(filter.chain("OPSKIT-NP-web").orElseThrow().policy()).isEmpty();
    List<Rule> output = filter.chain("OUTPUT").orElseThrow().rules();
    assertThat(output.get(1).matches())
        .contains(
            Match.destinationPorts(
                "tcp", List.of(PortRange.of(80), PortRange.of(443), PortRange.of(8000, 8080))));
    assertThat(output.get(1).target()).contains(Target.reject("tcp-reset"));
    assertThat(output.get(2).matches()).contains(Match.comment("say \"hi\""));
    assertThat(output.get(2).matches().get(0))
        .isEqualTo(Match.destination("198.18.0.0/15").negate());
    List<Rule> forward = filter.chain("FORWARD").orElseThrow().rules();
    assertThat(forward.get(2).target()).contains(Target.goTo("OPSKIT-NP-web"));
    assertThat(forward.get(1).target()).contains(Target.log("fwd ", 6));

    Rule dnat = parsed.table("nat").orElseThrow().chain("PREROUTING").orElseThrow().rules().get(0);
    assertThat(dnat.target()).contains(Target.of(NatTarget.dnat("198.18.2.2", PortRange.of(8080))));
    assertThat(dnat.spec())
        .isEqualTo(
            "-p tcp -m tcp --dport 30001 -m addrtype --dst-type LOCAL -j DNAT --to-destination"
                + " 198.18.2.2:8080");
    Rule mangle =
        parsed.table("mangle").orElseThrow().chain("PREROUTING").orElseThrow().rules().get(0);
    assertThat(
            mangle
                .matches()
                .get(1)
                .extension(PortMatch.class)
                .orElseThrow()
                .destinationPortNegated())
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"nft-v6.rules", "legacy-v6.rules"})
  void goldenIpv6RulesAreTyped(String file) throws IOException {
    IptablesRuleSet parsed = IptablesRuleSet.parse(golden(file));
    assertThat(parsed.family()).isEqualTo(IpFamily.IPV6);
    List<Rule> owned = parsed.table("raw").orElseThrow().chain("OPSKIT-web").orElseThrow().rules();
    assertThat(owned.get(0).matches()).containsExactly(Match.source("fd00:198:18:0::/64"));
    assertThat(owned.get(1).matches().get(0)).isEqualTo(Match.source("2001:db8::17"));
    assertThat(owned.get(2).matches()).containsExactly(Match.matchSet("opskit-web-v6", "src"));
    Rule reject = parsed.table("filter").orElseThrow().chain("INPUT").orElseThrow().rules().get(2);
    assertThat(reject.target()).contains(Target.reject("icmp6-adm-prohibited"));
  }

  @Test
  void countersAreAccepted() {
    String text =
        "*filter\n:INPUT DROP [12:3400]\n[5:300] -A INPUT -s 198.18.0.1/32 -j ACCEPT\nCOMMIT\n";
    IptablesRuleSet parsed = IptablesRuleSet.parse(IpFamily.IPV4, text);
    Chain input = parsed.table("filter").orElseThrow().chain("INPUT").orElseThrow();
    assertThat(input.policy()).contains("DROP");
    assertThat(input.rules())
        .containsExactly(Rule.of(List.of(Match.source("198.18.0.1")), Target.accept()));
  }

  @Test
  void parseErrorsCarryTheLineNumber() {
    assertThatThrownBy(
            () ->
                IptablesRuleSet.parse(
                    IpFamily.IPV4, "*filter\n:INPUT ACCEPT [0:0]\n-X INPUT\nCOMMIT\n"))
        .isInstanceOfSatisfying(
            IptablesParseException.class,
            e -> {
              assertThat(e.lineNumber()).isEqualTo(3);
              assertThat(e.line()).isEqualTo("-X INPUT");
            });
    assertThatThrownBy(
            () ->
                IptablesRuleSet.parse(IpFamily.IPV4, "# c\n*filter\n-A OPSKIT-x -j DROP\nCOMMIT\n"))
        .isInstanceOfSatisfying(
            IptablesParseException.class, e -> assertThat(e.lineNumber()).isEqualTo(3));
    assertThatThrownBy(() -> IptablesRuleSet.parse(IpFamily.IPV4, "*filter\n:INPUT ACCEPT [0:0]\n"))
        .isInstanceOfSatisfying(
            IptablesParseException.class, e -> assertThat(e.lineNumber()).isEqualTo(1));
    assertThatThrownBy(() -> IptablesRuleSet.parse(IpFamily.IPV4, "*bogus\nCOMMIT\n"))
        .isInstanceOf(IptablesParseException.class)
        .hasMessageContaining("bogus");
    assertThatThrownBy(
            () ->
                IptablesRuleSet.parse(
                    IpFamily.IPV4, "*filter\n-A INPUT -m comment --comment \"open\nCOMMIT\n"))
        .isInstanceOfSatisfying(
            IptablesParseException.class, e -> assertThat(e.lineNumber()).isEqualTo(2));
    assertThatThrownBy(() -> IptablesRuleSet.parse(IpFamily.IPV4, "-A INPUT -j DROP\n"))
        .isInstanceOfSatisfying(
            IptablesParseException.class, e -> assertThat(e.lineNumber()).isEqualTo(1));
  }

  @Test
  void aBareLogTargetIsTyped() {
    IptablesRuleSet parsed =
        IptablesRuleSet.parse(
            IpFamily.IPV4,
            "*filter\n:OPSKIT-x - [0:0]\n-A OPSKIT-x -j LOG\n-A OPSKIT-x -g OPSKIT-x\nCOMMIT\n");
    List<Rule> rules = parsed.table("filter").orElseThrow().chain("OPSKIT-x").orElseThrow().rules();
    assertThat(rules.get(0).target()).contains(Target.log("", 4));
    assertThat(rules.get(1).target()).contains(Target.goTo("OPSKIT-x"));
  }
}
