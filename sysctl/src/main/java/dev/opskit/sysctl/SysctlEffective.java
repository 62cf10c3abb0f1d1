package dev.opskit.sysctl;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which configuration file sets each key at boot, and which assignments it overrides: the answer to
 * "why does my value not stick?". Follows sysctl.d(5):
 *
 * <ol>
 *   <li>files ({@code *.conf}) are read from {@link #DIRECTORIES}; a file in an earlier folder
 *       overrides (hides) a file of the same name in a later one, so {@code /etc/sysctl.d/x.conf}
 *       replaces {@code /usr/lib/sysctl.d/x.conf} (a symlink to {@code /dev/null} masks it);
 *   <li>the remaining files are applied in order of their file names, whatever their folder;
 *   <li>within and across files, the last assignment of a key wins;
 *   <li>{@code /etc/sysctl.conf}, if given, is applied after all of them (as {@code sysctl
 *       --system} does; systemd reaches it through the {@code 99-sysctl.conf} symlink instead).
 * </ol>
 *
 * Files in other folders rank after the standard ones, in the order given. Pattern keys ({@code
 * net.ipv4.conf.*.rp_filter}) are tracked as keys of their own.
 *
 * <pre>{@code
 * SysctlEffective effective = SysctlEffective.of(List.of(
 *     SysctlFile.parse("/usr/lib/sysctl.d/50-default.conf", vendorText),
 *     SysctlFile.parse("/etc/sysctl.d/99-opskit-node.conf", ourText)));
 * System.out.println(effective.explain(SysctlKey.of("fs.file-max")));
 * }</pre>
 */
public final class SysctlEffective {
  /** The sysctl.d folders in precedence order, highest first. */
  public static final List<String> DIRECTORIES =
      List.of(
          "/etc/sysctl.d",
          "/run/sysctl.d",
          "/usr/local/lib/sysctl.d",
          "/usr/lib/sysctl.d",
          "/lib/sysctl.d");

  private static final String SYSCTL_CONF = "/etc/sysctl.conf";

  private final List<SysctlFile> applied;
  private final Map<String, String> hidden;
  private final Map<SysctlKey, List<SysctlSource>> assignments;

  private SysctlEffective(
      List<SysctlFile> applied,
      Map<String, String> hidden,
      Map<SysctlKey, List<SysctlSource>> assignments) {
    this.applied = applied;
    this.hidden = hidden;
    this.assignments = assignments;
  }

  /** Works out the effective configuration of these files (in any order). */
  public static SysctlEffective of(List<SysctlFile> files) {
    Map<String, SysctlFile> byName = new TreeMap<>();
    Map<String, String> hidden = new LinkedHashMap<>();
    SysctlFile sysctlConf = null;
    List<SysctlFile> ranked = new ArrayList<>(files);
    ranked.sort(Comparator.comparingInt(file -> rank(file, files)));
    for (SysctlFile file : ranked) {
      if (file.path().equals(SYSCTL_CONF)) {
        sysctlConf = file;
        continue;
      }
      SysctlFile winner = byName.get(file.fileName());
      if (winner == null) {
        byName.put(file.fileName(), file);
      } else {
        hidden.put(file.path(), winner.path());
      }
    }
    List<SysctlFile> applied = new ArrayList<>(byName.values());
    if (sysctlConf != null) {
      applied.add(sysctlConf);
    }
    Map<SysctlKey, List<SysctlSource>> assignments = new LinkedHashMap<>();
    for (SysctlFile file : applied) {
      for (SysctlEntry entry : file.entries()) {
        assignments
            .computeIfAbsent(entry.key(), key -> new ArrayList<>())
            .add(
                SysctlSource.builder()
                    .key(entry.key())
                    .value(entry.value())
                    .path(file.path())
                    .line(entry.line().orElse(0))
                    .build());
      }
    }
    assignments.replaceAll((key, list) -> List.copyOf(list));
    return new SysctlEffective(List.copyOf(applied), Map.copyOf(hidden), assignments);
  }

  private static int rank(SysctlFile file, List<SysctlFile> given) {
    int index = DIRECTORIES.indexOf(file.directory());
    return index >= 0 ? index : DIRECTORIES.size() + given.indexOf(file);
  }

  /** The files applied, in the order they are applied. */
  public List<SysctlFile> appliedFiles() {
    return applied;
  }

  /** Files hidden by a same-named file in a higher-precedence folder: hidden path to winner. */
  public Map<String, String> hiddenFiles() {
    return hidden;
  }

  /** The winning value of every key, in order of first assignment. */
  public Map<SysctlKey, String> values() {
    Map<SysctlKey, String> values = new LinkedHashMap<>();
    assignments.forEach((key, list) -> values.put(key, list.get(list.size() - 1).value()));
    return values;
  }

  /** The assignment that wins for {@code key}, if any file sets it. */
  public Optional<SysctlSource> winner(SysctlKey key) {
    List<SysctlSource> list = assignments.get(key);
    return list == null ? Optional.empty() : Optional.of(list.get(list.size() - 1));
  }

  /** Every applied assignment of {@code key}, in the order applied (the last one wins). */
  public List<SysctlSource> assignments(SysctlKey key) {
    return assignments.getOrDefault(key, List.of());
  }

  /**
   * A short explanation for people: which file and line set {@code key}, what it overrides, and
   * which same-named files were hidden.
   */
  public String explain(SysctlKey key) {
    List<SysctlSource> list = assignments(key);
    if (list.isEmpty()) {
      return key + ": not set by any configuration file (the kernel default stays)";
    }
    SysctlSource winner = list.get(list.size() - 1);
    StringBuilder text =
        new StringBuilder(key.name())
            .append(" = ")
            .append(winner.value())
            .append(" from ")
            .append(winner.location());
    for (int i = list.size() - 2; i >= 0; i--) {
      SysctlSource lost = list.get(i);
      text.append("\n  overrides ").append(lost.value()).append(" from ").append(lost.location());
    }
    hidden.forEach(
        (path, by) -> {
          if (by.equals(winner.path())) {
            text.append("\n  (").append(path).append(" is hidden by ").append(by).append(')');
          }
        });
    return text.toString();
  }
}
