package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Planner;
import java.util.List;
import java.util.Map;
import org.immutables.value.Value;

/**
 * What it takes to go from an observed rule set to a desired owned one: a pure function of the two,
 * computed without touching any host. It only ever touches the chains the desired set's owner owns
 * and the jump rules into them; every other rule (kube-proxy's, Calico's, the admin's) is left
 * exactly as it is.
 *
 * <p>For each table that needs a change, {@link #restoreInputs()} holds one {@code iptables-restore
 * --noflush} input that declares only owned chains (declaring a chain flushes it), so a table is
 * updated atomically and nobody else's chain is flushed.
 *
 * <pre>{@code
 * IptablesPlan plan =
 *     IptablesPlan.of(IptablesRuleSet.parse(IpFamily.IPV4, saved), allowlist.ruleSet(IpFamily.IPV4));
 * if (!plan.isEmpty()) {
 *   System.out.println(plan.render());
 * }
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class IptablesPlan {
  IptablesPlan() {}

  /**
   * Plans the change from {@code observed} (typically parsed {@code iptables-save} output) to
   * {@code desired} (an owned set).
   *
   * @throws IllegalArgumentException when {@code desired} has no owner or the families differ
   */
  public static IptablesPlan of(IptablesRuleSet observed, IptablesRuleSet desired) {
    return Planner.plan(observed, desired);
  }

  /** A builder, for tests and tools that construct plans themselves. */
  public static Builder builder() {
    return new Builder();
  }

  /** The address family the plan applies to. */
  public abstract IpFamily family();

  /** The owner whose chains the plan changes. */
  public abstract String owner();

  /** One human-readable line per change, for example {@code raw: create chain OPSKIT-web}. */
  public abstract List<String> changes();

  /** Table name to {@code iptables-restore --noflush} input, for the tables that change only. */
  public abstract Map<String, String> restoreInputs();

  /** True when observed already equals desired: nothing to do. */
  public boolean isEmpty() {
    return changes().isEmpty();
  }

  /** A human-readable explanation: each change, then the restore input per table. */
  public String render() {
    StringBuilder out = new StringBuilder();
    out.append(family()).append(" plan for owner ").append(owner());
    if (isEmpty()) {
      return out.append(": no changes\n").toString();
    }
    out.append(": ").append(changes().size()).append(" change(s)\n");
    changes().forEach(change -> out.append("  - ").append(change).append('\n'));
    restoreInputs()
        .forEach(
            (table, input) -> {
              out.append("iptables-restore --noflush input for table ").append(table).append(":\n");
              input.lines().forEach(line -> out.append("    ").append(line).append('\n'));
            });
    return out.toString();
  }

  /** Builds an {@link IptablesPlan}. */
  public static final class Builder extends ImmutableIptablesPlan.Builder {
    Builder() {}
  }
}
