package dev.opskit.iptables.internal;

import dev.opskit.iptables.IpsetSpec;
import dev.opskit.iptables.IptablesSnapshot;
import dev.opskit.iptables.internal.HostRead.SavedIpset;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps ipsets in line with their specs: the {@code ipset restore} input that fills a set aside and
 * swaps it in, and the one-line descriptions of what differs.
 */
public final class IpsetSync {
  private IpsetSync() {}

  /** The names of {@code ipsets}, in order. */
  public static List<String> names(List<IpsetSpec> ipsets) {
    return ipsets.stream().map(IpsetSpec::name).toList();
  }

  /** The set {@code name} as {@code snapshot} captured it, or null when it did not exist. */
  public static SavedIpset captured(IptablesSnapshot snapshot, String name) {
    List<String> entries = snapshot.ipsetEntries().get(name);
    return entries == null ? null : new SavedIpset(snapshot.ipsetFamilies().get(name), entries);
  }

  /**
   * Appends the {@code ipset restore} input that fills {@code spec}, destroying first a temporary
   * set an interrupted update left among the {@code live} sets.
   */
  public static void appendFill(
      StringBuilder input, IpsetSpec spec, Set<String> live, boolean createLive) {
    if (live.contains(spec.temporaryName())) {
      input.append("destroy ").append(spec.temporaryName()).append('\n');
    }
    input.append(spec.restoreInput(createLive));
  }

  /** One line saying what filling {@code spec} changes from {@code current} (null: absent). */
  public static String describeFill(IpsetSpec spec, SavedIpset current) {
    if (current == null) {
      return "create ipset " + spec.name() + " with " + spec.entries().size() + " entries";
    }
    Set<String> added = new LinkedHashSet<>(spec.entries());
    current.entries().forEach(added::remove);
    Set<String> removed = new LinkedHashSet<>(current.entries());
    spec.entries().forEach(removed::remove);
    return "fill ipset "
        + spec.name()
        + ": +"
        + added.size()
        + " -"
        + removed.size()
        + " entries ("
        + spec.entries().size()
        + " in all)";
  }

  /** One line saying how the set read back ({@code saved}, null: missing) differs from spec. */
  public static String difference(IpsetSpec spec, SavedIpset saved) {
    if (saved == null) {
      return "ipset " + spec.name() + " is missing\n";
    }
    if (saved.family() != spec.family()) {
      return "ipset " + spec.name() + " is " + saved.family() + ", not " + spec.family() + "\n";
    }
    Set<String> missing = new LinkedHashSet<>(spec.entries());
    saved.entries().forEach(missing::remove);
    Set<String> extra = new LinkedHashSet<>(saved.entries());
    spec.entries().forEach(extra::remove);
    return "ipset "
        + spec.name()
        + " lacks "
        + missing.size()
        + " entries "
        + missing.stream().limit(3).toList()
        + " and holds "
        + extra.size()
        + " others "
        + extra.stream().limit(3).toList()
        + "\n";
  }
}
