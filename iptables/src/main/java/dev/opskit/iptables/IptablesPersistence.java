package dev.opskit.iptables;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.RuleSetRenderer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * Makes opskit's rules survive a reboot without freezing anybody else's.
 *
 * <p><b>Recommended</b>: persist only what one owner owns. {@link #files()} renders a rules file
 * per family (restored with {@code iptables-restore --noflush}, so kube-proxy's and Calico's chains
 * are left alone), an ipset file when ipsets are used, and a systemd unit that restores them at
 * boot before kubelet. {@link #install(CommandExecutor)} writes them atomically.
 *
 * <p><b>Distribution-native</b> ({@link #nativeSave(Distribution, IpFamily)}): {@code iptables-save
 * > /etc/iptables/rules.v4} (Debian, netfilter-persistent) or {@code /etc/sysconfig/iptables}
 * (RHEL, iptables-services). It saves whole tables, so it also freezes kube-proxy's and Calico's
 * dynamic rules, which are stale after a reboot; see {@link NativeSave#warning()}.
 *
 * <pre>{@code
 * IptablesPersistence persistence = IptablesPersistence.of(allowlist);
 * persistence.install(executor); // then: systemctl enable opskit-iptables-web.service
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class IptablesPersistence {
  private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9_./-]*");

  /** A distribution family with its own way of saving iptables rules. */
  public enum Distribution {
    /** Debian and Ubuntu: iptables-persistent / netfilter-persistent. */
    DEBIAN,
    /** RHEL, CentOS, Rocky, Alma, Fedora: iptables-services. */
    RHEL
  }

  /** The distribution-native way to save all rules of a family, and why to think twice. */
  public static final class NativeSave {
    private final String path;
    private final Command command;

    NativeSave(String path, Command command) {
      this.path = path;
      this.command = command;
    }

    /** The file the distribution restores at boot. */
    public String path() {
      return path;
    }

    /** The command that saves the live rules there (run it through an executor). */
    public Command command() {
      return command;
    }

    /** The caution to show to whoever chooses this way. */
    public String warning() {
      return "saving whole tables to "
          + path
          + " freezes kube-proxy's and Calico's dynamic rules (KUBE-*, cali-*): after a reboot"
          + " they are restored stale until those agents resync, and removed services may stay"
          + " reachable. Prefer persisting only opskit's chains (IptablesPersistence.files()).";
    }
  }

  IptablesPersistence() {}

  /** A builder for persistence files. */
  public static Builder builder() {
    return new Builder();
  }

  /** Persistence for everything an allowlist owns: its rule sets and ipsets. */
  public static IptablesPersistence of(NodePortAllowlist allowlist) {
    Builder builder = builder().owner(allowlist.name()).addAllIpsets(allowlist.ipsets());
    for (IpFamily family : allowlist.families()) {
      builder.addRuleSets(allowlist.ruleSet(family));
    }
    return builder.build();
  }

  /** The owner; every rule set must belong to it. */
  public abstract String owner();

  /** The owned rule sets to persist, at most one per family. */
  public abstract List<IptablesRuleSet> ruleSets();

  /** The ipsets to persist. */
  public abstract List<IpsetSpec> ipsets();

  /** Where the rules files go; {@code /etc/opskit} by default. */
  @Value.Default
  public String directory() {
    return "/etc/opskit";
  }

  /** Where the unit goes; {@code /etc/systemd/system} by default. */
  @Value.Default
  public String unitDirectory() {
    return "/etc/systemd/system";
  }

  /** The unit name: {@code opskit-iptables-OWNER.service}. */
  public String unitName() {
    return "opskit-iptables-" + owner() + ".service";
  }

  /** Path of the rules file of a family: {@code DIR/OWNER.rules.v4} or {@code .v6}. */
  public String rulesPath(IpFamily family) {
    return directory() + "/" + owner() + (family == IpFamily.IPV4 ? ".rules.v4" : ".rules.v6");
  }

  /** Path of the ipset file: {@code DIR/OWNER.ipsets}. */
  public String ipsetPath() {
    return directory() + "/" + owner() + ".ipsets";
  }

  /**
   * The {@code iptables-restore --noflush} input restoring one owned set on a freshly booted host:
   * declares (creates) the owned chains, fills them, and inserts the jumps at the top of the
   * built-in chains.
   */
  public static String rulesFile(IptablesRuleSet owned) {
    String owner =
        owned.owner().orElseThrow(() -> new IllegalArgumentException("rule set has no owner"));
    StringBuilder out = new StringBuilder("# opskit rules of owner ").append(owner).append('\n');
    for (Table table : owned.tables()) {
      out.append('*').append(table.name()).append('\n');
      for (Chain chain : table.chains()) {
        if (!table.isBuiltin(chain.name())) {
          out.append(':').append(chain.name()).append(" - [0:0]\n");
        }
      }
      for (Chain chain : table.chains()) {
        if (!table.isBuiltin(chain.name())) {
          for (Rule rule : chain.rules()) {
            out.append(RuleSetRenderer.ruleLine("-A", chain.name(), rule)).append('\n');
          }
        }
      }
      for (Chain chain : table.chains()) {
        if (table.isBuiltin(chain.name())) {
          List<Rule> rules = chain.rules();
          for (int i = rules.size() - 1; i >= 0; i--) {
            out.append(RuleSetRenderer.ruleLine("-I", chain.name() + " 1", rules.get(i)));
            out.append('\n');
          }
        }
      }
      out.append("COMMIT\n");
    }
    return out.toString();
  }

  /** The {@code ipset restore -exist} input creating and filling the ipsets. */
  public static String ipsetFile(List<IpsetSpec> ipsets) {
    StringBuilder out = new StringBuilder();
    for (IpsetSpec set : ipsets) {
      out.append(set.createLine(set.name()));
      for (String entry : set.entries()) {
        out.append("add ").append(set.name()).append(' ').append(entry).append('\n');
      }
    }
    return out.toString();
  }

  /** The systemd unit restoring the files once at boot, before kubelet and the network. */
  public String unit() {
    StringBuilder out = new StringBuilder();
    out.append("[Unit]\n")
        .append("Description=opskit firewall rules of ")
        .append(owner())
        .append(" (owned chains only, restored with --noflush)\n")
        .append("DefaultDependencies=no\n")
        .append("Wants=network-pre.target\n")
        .append("Before=network-pre.target kubelet.service kube-proxy.service\n")
        .append("After=local-fs.target\n\n")
        .append("[Service]\n")
        .append("Type=oneshot\n")
        .append("RemainAfterExit=yes\n");
    if (!ipsets().isEmpty()) {
      out.append("ExecStart=ipset restore -exist -file ").append(ipsetPath()).append('\n');
    }
    for (IptablesRuleSet set : ruleSets()) {
      out.append("ExecStart=")
          .append(set.family().command())
          .append("-restore --noflush -w 10 ")
          .append(rulesPath(set.family()))
          .append('\n');
    }
    out.append("\n[Install]\nWantedBy=multi-user.target\n");
    return out.toString();
  }

  /** Every file to write, path to content, in the order to write them. */
  public Map<String, String> files() {
    Map<String, String> files = new LinkedHashMap<>();
    if (!ipsets().isEmpty()) {
      files.put(ipsetPath(), ipsetFile(ipsets()));
    }
    for (IptablesRuleSet set : ruleSets()) {
      files.put(rulesPath(set.family()), rulesFile(set));
    }
    files.put(unitDirectory() + "/" + unitName(), unit());
    return files;
  }

  /**
   * Writes {@link #files()} through {@code executor}, each atomically (temporary file, then
   * rename), creating the directories. Enabling the unit is left to the caller ({@code systemctl
   * daemon-reload && systemctl enable UNIT}).
   *
   * @return the paths written
   */
  public List<String> install(CommandExecutor executor) throws IOException, InterruptedException {
    List<String> written = new ArrayList<>();
    for (Map.Entry<String, String> file : files().entrySet()) {
      Command write =
          Command.of(
                  "sh",
                  "-c",
                  "mkdir -p \"$(dirname \"$1\")\" && cat > \"$1.tmp\" && chmod 0644 \"$1.tmp\""
                      + " && mv -f \"$1.tmp\" \"$1\"",
                  "sh",
                  file.getKey())
              .withStdin(file.getValue());
      executor.execute(write).requireSuccess();
      written.add(file.getKey());
    }
    return written;
  }

  /** The distribution-native save of a whole family; read {@link NativeSave#warning()} first. */
  public static NativeSave nativeSave(Distribution distribution, IpFamily family) {
    String path;
    if (distribution == Distribution.DEBIAN) {
      path = family == IpFamily.IPV4 ? "/etc/iptables/rules.v4" : "/etc/iptables/rules.v6";
    } else {
      path = family == IpFamily.IPV4 ? "/etc/sysconfig/iptables" : "/etc/sysconfig/ip6tables";
    }
    Command command =
        Command.of(
            "sh",
            "-c",
            "\"$1\" > \"$2.tmp\" && mv -f \"$2.tmp\" \"$2\"",
            "sh",
            family.command() + "-save",
            path);
    return new NativeSave(path, command);
  }

  @Value.Check
  void check() {
    for (String dir : List.of(directory(), unitDirectory())) {
      if (!PATH.matcher(dir).matches() || dir.contains("..")) {
        throw new IllegalArgumentException(
            "directory '" + dir + "' must be an absolute path of [A-Za-z0-9_./-] without ..");
      }
    }
    IptablesRuleSet.chainPrefix(owner());
    List<IpFamily> seen = new ArrayList<>();
    for (IptablesRuleSet set : ruleSets()) {
      if (!set.owner().equals(Optional.of(owner()))) {
        throw new IllegalArgumentException(
            "rule set " + set + " does not belong to owner '" + owner() + "'");
      }
      if (seen.contains(set.family())) {
        throw new IllegalArgumentException("two " + set.family() + " rule sets for " + owner());
      }
      seen.add(set.family());
    }
  }

  /** Builds an {@link IptablesPersistence}; {@code build()} validates it. */
  public static final class Builder extends ImmutableIptablesPersistence.Builder {
    Builder() {}
  }
}
