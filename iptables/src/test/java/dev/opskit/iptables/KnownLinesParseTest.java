package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.iptables.internal.RuleSetParser;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The parse path that takes known rule lines from the desired sets instead of parsing them again
 * must give exactly what the full parse gives.
 */
class KnownLinesParseTest {

  @ParameterizedTest
  @ValueSource(strings = {"nft-v4.rules", "legacy-v4.rules", "nft-v6.rules", "legacy-v6.rules"})
  void goldenFilesParseTheSameWithTheirOwnLinesKnown(String file) throws IOException {
    String saved = IptablesRuleSetParseTest.golden(file);
    IptablesRuleSet parsed = IptablesRuleSet.parse(saved);
    Map<String, Rule> known = RuleSetParser.knownLines(List.of(parsed));
    assertThat(known).isNotEmpty();
    IptablesRuleSet hinted = RuleSetParser.parse(parsed.family(), saved, known);
    assertThat(hinted).isEqualTo(parsed);
    assertThat(hinted.render()).isEqualTo(IptablesRuleSetParseTest.withoutComments(saved));
  }

  @ParameterizedTest
  @EnumSource(value = NodePortAllowlist.Mode.class, names = "AUTO", mode = EnumSource.Mode.EXCLUDE)
  void allowlistRulesRoundTripThroughTheKnownPath(NodePortAllowlist.Mode mode) {
    for (boolean ipset : new boolean[] {false, true}) {
      NodePortAllowlist list =
          NodePortAllowlist.builder()
              .name("web")
              .mode(mode)
              .addPorts(PortRange.of(30001), PortRange.of(30100, 30200))
              .addProtocols("tcp", "udp")
              .addAllowedCidrs("198.18.1.0/24", "198.19.7.7", "fd00:198:18::/64")
              .useIpset(ipset)
              .build();
      for (IpFamily family : list.families()) {
        IptablesRuleSet desired = list.ruleSet(family);
        String text = desired.render();
        Map<String, Rule> known = RuleSetParser.knownLines(List.of(desired));
        assertThat(known).hasSize(countRules(desired));
        IptablesRuleSet plain = IptablesRuleSet.parse(family, text);
        IptablesRuleSet hinted = RuleSetParser.parse(family, text, known);
        assertThat(hinted).isEqualTo(plain);
        assertThat(IptablesPlan.of(hinted, desired).isEmpty()).isTrue();
      }
    }
  }

  @Test
  void rulesWrittenAsRawTokensAreNotTakenAsKnown() {
    Rule raw = Rule.of(List.of(Match.other("-s", "198.18.0.1/32")), Target.other("-j", "RETURN"));
    IptablesRuleSet desired =
        IptablesRuleSet.builder()
            .owner("web")
            .addTables(Table.of("raw", Chain.of("OPSKIT-web", raw, Rule.of(Target.drop()))))
            .build();
    Map<String, Rule> known = RuleSetParser.knownLines(List.of(desired));
    assertThat(known).containsOnlyKeys("-A OPSKIT-web -j DROP");
    // the saved line parses to the typed rule, which differs from the raw-token rule, so the plan
    // still sees a difference rather than a false match
    IptablesRuleSet hinted = RuleSetParser.parse(IpFamily.IPV4, desired.render(), known);
    Rule parsed =
        hinted.table("raw").orElseThrow().chain("OPSKIT-web").orElseThrow().rules().get(0);
    assertThat(parsed).isNotEqualTo(raw);
    assertThat(parsed.matches()).extracting(Match::kind).containsExactly(Match.Kind.SOURCE);
  }

  @Test
  void aKnownLineInAnUndeclaredChainIsStillAnError() {
    Rule drop = Rule.of(Target.drop());
    Map<String, Rule> known = Map.of("-A OPSKIT-x -j DROP", drop);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> RuleSetParser.parse(IpFamily.IPV4, "*raw\n-A OPSKIT-x -j DROP\nCOMMIT\n", known))
        .isInstanceOf(IptablesParseException.class)
        .hasMessageContaining("not declared");
  }

  private static int countRules(IptablesRuleSet set) {
    int count = 0;
    for (Table table : set.tables()) {
      for (Chain chain : table.chains()) {
        count += chain.rules().size();
      }
    }
    return count;
  }
}
