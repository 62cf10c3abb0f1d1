package dev.opskit.iptables.internal;

import dev.opskit.core.ExecResult;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IpsetSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What one read batch returned: each step's result by its argv, the host's generation at the read,
 * and the journal an interrupted apply left, if any.
 */
public record HostRead(
    Map<List<String>, ExecResult> results, long generation, Optional<String> journal) {

  /** The results of both reads; the generation and journal stay this read's. */
  public HostRead plus(HostRead more) {
    Map<List<String>, ExecResult> all = new HashMap<>(results);
    all.putAll(more.results());
    return new HostRead(all, generation, journal);
  }

  /** The result of the step with {@code argv}, or null when the read did not run it. */
  public ExecResult result(List<String> argv) {
    return results.get(argv);
  }

  /**
   * The host's ipsets, when the read listed them. A host without the ipset program has none: the
   * missing program shows as a non-zero exit of its step.
   */
  public Set<String> liveIpsets() {
    ExecResult list = results.get(ShellBatch.LIST_IPSETS);
    if (list == null || !list.isSuccess()) {
      return Set.of();
    }
    return new LinkedHashSet<>(list.stdoutUtf8().lines().map(String::strip).toList());
  }

  /** Those of {@code names} that exist on the host, as listed by the read. */
  public List<String> existing(List<String> names) {
    Set<String> live = liveIpsets();
    return names.stream().filter(live::contains).toList();
  }

  /** The set {@code ipset save NAME} printed, or null when it does not exist. */
  public SavedIpset savedIpset(String name) {
    ExecResult saved =
        Objects.requireNonNull(results.get(List.of("ipset", "save", name)), "ipset not read");
    if (!saved.isSuccess()) {
      return null;
    }
    List<String> entries = new ArrayList<>();
    IpFamily family = IpFamily.IPV4;
    for (String line : saved.stdoutUtf8().split("\n")) {
      String[] parts = line.strip().split("\\s+");
      if (parts.length >= 3 && parts[0].equals("add")) {
        entries.add(Cidrs.normalize(parts[2]));
      } else if (parts.length >= 3 && parts[0].equals("create")) {
        family = Arrays.asList(parts).contains("inet6") ? IpFamily.IPV6 : IpFamily.IPV4;
      }
    }
    return new SavedIpset(family, entries);
  }

  /** An ipset as {@code ipset save} printed it: its family and normalised entries. */
  public record SavedIpset(IpFamily family, List<String> entries) {
    /** True when the set holds exactly {@code spec}'s family and entries. */
    public boolean holds(IpsetSpec spec) {
      return family == spec.family() && Set.copyOf(entries).equals(Set.copyOf(spec.entries()));
    }
  }
}
