package dev.opskit.iptables;

import dev.opskit.core.Applier;
import dev.opskit.core.internal.OpskitStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What applying rule sets or an allowlist to a host would change, as {@link
 * IptablesApplier#plan(NodePortAllowlist)} computes it from the host's state without writing: the
 * rule plan per owned rule set and one line per ipset to create, refill or destroy. Empty when the
 * host already holds the desired state, which is what {@link
 * IptablesApplier#verify(NodePortAllowlist)} expects after an apply.
 *
 * <pre>{@code
 * IptablesApplyPlan plan = IptablesApplier.on(executor).plan(allowlist);
 * System.out.print(plan.render());
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class IptablesApplyPlan implements Applier.Plan {
  IptablesApplyPlan() {}

  /** A builder, for tools that assemble plans themselves. */
  public static Builder builder() {
    return new Builder();
  }

  /** The plan per desired rule set, empty plans included. */
  public abstract List<IptablesPlan> plans();

  /**
   * One line per ipset to change, such as {@code fill ipset opskit-web-v4: +2 -1 entries (3 in
   * all)} or {@code destroy ipset opskit-web-v6}; ipsets already as desired are not listed.
   */
  public abstract List<String> ipsetChanges();

  /**
   * For an allowlist in {@link NodePortAllowlist.Mode#AUTO}: the mode chosen on the host's
   * datapath, and why.
   */
  public abstract Optional<ModeChoice> modeChoice();

  /** Cautions about the planned configuration, such as the INPUT-mode trap. */
  public abstract List<String> warnings();

  /** True when no rule and no ipset would change. */
  @Override
  public boolean isEmpty() {
    return ipsetChanges().isEmpty() && plans().stream().allMatch(IptablesPlan::isEmpty);
  }

  /**
   * One line: {@code up to date}, or the number of rule changes per family and owner and each ipset
   * change, such as {@code IPv4 web: 3 rule change(s); fill ipset opskit-web-v4: +2 -0 entries (2
   * in all)}.
   */
  @Override
  public String summary() {
    List<String> parts = new ArrayList<>();
    for (IptablesPlan plan : plans()) {
      if (!plan.isEmpty()) {
        parts.add(
            plan.family() + " " + plan.owner() + ": " + plan.changes().size() + " rule change(s)");
      }
    }
    parts.addAll(ipsetChanges());
    return parts.isEmpty() ? "up to date" : String.join("; ", parts);
  }

  /** Every rule plan's rendering, then the ipset changes and warnings. */
  @Override
  public String render() {
    StringBuilder out = new StringBuilder();
    plans().forEach(plan -> out.append(plan.render()));
    ipsetChanges().forEach(change -> out.append(change).append('\n'));
    warnings().forEach(warning -> out.append("warning: ").append(warning).append('\n'));
    return out.toString();
  }

  /** Builds an {@link IptablesApplyPlan}. */
  public static final class Builder extends ImmutableIptablesApplyPlan.Builder {
    Builder() {}
  }
}
