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
        rule(Target.goTo("OPSKIT-rt-sub")),
        rule(
            Target.accept(),
            Match.source("198.18.0.0/15").negate(),
            Match.inInterface("veth+").negate(),
            Match.protocol("udp").negate()),
        rule(
            Target.accept(), Match.protocol("udp"), Match.sourcePort("udp", PortRange.fromZero(4))),
        rule(
            Target.accept(),
            Match.protocol("tcp"),
            Match.of(
                PortMatch.builder()
                    .protocol("tcp")
                    .sourcePort(PortRange.of(22))
                    .sourcePortNegated(true)
                    .destinationPort(PortRange.of(30000, 30010))
                    .tcpFlagsMask(EnumSet.of(PortMatch.TcpFlag.SYN, PortMatch.TcpFlag.ACK))
                    .tcpFlagsSet(EnumSet.of(PortMatch.TcpFlag.SYN))
                    .tcpFlagsNegated(true)
                    .build())),
        rule(
            Target.drop(),
            Match.protocol("udp"),
            Match.of(
                MultiportMatch.builder()
                    .protocol("udp")
                    .direction(MultiportMatch.Direction.EITHER)
                    .negated(true)
                    .addPorts(PortRange.of(53), PortRange.of(1024, 2048))
                    .build())),
        rule(
            Target.drop(),
            Match.of(
                ConntrackMatch.builder()
                    .addStates(ConntrackState.RELATED, ConntrackState.ESTABLISHED)
                    .statesNegated(true)
                    .protocol(6)
                    .originalSource("198.18.1.7")
                    .originalDestination("198.18.0.0/24")
                    .originalDestinationNegated(true)
                    .replySource("198.18.2.2")
                    .replyDestination("198.18.3.0/24")
                    .originalSourcePort(PortRange.fromZero(4))
                    .originalDestinationPort(PortRange.of(30001))
                    .replySourcePort(PortRange.of(8080))
                    .replyDestinationPort(PortRange.of(1024, 65535))
                    .addStatuses(ConntrackMatch.Status.ASSURED)
                    .expireMin(10L)
                    .expireMax(20L)
                    .direction(Match.ConntrackDirection.REPLY)
                    .build())),
        rule(
            Target.accept(),
            Match.of(
                AddrtypeMatch.builder()
                    .addSourceTypes(AddrtypeMatch.Type.LOCAL)
                    .sourceTypesNegated(true)
                    .addDestinationTypes(AddrtypeMatch.Type.UNICAST, AddrtypeMatch.Type.LOCAL)
                    .limitInterfaceIn(true)
                    .build())),
        rule(
            Target.accept(),
            Match.of(StateMatch.builder().addStates(ConntrackState.NEW).negated(true).build()),
            Match.of(MarkMatch.packet(0x4000, 0x4000)),
            Match.of(MarkMatch.builder().connection(true).value(7).negated(true).build())),
        rule(Target.accept(), Match.of(StatisticMatch.random(1.0 / 3))),
        rule(
            Target.accept(),
            Match.of(StatisticMatch.builder().every(5).packet(2).negated(true).build())),
        rule(
            Target.drop(),
            Match.of(
                RecentMatch.builder()
                    .action(RecentMatch.Action.UPDATE)
                    .seconds(60)
                    .hitCount(4)
                    .rttl(true)
                    .name("opskit-rt")
                    .mask("255.255.255.0")
                    .destination(true)
                    .build())),
        rule(Target.accept(), Match.of(PhysdevMatch.builder().in("veth0").inNegated(true).build())),
        rule(Target.accept(), Match.of(LimitMatch.of(60, "minute", 10))),
        rule(
            Target.drop(),
            Match.of(
                HashlimitMatch.builder()
                    .above(true)
                    .rate("40/sec")
                    .burst("20")
                    .addModes("srcip", "dstport")
                    .name("opskit-rt")
                    .htableExpire(2000L)
                    .build())),
        rule(Target.of(MarkTarget.orMark(0x4000))),
        rule(Target.of(MarkTarget.xorMark(0x4000))),
        rule(Target.of(MarkTarget.setMark(0x10))),
        rule(
            Target.of(
                MarkTarget.builder()
                    .connection(true)
                    .mode(MarkTarget.Mode.SAVE)
                    .nfmask(0xff)
                    .build())),
        rule(
            Target.of(
                LogTarget.builder()
                    .prefix("rt: ")
                    .level(7)
                    .logTcpSequence(true)
                    .logTcpOptions(true)
                    .logIpOptions(true)
                    .logUid(true)
                    .build())));
  }

  private static List<Rule> ipv4NatRules() {
    return List.of(
        rule(
            Target.of(NatTarget.dnat("198.18.2.2", PortRange.of(8080))),
            Match.protocol("tcp"),
            Match.destinationPort("tcp", PortRange.of(30001))),
        rule(
            Target.of(
                NatTarget.builder()
                    .kind(NatTarget.Kind.SNAT)
                    .addresses("198.18.5.1-198.18.5.9")
                    .random(true)
                    .persistent(true)
                    .build())),
        rule(
            Target.of(
                NatTarget.builder()
                    .kind(NatTarget.Kind.MASQUERADE)
                    .ports(PortRange.of(1024, 2048))
                    .randomFully(true)
                    .build()),
            Match.protocol("udp")),
        rule(
            Target.of(
                NatTarget.builder()
                    .kind(NatTarget.Kind.REDIRECT)
                    .ports(PortRange.of(8080))
                    .build()),
            Match.protocol("tcp")));
  }

  private static List<Rule> rawRules() {
    return List.of(
        rule(Target.of(CtTarget.ofNotrack()), Match.protocol("udp")),
        rule(Target.of(CtTarget.builder().notrack(true).build())),
        rule(Target.of(CtTarget.builder().zone(7).addEvents("new", "destroy").build())));
  }

  private static List<Rule> ipv6Rules() {
    return List.of(
        rule(Target.accept(), Match.protocol("tcp"), Match.source("fd00:198:18::/64")),
        rule(Target.drop(), Match.destination("fd00:198:18::7/128")),
        rule(Target.accept(), Match.protocol("ipv6-icmp")),
        rule(Target.reject("icmp6-port-unreachable")),
        rule(Target.reject("tcp-reset"), Match.protocol("tcp")),
        rule(Target.log("v6 ", 4)),
        rule(Target.drop(), Match.source("2001:db8::/32").negate()),
        rule(
            Target.accept(),
            Match.of(
                ConntrackMatch.builder()
                    .originalSource("2001:db8::7")
                    .replyDestination("2001:db8:1::/48")
                    .build())),
        rule(
            Target.drop(),
            Match.of(
                RecentMatch.builder()
                    .action(RecentMatch.Action.CHECK)
                    .mask("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
                    .build())),
        rule(Target.reject("icmp6-adm-prohibited"), Match.protocol("tcp").negate()));
  }

  private static List<Rule> ipv6NatRules() {
    return List.of(
        rule(
            Target.of(NatTarget.dnat("2001:db8::2", PortRange.of(8080))),
            Match.protocol("tcp"),
            Match.destinationPort("tcp", PortRange.of(30001))));
  }

  private static IptablesRuleSet ruleSet(IpFamily family, List<Rule> rules, List<Rule> nat) {
    return IptablesRuleSet.builder()
        .family(family)
        .owner("rt")
        .addTables(
            Table.of(
                "filter",
                Chain.of("OPSKIT-rt", rules),
                Chain.of("OPSKIT-rt-sub", Rule.of(Target.returnToCaller()))),
            Table.of("nat", Chain.of("OPSKIT-rt", nat)),
            Table.of("raw", Chain.of("OPSKIT-rt", rawRules())))
        .build();
  }

  @ParameterizedTest
  @EnumSource(IptablesBackend.class)
  void everyTypedRuleReadsBackAsWritten(IptablesBackend backend) throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      IptablesApplier applier =
          TestAppliers.builder(net.executor(net.namespace("rt"))).backend(backend).build();
      IptablesRuleSet v4 = ruleSet(IpFamily.IPV4, ipv4Rules(), ipv4NatRules());
      IptablesRuleSet v6 = ruleSet(IpFamily.IPV6, ipv6Rules(), ipv6NatRules());

      IptablesApplyResult applied = applier.apply(v4, v6);

      assertThat(applied.verified()).isTrue();
      for (IptablesRuleSet set : List.of(v4, v6)) {
        IptablesRuleSet observed = applier.observe(set.family());
        for (String table : List.of("filter", "nat", "raw")) {
          Chain live = observed.table(table).orElseThrow().chain("OPSKIT-rt").orElseThrow();
          assertThat(live.rules())
              .as(set.family() + " " + table)
              .containsExactlyElementsOf(
                  set.table(table).orElseThrow().chain("OPSKIT-rt").orElseThrow().rules());
          for (Rule rule : live.rules()) {
            assertThat(rule.matches()).noneMatch(m -> m.kind() == Match.Kind.OTHER);
            assertThat(rule.target()).isPresent().get().matches(t -> t.kind() != Target.Kind.OTHER);
          }
        }
      }
      assertThat(applier.apply(v4, v6).changed()).isFalse();
    }
  }
}
