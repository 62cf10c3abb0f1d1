package dev.opskit.examples.cli;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.HostOutcome;
import dev.opskit.core.HostTask;
import dev.opskit.iptables.Chain;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesApplyResult;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.ModeChoice;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.Table;
import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlProfile;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What each fleet command does on one host, as a {@link HostTask}: apply (with a rollback to the
 * host's prior state) or observe. Summaries carry no host names, so the report groups hosts that
 * ended the same way.
 */
final class FleetTasks {
  private static final int OUTPUT_CHARS = 120;

  private FleetTasks() {}

  /** Plans the profile on each host: changed when it differs (sysctl diff, apply --dry-run). */
  static HostTask sysctlPlan(
      SysctlProfile profile, Function<CommandExecutor, SysctlApplier> appliers) {
    return HostTask.observing(appliers, profile);
  }

  /** Applies the profile on each host; the rollback is the applier's own. */
  static HostTask sysctlApply(
      SysctlProfile profile, Function<CommandExecutor, SysctlApplier> appliers) {
    return HostTask.applying(appliers, profile);
  }

  /** Plans the allowlist in the mode each host's datapath needs (allow-nodeport --dry-run). */
  static HostTask allowlistPlan(NodePortAllowlist requested) {
    return host -> {
      IptablesApplier applier = IptablesCommand.applier(host.executor());
      ModeChoice choice = applier.chooseMode(requested);
      NodePortAllowlist allowlist = requested.inMode(choice.mode());
      int changes = 0;
      for (IpFamily family : allowlist.families()) {
        changes +=
            IptablesPlan.of(applier.observe(family), allowlist.ruleSet(family)).changes().size();
      }
      String mode = " (" + modeName(choice.mode()) + ")";
      return changes == 0
          ? HostOutcome.unchanged("up to date" + mode)
          : HostOutcome.changed("would apply " + changes + " rule change(s)" + mode);
    };
  }

  /** Applies the allowlist; the rollback restores the snapshot taken before it. */
  static HostTask allowlistApply(NodePortAllowlist allowlist) {
    return host -> {
      IptablesApplier applier = IptablesCommand.applier(host.executor());
      IptablesApplyResult result = applier.apply(allowlist);
      String mode = result.modeChoice().map(c -> " (" + modeName(c.mode()) + ")").orElse("");
      return result.changed()
          ? HostOutcome.changed(result.summary() + mode, () -> applier.rollback(result.snapshot()))
          : HostOutcome.unchanged(result.summary() + mode);
    };
  }

  /** Plans the removal of an allowlist's chains and jumps (remove-nodeport --dry-run). */
  static HostTask removalPlan(String name) {
    return host -> {
      IptablesApplier applier = IptablesCommand.applier(host.executor());
      int changes = 0;
      for (IpFamily family : IpFamily.values()) {
        changes +=
            IptablesPlan.of(applier.observe(family), IptablesRuleSet.empty(family, name))
                .changes()
                .size();
      }
      return changes == 0
          ? HostOutcome.unchanged("nothing to remove")
          : HostOutcome.changed("would apply " + changes + " rule change(s)");
    };
  }

  /** Removes an allowlist; the rollback restores the snapshot taken before it. */
  static HostTask removal(String name) {
    return host -> {
      IptablesApplier applier = IptablesCommand.applier(host.executor());
      IptablesApplyResult result = applier.remove(name);
      return result.changed()
          ? HostOutcome.changed(result.summary(), () -> applier.rollback(result.snapshot()))
          : HostOutcome.unchanged(result.summary());
    };
  }

  /** Counts each owner's rules on the host (iptables show): hosts that differ stand apart. */
  static HostTask show(String name) {
    return host -> {
      IptablesApplier applier = IptablesCommand.applier(host.executor());
      Map<String, Integer> rules = new TreeMap<>();
      for (IpFamily family : IpFamily.values()) {
        IptablesRuleSet observed = applier.observe(family);
        for (String owner : name != null ? List.of(name) : IptablesCommand.Show.owners(observed)) {
          int count = 0;
          for (Table table : observed.ownedPart(owner).tables()) {
            for (Chain chain : table.chains()) {
              count += chain.rules().size();
            }
          }
          if (count > 0) {
            rules.merge(owner + " " + family, count, Integer::sum);
          }
        }
      }
      return HostOutcome.unchanged(
          rules.isEmpty()
              ? "no opskit rules"
              : rules.entrySet().stream()
                  .map(e -> e.getKey() + ": " + e.getValue() + " rules")
                  .collect(Collectors.joining(", ")));
    };
  }

  /** Runs the command; a non-zero exit fails the host; the first line of output is the summary. */
  static HostTask exec(Command command) {
    return host -> {
      ExecResult result = host.executor().execute(command).requireSuccess();
      String line =
          result.stdoutUtf8().strip().lines().findFirst().orElse("").replaceAll("\\s+", " ");
      if (line.length() > OUTPUT_CHARS) {
        line = line.substring(0, OUTPUT_CHARS) + " …";
      }
      return HostOutcome.changed(line.isEmpty() ? "exit 0" : "exit 0: " + line);
    };
  }

  /** Reaches the host without running the command (exec --dry-run). */
  static HostTask execPlan(Command command) {
    return host -> {
      host.executor().execute(Command.of("true")).requireSuccess();
      return HostOutcome.unchanged("would run " + command.display());
    };
  }

  private static String modeName(NodePortAllowlist.Mode mode) {
    return mode.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
  }
}
