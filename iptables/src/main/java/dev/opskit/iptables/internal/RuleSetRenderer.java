package dev.opskit.iptables.internal;

import dev.opskit.iptables.Chain;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.Rule;
import dev.opskit.iptables.Table;
import java.util.ArrayList;
import java.util.List;

/** Renders rule sets as iptables-restore input and as argv commands. */
public final class RuleSetRenderer {
  private RuleSetRenderer() {}

  /** The iptables-restore input for a whole rule set. */
  public static String render(IptablesRuleSet set) {
    StringBuilder out = new StringBuilder();
    for (Table table : set.tables()) {
      out.append('*').append(table.name()).append('\n');
      for (Chain chain : table.chains()) {
        if (chain.policy().isPresent()) {
          out.append(':').append(chain.name()).append(' ').append(chain.policy().get());
          out.append(" [0:0]\n");
        } else if (!table.isBuiltin(chain.name())) {
          out.append(':').append(chain.name()).append(" - [0:0]\n");
        }
      }
      for (Chain chain : table.chains()) {
        for (Rule rule : chain.rules()) {
          out.append(ruleLine("-A", chain.name(), rule)).append('\n');
        }
      }
      out.append("COMMIT\n");
    }
    return out.toString();
  }

  /** {@code -A CHAIN SPEC} (or another verb) as one restore line. */
  public static String ruleLine(String verb, String chain, Rule rule) {
    String spec = rule.spec();
    return spec.isEmpty() ? verb + " " + chain : verb + " " + chain + " " + spec;
  }

  /** One argv per change: policies, chain creations, appended rules. */
  public static List<List<String>> commands(IptablesRuleSet set) {
    String program = set.family().command();
    List<List<String>> commands = new ArrayList<>();
    for (Table table : set.tables()) {
      for (Chain chain : table.chains()) {
        if (chain.policy().isPresent()) {
          commands.add(
              List.of(program, "-w", "-t", table.name(), "-P", chain.name(), chain.policy().get()));
        } else if (!table.isBuiltin(chain.name())) {
          commands.add(List.of(program, "-w", "-t", table.name(), "-N", chain.name()));
        }
      }
      for (Chain chain : table.chains()) {
        for (Rule rule : chain.rules()) {
          List<String> argv =
              new ArrayList<>(List.of(program, "-w", "-t", table.name(), "-A", chain.name()));
          for (String token : rule.tokens()) {
            argv.add(Tokens.unquote(token));
          }
          commands.add(List.copyOf(argv));
        }
      }
    }
    return commands;
  }
}
