package dev.opskit.iptables.internal;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IpsetSpec;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.internal.HostRead.SavedIpset;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How far an interrupted apply got on a host, told from what the host holds now. Each of the
 * apply's writes replaces whole units at once (an owner's chains in one table, one ipset), so on
 * the host the apply was written to, every unit holds its state from before the apply or the one it
 * was going to.
 *
 * @param untouched every unit holds its state from before: none of the writes arrived
 * @param foreign the first unit that holds neither state, when one does
 */
record JournalProgress(boolean untouched, Optional<String> foreign) {

  /** Compares what {@code read} found with both of {@code journal}'s states. */
  static JournalProgress of(Journal journal, HostRead read, HostBatches host) {
    Journal.State target = journal.target();
    Journal.State before = journal.before();
    boolean untouched = true;
    for (IpFamily family : journal.families()) {
      IptablesRuleSet saved = host.saved(read, family, Map.of());
      for (String owner : owners(family, target, before)) {
        Set<String> offTarget = differingTables(saved, ruleSet(target, family, owner));
        Set<String> offBefore = differingTables(saved, ruleSet(before, family, owner));
        for (String table : offBefore) {
          if (offTarget.contains(table)) {
            return new JournalProgress(
                false, Optional.of("the " + family + " " + table + " table's rules of " + owner));
          }
        }
        untouched &= offBefore.isEmpty();
      }
    }
    for (String name : journal.ipsetNames()) {
      SavedIpset saved = read.savedIpset(name);
      boolean atBefore = holds(before, name, saved);
      if (!atBefore && !holds(target, name, saved)) {
        return new JournalProgress(false, Optional.of("ipset " + name));
      }
      untouched &= atBefore;
    }
    return new JournalProgress(untouched, Optional.empty());
  }

  /** The owners of {@code family}'s rule sets in either state, each once. */
  private static Set<String> owners(IpFamily family, Journal.State... states) {
    Set<String> owners = new LinkedHashSet<>();
    for (Journal.State state : states) {
      state.ruleSets().stream()
          .filter(s -> s.family() == family)
          .forEach(s -> owners.add(s.owner().orElseThrow()));
    }
    return owners;
  }

  /** {@code owner}'s rules of {@code family} in {@code state}; none when it holds none. */
  private static IptablesRuleSet ruleSet(Journal.State state, IpFamily family, String owner) {
    return state.ruleSets().stream()
        .filter(s -> s.family() == family && s.owner().orElseThrow().equals(owner))
        .findFirst()
        .orElseGet(() -> IptablesRuleSet.empty(family, owner));
  }

  /** The tables where {@code saved} holds other rules of the owner than {@code owned}. */
  private static Set<String> differingTables(IptablesRuleSet saved, IptablesRuleSet owned) {
    return IptablesPlan.of(saved, owned).restoreInputs().keySet();
  }

  /** True when {@code saved} (null: absent) is what {@code state} says of ipset {@code name}. */
  private static boolean holds(Journal.State state, String name, SavedIpset saved) {
    for (IpsetSpec spec : state.ipsets()) {
      if (spec.name().equals(name)) {
        return saved != null && saved.holds(spec);
      }
    }
    return !state.absent().contains(name) || saved == null;
  }
}
