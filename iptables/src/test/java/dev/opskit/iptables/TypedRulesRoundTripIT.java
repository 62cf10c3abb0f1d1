package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every typed match and target, applied through the real kernel and read back: iptables-save must
 * print each rule exactly as opskit renders it, or verification would fail and roll back every
 * apply that uses it. Runs on both backends.
 */
@Privileged(tools = {"ip", "iptables", "ip6tables", "iptables-legacy", "ip6tables-legacy"})
class TypedRulesRoundTripIT {

  private static Rule rule(Target target, Match... matches) {
    return Rule.of(List.of(matches), target);
  }

  private static List<Rule> ipv4Rules() {
    return List.of(
        rule(Target.accept(), Match.protocol("tcp"), Match.source("198.18.0.0/15")),
        rule(Target.drop(), Match.protocol("udp"), Match.destination("198.18.7.7/32")),
        rule(Target.returnToCaller(), Match.protocol("icmp"), Match.inInterface("lo")),
        rule(Target.accept(), Match.outInterface("veth+")),
        rule(
            Target.accept(),
            Match.protocol("tcp"),
            Match.destinationPort("tcp", PortRange.of(30001))),
        rule(
            Target.accept(),
            Match.protocol("udp"),
            Match.sourcePort("udp", PortRange.of(1024, 65535))),
        rule(
            Target.accept(),
            Match.protocol("tcp"),
            Match.destinationPorts("tcp", List.of(PortRange.of(80), PortRange.of(8000, 8080)))),
        rule(
            Target.accept(),
            Match.protocol("sctp"),
            Match.sourcePorts("sctp", List.of(PortRange.of(9), PortRange.of(19)))),
        rule(
            Target.accept(),
            Match.conntrackState(EnumSet.of(ConntrackState.RELATED, ConntrackState.ESTABLISHED))),
        rule(Target.drop(), Match.conntrackOriginalDestinationPort(PortRange.of(30001))),
        rule(
            Target.drop(),
            Match.conntrack(
                EnumSet.of(ConntrackState.DNAT),
                Optional.of(PortRange.of(30000, 30010)),
                Optional.of(Match.ConntrackDirection.ORIGINAL))),
        rule(Target.accept(), Match.destinationAddressType("LOCAL")),
        rule(Target.drop(), Match.sourceAddressType("BROADCAST")),
        rule(Target.accept(), Match.comment("web"), Match.comment("it's \"quoted\" \\ $(x)")),
        rule(Target.reject()),
        rule(Target.reject("tcp-reset"), Match.protocol("tcp")),
        rule(Target.reject("icmp-admin-prohibited")),
        rule(Target.log("", 4)),
        rule(Target.log("opskit: ", 6)),
        rule(Target.jump("OPSKIT-rt-sub")),
        rule(Target.goTo("OPSKIT-rt-sub")));
  }

  private static List<Rule> ipv6Rules() {
    return List.of(
        rule(Target.accept(), Match.protocol("tcp"), Match.source("fd00:198:18::/64")),
        rule(Target.drop(), Match.destination("fd00:198:18::7/128")),
        rule(Target.accept(), Match.protocol("ipv6-icmp")),
        rule(Target.reject("icmp6-port-unreachable")),
        rule(Target.reject("tcp-reset"), Match.protocol("tcp")),
        rule(Target.log("v6 ", 4)));
  }

  private static IptablesRuleSet ruleSet(IpFamily family, List<Rule> rules) {
    return IptablesRuleSet.builder()
        .family(family)
        .owner("rt")
        .addTables(
            Table.of(
                "filter",
                Chain.of("OPSKIT-rt", rules),
                Chain.of("OPSKIT-rt-sub", Rule.of(Target.returnToCaller()))))
        .build();
  }

  @ParameterizedTest
  @EnumSource(IptablesBackend.class)
  void everyTypedRuleReadsBackAsWritten(IptablesBackend backend) throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      IptablesApplier applier =
          IptablesApplier.builder(net.executor(net.namespace("rt"))).backend(backend).build();
      IptablesRuleSet v4 = ruleSet(IpFamily.IPV4, ipv4Rules());
      IptablesRuleSet v6 = ruleSet(IpFamily.IPV6, ipv6Rules());

      IptablesApplyResult applied = applier.apply(v4, v6);

      assertThat(applied.verified()).isTrue();
      for (IptablesRuleSet set : List.of(v4, v6)) {
        Chain live =
            applier.observe(set.family()).table("filter").orElseThrow().chain("OPSKIT-rt").get();
        assertThat(live.rules())
            .containsExactlyElementsOf(
                set.table("filter").orElseThrow().chain("OPSKIT-rt").orElseThrow().rules());
      }
      assertThat(applier.apply(v4, v6).changed()).isFalse();
    }
  }
}
