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
 * "why does my value not stick?". Follows sysctl.d(5) and systemd-sysctl:
 *
 * <ol>
 *   <li>files ({@code *.conf}) are read from {@link #DIRECTORIES}; a file in an earlier folder
 *       overrides (hides) a file of the same name in a later one, so {@code /etc/sysctl.d/x.conf}
 *       replaces {@code /usr/lib/sysctl.d/x.conf} (a symlink to {@code /dev/null}, read as an empty
 *       file, masks it);
 *   <li>the remaining files are applied in order of their file names, whatever their folder; {@code
 *       /etc/sysctl.conf}, if given, comes after all of them (as {@code sysctl --system} reads it;
 *       systemd reaches it through the {@code 99-sysctl.conf} symlink instead);
 *   <li>every line is an option keyed by its normalised key: a later line of the same key replaces
 *       the earlier one, unless it sets the same value (then only its ignore-failure flag is
 *       merged); an exclusion {@code -key} is such an option too, so an exclusion after an
 *       assignment of the same key leaves the key unset;
 *   <li>a concrete key is set by its own option if there is one (an exclusion means: not set); only
 *       otherwise do glob options ({@code net.ipv4.conf.*.rp_filter = 2}) apply, in option order,
 *       so the last matching glob wins. A specific key therefore beats any glob.
 * </ol>
 *
 * Files in other folders rank after the standard ones, in the order given. As systemd-sysctl does,
 * a pattern exclusion ({@code -fs.protected_regul*}) only cancels the identical glob; procps {@code
 * sysctl} additionally leaves the keys it matches out of other globs.
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
  private final List<SysctlSource> lines;
  private final Map<SysctlKey, SysctlSource> options;

  private SysctlEffective(
      List<SysctlFile> applied,
      Map<String, String> hidden,
      List<SysctlSource> lines,
      Map<SysctlKey, SysctlSource> options) {
    this.applied = applied;
    this.hidden = hidden;
    this.lines = lines;
    this.options = options;
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
    List<SysctlSource> lines = new ArrayList<>();
    Map<SysctlKey, SysctlSource> options = new LinkedHashMap<>();
    for (SysctlFile file : applied) {
      for (SysctlEntry entry : file.entries()) {
        SysctlSource source =
            SysctlSource.builder()
                .key(entry.key())
                .value(entry.value())
                .exclusion(entry.exclusion())
                .ignoreFailure(entry.ignoreFailure())
                .path(file.path())
                .line(entry.line().orElse(0))
                .build();
        lines.add(source);
        SysctlSource existing = options.get(entry.key());
        if (existing != null
            && existing.exclusion() == source.exclusion()
            && existing.value().equals(source.value())) {
          if (source.ignoreFailure() && !existing.ignoreFailure()) {
            options.put(
                entry.key(), SysctlSource.builder().from(existing).ignoreFailure(true).build());
          }
          continue;
        }
        options.remove(entry.key());
        options.put(entry.key(), source);
      }
    }
    return new SysctlEffective(
        List.copyOf(applied), Map.copyOf(hidden), List.copyOf(lines), options);
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

  /**
   * The value of every option that assigns one, keys as written (glob patterns included), in the
   * order systemd-sysctl applies them; excluded keys are left out.
   */
  public Map<SysctlKey, String> values() {
    Map<SysctlKey, String> values = new LinkedHashMap<>();
    options.forEach(
        (key, source) -> {
          if (!source.exclusion()) {
            values.put(key, source.value());
          }
        });
    return values;
  }

  /**
   * The assignment that sets {@code key} at boot, if any: the key's own line, or else the last glob
   * line matching it. Empty when no line sets it or it is excluded.
   */
  public Optional<SysctlSource> winner(SysctlKey key) {
    SysctlSource own = options.get(key);
    if (own != null) {
      return own.exclusion() ? Optional.empty() : Optional.of(own);
    }
    if (key.isPattern()) {
      return Optional.empty();
    }
    SysctlSource found = null;
    for (SysctlSource option : options.values()) {
      if (!option.exclusion() && option.key().isPattern() && option.key().matches(key)) {
        found = option;
      }
    }
    return Optional.ofNullable(found);
  }

  /** The exclusion line that keeps {@code key} out of glob matches, if it is the key's option. */
  public Optional<SysctlSource> exclusion(SysctlKey key) {
    return Optional.ofNullable(options.get(key)).filter(SysctlSource::exclusion);
  }

  /**
   * Every applied line that names {@code key} or a glob matching it (exclusions included), in the
   * order applied.
   */
  public List<SysctlSource> assignments(SysctlKey key) {
    List<SysctlSource> found = new ArrayList<>();
    for (SysctlSource line : lines) {
      if (line.key().equals(key) || (line.key().isPattern() && line.key().matches(key))) {
        found.add(line);
      }
    }
    return List.copyOf(found);
  }

  /**
   * A short explanation for people: which file and line set {@code key}, what it overrides, and
   * which same-named files were hidden.
   */
  public String explain(SysctlKey key) {
    List<SysctlSource> list = assignments(key);
    Optional<SysctlSource> excluded = exclusion(key);
    Optional<SysctlSource> won = winner(key);
    if (won.isEmpty()) {
      if (excluded.isPresent()) {
        return key
            + ": excluded from globs by "
            + excluded.get().location()
            + " and set by no line (the kernel default stays)";
      }
      return key + ": not set by any configuration file (the kernel default stays)";
    }
    SysctlSource winner = won.get();
    StringBuilder text =
        new StringBuilder(key.name())
            .append(" = ")
            .append(winner.value())
            .append(" from ")
            .append(winner.location());
    if (!winner.key().equals(key)) {
      text.append(" (glob ").append(winner.key()).append(')');
    }
    for (int i = list.size() - 1; i >= 0; i--) {
      SysctlSource other = list.get(i);
      if (other.equals(winner)) {
        continue;
      }
      text.append("\n  overrides ")
          .append(other.exclusion() ? "exclusion" : other.value())
          .append(" from ")
          .append(other.location());
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
