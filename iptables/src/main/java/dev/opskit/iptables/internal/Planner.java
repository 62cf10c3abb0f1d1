package dev.opskit.iptables.internal;

import dev.opskit.iptables.Chain;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.Rule;
import dev.opskit.iptables.Table;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The pure planning function behind {@link IptablesPlan#of}. */
public final class Planner {
  private Planner() {}

  /** Plans observed → desired for the desired set's owner. */
  public static IptablesPlan plan(IptablesRuleSet observed, IptablesRuleSet desired) {
    String owner =
        desired
            .owner()
            .orElseThrow(
                () -> new IllegalArgumentException("the desired rule set must name an owner"));
    if (observed.family() != desired.family()) {
      throw new IllegalArgumentException(
          "observed " + observed.family() + " and desired " + desired.family() + " sets differ");
    }
    IptablesRuleSet current = observed.ownedPart(owner);
    Set<String> tableNames = new LinkedHashSet<>();
    current.tables().forEach(t -> tableNames.add(t.name()));
    desired.tables().forEach(t -> tableNames.add(t.name()));
    IptablesPlan.Builder plan = IptablesPlan.builder().family(desired.family()).owner(owner);
    for (String name : tableNames) {
      Table before = current.table(name).orElse(Table.of(name));
      Table after = desired.table(name).orElse(Table.of(name));
      planTable(name, before, after, plan);
    }
    return plan.build();
  }

  private static void planTable(String name, Table before, Table after, IptablesPlan.Builder plan) {
    List<String> changes = new ArrayList<>();
    List<String> declare = new ArrayList<>();
    List<String> deleteJumps = new ArrayList<>();
    List<String> fill = new ArrayList<>();
    List<String> insertJumps = new ArrayList<>();
    List<String> deleteChains = new ArrayList<>();

    Map<String, Chain> beforeOwned = owned(before);
    Map<String, Chain> afterOwned = owned(after);
    for (Chain chain : afterOwned.values()) {
      Chain old = beforeOwned.get(chain.name());
      if (old == null || !old.rules().equals(chain.rules())) {
        declare.add(":" + chain.name() + " - [0:0]");
        for (Rule rule : chain.rules()) {
          fill.add(RuleSetRenderer.ruleLine("-A", chain.name(), rule));
        }
        changes.add(
            name
                + ": "
                + (old == null ? "create" : "replace")
                + " chain "
                + chain.name()
                + " ("
                + chain.rules().size()
                + " rules)");
      }
    }
    for (Chain chain : beforeOwned.values()) {
      if (!afterOwned.containsKey(chain.name())) {
        declare.add(":" + chain.name() + " - [0:0]");
        deleteChains.add("-X " + chain.name());
        changes.add(name + ": delete chain " + chain.name());
      }
    }
    Set<String> builtins = new LinkedHashSet<>(Table.builtinChains(name));
    for (String builtin : builtins) {
      List<Rule> oldJumps = before.chain(builtin).map(Chain::rules).orElse(List.of());
      List<Rule> newJumps = after.chain(builtin).map(Chain::rules).orElse(List.of());
      if (oldJumps.equals(newJumps)) {
        continue;
      }
      for (Rule rule : oldJumps) {
        deleteJumps.add(RuleSetRenderer.ruleLine("-D", builtin, rule));
        changes.add(name + ": delete jump from " + builtin + ": " + rule.spec());
      }
      for (int i = newJumps.size() - 1; i >= 0; i--) {
        insertJumps.add(RuleSetRenderer.ruleLine("-I", builtin + " 1", newJumps.get(i)));
      }
      for (Rule rule : newJumps) {
        changes.add(name + ": insert jump at the top of " + builtin + ": " + rule.spec());
      }
    }
    if (changes.isEmpty()) {
      return;
    }
    StringBuilder input = new StringBuilder("*").append(name).append('\n');
    for (List<String> part : List.of(declare, deleteJumps, fill, insertJumps, deleteChains)) {
      part.forEach(line -> input.append(line).append('\n'));
    }
    input.append("COMMIT\n");
    plan.addAllChanges(changes).putRestoreInputs(name, input.toString());
  }

  private static Map<String, Chain> owned(Table table) {
    Map<String, Chain> chains = new LinkedHashMap<>();
    for (Chain chain : table.chains()) {
      if (!table.isBuiltin(chain.name())) {
        chains.put(chain.name(), chain);
      }
    }
    return chains;
  }
}
