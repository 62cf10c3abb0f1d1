package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.immutables.value.Value;

/**
 * What a host had before an apply: the parsed {@code iptables-save} output per family, and the
 * entries of the ipsets the apply touches (absent when the set did not exist). Rolling back
 * restores only what the snapshot's owners own, so kube-proxy's or Calico's changes made since are
 * kept.
 */
@Value.Immutable
@OpskitStyle
public abstract class IptablesSnapshot {
  IptablesSnapshot() {}

  /** A builder, for tools that assemble snapshots themselves. */
  public static Builder builder() {
    return new Builder();
  }

  /** The owners whose chains a rollback restores. */
  public abstract List<String> owners();

  /** The state observed per family. */
  public abstract Map<IpFamily, IptablesRuleSet> ruleSets();

  /** Entries of each touched ipset that existed, by set name (normalised CIDRs). */
  public abstract Map<String, List<String>> ipsetEntries();

  /** Family of each touched ipset that existed. */
  public abstract Map<String, IpFamily> ipsetFamilies();

  /** Touched ipsets that did not exist. */
  public abstract List<String> missingIpsets();

  /**
   * The host's apply generation when this snapshot was read: opskit's count of applies on that host
   * (per network namespace), kept next to its apply lock. Empty in a snapshot built by hand.
   */
  public abstract OptionalLong generation();

  /** The observed rule set of one family, if it was captured. */
  public Optional<IptablesRuleSet> ruleSet(IpFamily family) {
    return Optional.ofNullable(ruleSets().get(family));
  }

  /** Builds an {@link IptablesSnapshot}. */
  public static final class Builder extends ImmutableIptablesSnapshot.Builder {
    Builder() {}
  }
}
