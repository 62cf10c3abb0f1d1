package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelValidationTest {

  @Test
  void chainNamesAreLimited() {
    assertThat(Chain.of("OPSKIT-" + "a".repeat(21)).name()).hasSize(28);
    assertThatThrownBy(() -> Chain.of("OPSKIT-" + "a".repeat(22)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("OPSKIT-aaaa")
        .hasMessageContaining("28");
    assertThatThrownBy(() -> Chain.of("BAD NAME"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'BAD NAME'");
    assertThatThrownBy(() -> Chain.of("-X")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Chain.builder().name("OPSKIT-a").policy("REJECT").build())
        .hasMessageContaining("REJECT");
  }

  @Test
  void cidrsAreValidatedAndNormalised() {
    assertThat(Match.source("198.18.1.5").tokens()).containsExactly("-s", "198.18.1.5/32");
    assertThat(Match.source("198.18.1.5/16").tokens()).containsExactly("-s", "198.18.0.0/16");
    assertThat(Match.destination("fd00:198:18:0:0:0:0:1").tokens())
        .containsExactly("-d", "fd00:198:18::1/128");
    for (String bad :
        List.of("198.18.0.256", "198.18.0.0/33", "fd00::/129", "host.example", "", "1.2.3.4/x")) {
      assertThatThrownBy(() -> Match.source(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void portsAreValidated() {
    assertThat(PortRange.parse("30000:30100")).isEqualTo(PortRange.of(30000, 30100));
    assertThatThrownBy(() -> PortRange.of(0)).hasMessageContaining("0");
    assertThatThrownBy(() -> PortRange.of(65536)).hasMessageContaining("65536");
    assertThatThrownBy(() -> PortRange.of(10, 5)).hasMessageContaining("10:5");
    assertThatThrownBy(() -> PortRange.parse("http")).hasMessageContaining("'http'");
    assertThatThrownBy(
            () ->
                Match.destinationPorts("tcp", java.util.Collections.nCopies(16, PortRange.of(80))))
        .hasMessageContaining("15");
  }

  @Test
  void commentsAreValidated() {
    assertThat(Match.comment("a \"b\"").tokens())
        .containsExactly("-m", "comment", "--comment", "\"a \\\"b\\\"\"");
    // quoted exactly as iptables-save prints them, so that they read back equal
    assertThat(Match.comment("allow_web-1").tokens()).endsWith("allow_web-1");
    assertThat(Match.comment("").tokens()).endsWith("\"\"");
    assertThat(Match.comment("it's a\\b").tokens()).endsWith("\"it\\'s a\\\\b\"");
    assertThat(Target.log("it's", 4).tokens()).contains("\"it\\'s\"");
    assertThatThrownBy(() -> Match.comment("x".repeat(257))).hasMessageContaining("257");
    assertThatThrownBy(() -> Match.comment("two\nlines")).hasMessageContaining("two\\nlines");
  }

  @Test
  void portMatchNeedsItsProtocol() {
    assertThatThrownBy(
            () -> Rule.of(List.of(Match.destinationPort("tcp", PortRange.of(80))), Target.accept()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-p tcp");
    assertThatThrownBy(
            () ->
                Rule.of(
                    List.of(Match.protocol("udp"), Match.destinationPort("tcp", PortRange.of(80))),
                    Target.accept()))
        .hasMessageContaining("-p udp");
  }

  @Test
  void basicMatchesComeFirstInSaveOrder() {
    Rule rule =
        Rule.of(
            List.of(
                Match.comment("c"),
                Match.protocol("tcp"),
                Match.destinationPort("tcp", PortRange.of(80)),
                Match.inInterface("eth0"),
                Match.source("198.18.0.0/24")),
            Target.accept());
    assertThat(rule.spec())
        .isEqualTo(
            "-s 198.18.0.0/24 -i eth0 -p tcp -m comment --comment c -m tcp --dport 80 -j ACCEPT");
  }

  @Test
  void targetsAreValidated() {
    assertThatThrownBy(() -> Target.reject("icmp-bogus")).hasMessageContaining("icmp-bogus");
    assertThatThrownBy(() -> Target.log("x".repeat(30), 4)).hasMessageContaining("29");
    assertThatThrownBy(() -> Target.log("", 8)).hasMessageContaining("8");
    assertThatThrownBy(() -> Target.jump("DNAT")).hasMessageContaining("DNAT");
    assertThat(Target.jump("KUBE-SERVICES").chain()).contains("KUBE-SERVICES");
  }

  @Test
  void familiesAreNotMixed() {
    Table table =
        Table.of(
            "filter", Chain.of("INPUT", Rule.of(List.of(Match.source("fd00::1")), Target.drop())));
    assertThatThrownBy(
            () -> IptablesRuleSet.builder().family(IpFamily.IPV4).addTables(table).build())
        .hasMessageContaining("fd00::1/128");
    Table reject = Table.of("filter", Chain.of("INPUT", Rule.of(Target.reject())));
    assertThatThrownBy(
            () -> IptablesRuleSet.builder().family(IpFamily.IPV6).addTables(reject).build())
        .hasMessageContaining("icmp-port-unreachable");
  }

  @Test
  void ownedSetsRejectForeignChains() {
    for (String foreign : List.of("KUBE-SERVICES", "cali-INPUT", "OPSKIT-other", "OPSKIT-webx")) {
      assertThatThrownBy(
              () ->
                  IptablesRuleSet.builder()
                      .owner("web")
                      .addTables(Table.of("filter", Chain.of(foreign, Rule.of(Target.drop()))))
                      .build())
          .as(foreign)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + foreign + "'");
    }
    assertThatThrownBy(
            () ->
                IptablesRuleSet.builder()
                    .owner("web")
                    .addTables(Table.of("filter", Chain.of("INPUT", Rule.of(Target.drop()))))
                    .build())
        .hasMessageContaining("must jump or go to a chain this set defines");
    assertThatThrownBy(
            () ->
                IptablesRuleSet.builder()
                    .owner("web")
                    .addTables(
                        Table.of("filter", Chain.builder().name("INPUT").policy("DROP").build()))
                    .build())
        .hasMessageContaining("policy");
    assertThatThrownBy(() -> IptablesRuleSet.empty(IpFamily.IPV4, "no-hyphen"))
        .hasMessageContaining("'no-hyphen'");
    assertThat(IptablesRuleSet.ownsChain("web", "OPSKIT-web-raw")).isTrue();
    assertThat(IptablesRuleSet.ownsChain("web", "OPSKIT-web2")).isFalse();
  }

  @Test
  void ownedSetRendersWithoutDeclaringBuiltinChains() {
    IptablesRuleSet set = IptablesPlanTest.desired("web", "198.18.1.0/24");
    assertThat(set.render())
        .isEqualTo(
            "*raw\n"
                + ":OPSKIT-web - [0:0]\n"
                + "-A PREROUTING -p tcp -m tcp --dport 30001 -m addrtype --dst-type LOCAL -j OPSKIT-web\n"
                + "-A OPSKIT-web -s 198.18.1.0/24 -j RETURN\n"
                + "-A OPSKIT-web -j DROP\n"
                + "COMMIT\n");
    assertThat(IptablesRuleSet.parse(IpFamily.IPV4, set.render()).ownedPart("web")).isEqualTo(set);
    assertThat(set.renderCommands())
        .containsExactly(
            List.of("iptables", "-w", "-t", "raw", "-N", "OPSKIT-web"),
            List.of(
                "iptables",
                "-w",
                "-t",
                "raw",
                "-A",
                "PREROUTING",
                "-p",
                "tcp",
                "-m",
                "tcp",
                "--dport",
                "30001",
                "-m",
                "addrtype",
                "--dst-type",
                "LOCAL",
                "-j",
                "OPSKIT-web"),
            List.of(
                "iptables",
                "-w",
                "-t",
                "raw",
                "-A",
                "OPSKIT-web",
                "-s",
                "198.18.1.0/24",
                "-j",
                "RETURN"),
            List.of("iptables", "-w", "-t", "raw", "-A", "OPSKIT-web", "-j", "DROP"));
  }

  @Test
  void typedExtensionsRefuseBadValuesNamingThem() {
    assertThatThrownBy(() -> Match.comment("x").negate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a basic match");
    assertThatThrownBy(
            () ->
                PortMatch.builder().protocol("udp").addTcpFlagsMask(PortMatch.TcpFlag.SYN).build())
        .hasMessageContaining("--tcp-flags needs protocol tcp, not udp");
    assertThatThrownBy(() -> StatisticMatch.random(1.5)).hasMessageContaining("1.5");
    assertThatThrownBy(() -> StatisticMatch.nth(3, 3)).hasMessageContaining("packet 3");
    assertThatThrownBy(() -> MarkMatch.packet(0x1_0000_0000L, 1))
        .hasMessageContaining("4294967296");
    assertThatThrownBy(
            () ->
                NatTarget.builder().kind(NatTarget.Kind.MASQUERADE).addresses("198.18.0.1").build())
        .hasMessageContaining("MASQUERADE takes ports");
    assertThatThrownBy(
            () -> NatTarget.builder().kind(NatTarget.Kind.DNAT).addresses("198.18.0.0/24").build())
        .hasMessageContaining("'198.18.0.0/24'");
    assertThatThrownBy(() -> HashlimitMatch.builder().rate("5/second").name("x").build())
        .hasMessageContaining("'5/second'");
    assertThatThrownBy(() -> CtTarget.builder().zone(70000).build()).hasMessageContaining("70000");
    assertThatThrownBy(() -> StateMatch.builder().addStates(ConntrackState.DNAT).build())
        .hasMessageContaining("DNAT");
    assertThatThrownBy(() -> LimitMatch.of(5, "fortnight", 5)).hasMessageContaining("'fortnight'");
    assertThatThrownBy(() -> AddrtypeMatch.builder().build())
        .hasMessageContaining("needs a source or destination type");
    assertThatThrownBy(() -> ConntrackMatch.builder().originalSource("198.18.0.300").build())
        .hasMessageContaining("'198.18.0.300'");
    assertThatThrownBy(() -> SetMatch.builder().name("x").addFlags("both").build())
        .hasMessageContaining("'both'");
    assertThatThrownBy(() -> PortRange.parseMatch("70000")).hasMessageContaining("70000");
    assertThatThrownBy(() -> PortRange.of(0)).hasMessageContaining("between 1 and 65535");
    assertThat(PortRange.parseMatch(":9")).isEqualTo(PortRange.fromZero(9));
  }

  @Test
  void aNegatedProtocolIsNotTheRulesProtocol() {
    assertThatThrownBy(
            () ->
                Rule.of(
                    List.of(
                        Match.protocol("tcp").negate(),
                        Match.destinationPort("tcp", PortRange.of(80))),
                    Target.drop()))
        .hasMessageContaining("needs the rule to match -p tcp");
    assertThat(Match.protocol("tcp").negate().negate()).isEqualTo(Match.protocol("tcp"));
  }
}
