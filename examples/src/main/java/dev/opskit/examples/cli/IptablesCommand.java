package dev.opskit.examples.cli;

import dev.opskit.core.CommandExecutor;
import dev.opskit.iptables.Chain;
import dev.opskit.iptables.HostLockedException;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IpsetSpec;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesApplyResult;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.ModeChoice;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import dev.opskit.iptables.Rule;
import dev.opskit.iptables.SelfLockoutException;
import dev.opskit.iptables.Table;
import dev.opskit.iptables.UnsupportedDatapathException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code opskit iptables ...}: NodePort allowlists that hold behind kube-proxy. */
@Command(
    mixinStandardHelpOptions = true,
    name = "iptables",
    description = "NodePort allowlists and opskit-owned iptables chains.",
    subcommands = {
      IptablesCommand.AllowNodePort.class,
      IptablesCommand.RemoveNodePort.class,
      IptablesCommand.Show.class
    })
final class IptablesCommand {

  @Command(
      mixinStandardHelpOptions = true,
      name = "allow-nodeport",
      description = "Let only the allowed sources reach NodePorts; drop everyone else.")
  static final class AllowNodePort implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin HostOptions host;
    @Mixin FleetOptions fleet;

    @Option(names = "--name", required = true, description = "Allowlist name ([A-Za-z0-9_]).")
    String name;

    @Option(
        names = "--port",
        required = true,
        split = ",",
        paramLabel = "PORT",
        description = "NodePort or range (30000-30100); comma-separated or repeated.")
    List<String> ports;

    @Option(
        names = "--allow",
        required = true,
        paramLabel = "CIDR",
        description = "Allowed source (IPv4 or IPv6 CIDR or address); repeat for more.")
    List<String> allowed;

    @Option(
        names = "--protocol",
        split = ",",
        defaultValue = "tcp",
        description = "tcp (default), udp, or both.")
    List<String> protocols;

    @Option(
        names = "--mode",
        defaultValue = "auto",
        description =
            "auto (default: the mode that holds on the node's datapath), raw (raw PREROUTING),"
                + " conntrack, or input.")
    String mode;

    @Option(names = "--ipset", description = "Keep the addresses in an ipset (hash:net).")
    boolean ipset;

    @Option(names = "--dry-run", description = "Print the plan and change nothing.")
    boolean dryRun;

    @Option(
        names = "--normalize",
        description = "Accept a CIDR with host bits set (1.2.3.4/8) and clear them (1.0.0.0/8).")
    boolean normalize;

    @Option(
        names = "--force",
        description =
            "Apply even where NodePorts bypass netfilter (Cilium or Calico eBPF), when a port is"
                + " the one this connection uses (e.g. SSH's 22), or when the allowlist would drop"
                + " this connection.")
    boolean force;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      fleet.refuseWithoutFleet(spec);
      NodePortAllowlist.Builder builder =
          NodePortAllowlist.builder()
              .name(name)
              .addAllAllowedCidrs(allowed)
              .addAllProtocols(protocols)
              .mode(mode(mode))
              .useIpset(ipset)
              .allowUnsupportedDatapath(force)
              .normalizeCidrs(normalize)
              .allowConnectionPort(force)
              .allowSelfLockout(force);
      ports.forEach(port -> builder.addPorts(PortRange.parse(port.replace('-', ':'))));
      NodePortAllowlist requested;
      try {
        requested = builder.build();
      } catch (IllegalArgumentException e) {
        // the library's message names its builder option; the CLI names the flag instead
        throw new IllegalArgumentException(
            e.getMessage().replace("normalizeCidrs(true)", "--normalize"));
      }
      PrintWriter err = spec.commandLine().getErr();
      if (fleet.requested()) {
        requested.warnings().forEach(w -> err.println("warning: " + w));
        return FleetRun.change(
            spec,
            host,
            fleet,
            dryRun,
            FleetTasks.allowlistPlan(requested),
            FleetTasks.allowlistApply(requested));
      }
      try (HostOptions.Session session = host.open()) {
        IptablesApplier applier = applier(session.executor);
        ModeChoice choice;
        try {
          choice = applier.chooseMode(requested);
        } catch (UnsupportedDatapathException e) {
          err.println("opskit: " + e.getMessage() + "; --force applies it anyway");
          return OpskitCli.USAGE;
        }
        out.println("datapath: " + choice.datapath().summary());
        out.println(choice.summary());
        NodePortAllowlist allowlist = requested.inMode(choice.mode());
        if (!choice.holds()
            && (choice.datapath().bypassesNetfilter() || allowlist.warnings().isEmpty())) {
          err.println("warning: " + choice.reason());
        }
        allowlist.warnings().forEach(w -> err.println("warning: " + w));
        if (dryRun) {
          for (IpFamily family : allowlist.families()) {
            IptablesPlan plan = IptablesPlan.of(applier.observe(family), allowlist.ruleSet(family));
            out.print(plan.render());
            for (IpsetSpec set : allowlist.ipset(family).stream().toList()) {
              out.printf(
                  "ipset %s: %d entries, swapped in atomically%n",
                  set.name(), set.entries().size());
            }
          }
          out.println("dry run: nothing changed");
          out.flush();
          return 0;
        }
        IptablesApplyResult result;
        try {
          result = applier.apply(allowlist);
        } catch (SelfLockoutException e) {
          spec.commandLine()
              .getErr()
              .println(
                  "opskit: "
                      + e.getMessage()
                          .replaceAll(
                              "\\(allow it explicitly with \\w+\\(true\\)\\)", "(use --force)"));
          return OpskitCli.USAGE;
        } catch (HostLockedException e) {
          spec.commandLine().getErr().println("opskit: " + e.getMessage());
          return OpskitCli.FAILED;
        }
        result.recovery().ifPresent(r -> spec.commandLine().getErr().println("note: " + r));
        out.println(result.summary());
        out.flush();
      }
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "remove-nodeport",
      description = "Delete an allowlist's chains, jumps and ipsets.")
  static final class RemoveNodePort implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin HostOptions host;

    @Mixin FleetOptions fleet;

    @Option(names = "--name", required = true, description = "Allowlist name.")
    String name;

    @Option(names = "--dry-run", description = "Print what would be removed and change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      fleet.refuseWithoutFleet(spec);
      IptablesRuleSet.chainPrefix(name);
      if (fleet.requested()) {
        return FleetRun.change(
            spec, host, fleet, dryRun, FleetTasks.removalPlan(name), FleetTasks.removal(name));
      }
      try (HostOptions.Session session = host.open()) {
        if (dryRun) {
          IptablesApplier applier = applier(session.executor);
          for (IpFamily family : IpFamily.values()) {
            out.print(
                IptablesPlan.of(applier.observe(family), IptablesRuleSet.empty(family, name))
                    .render());
          }
          out.println(SysctlCommand.DRY_RUN);
          out.flush();
          return 0;
        }
        IptablesApplyResult result = applier(session.executor).remove(name);
        out.println(result.summary());
        out.flush();
      }
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "show",
      description = {
        "Print the opskit-owned chains and their jump rules, one typed description per rule.",
        "With --all every chain (kube-proxy's, Calico's…); with --raw the iptables-save text."
      })
  static final class Show implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin HostOptions host;

    @Option(names = "--name", description = "Only this allowlist.")
    String name;

    @Option(names = "--all", description = "Every table and chain, not only opskit's.")
    boolean all;

    @Option(names = "--raw", description = "Print iptables-restore text instead of descriptions.")
    boolean raw;

    @Mixin FleetOptions fleet;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      fleet.refuseWithoutFleet(spec);
      if (fleet.requested()) {
        if (all || raw) {
          throw new IllegalArgumentException(
              (all ? "--all" : "--raw")
                  + " prints one host's rules; on a fleet, show counts each owner's rules per host");
        }
        return FleetRun.observe(spec, host, fleet, FleetTasks.show(name));
      }
      try (HostOptions.Session session = host.open()) {
        IptablesApplier applier = applier(session.executor);
        for (IpFamily family : IpFamily.values()) {
          IptablesRuleSet observed = applier.observe(family);
          if (all) {
            out.printf("# %s%n", family);
            print(observed, out);
            continue;
          }
          for (String owner : name != null ? Set.of(name) : owners(observed)) {
            IptablesRuleSet owned = observed.ownedPart(owner);
            if (!owned.tables().isEmpty()) {
              out.printf("# %s, owner %s%n", family, owner);
              print(owned, out);
            }
          }
        }
        out.flush();
      }
      return 0;
    }

    private void print(IptablesRuleSet set, PrintWriter out) {
      if (raw) {
        out.print(set.render());
      } else {
        describe(set, out);
      }
    }

    /**
     * Each table, chain and rule: the rule's number, its typed description and its line as
     * iptables-save prints it.
     */
    static void describe(IptablesRuleSet set, PrintWriter out) {
      for (Table table : set.tables()) {
        out.printf("table %s%n", table.name());
        for (Chain chain : table.chains()) {
          if (chain.rules().isEmpty() && table.isBuiltin(chain.name())) {
            continue;
          }
          out.printf(
              "  chain %s%s%n",
              chain.name(), chain.policy().map(p -> " (policy " + p + ")").orElse(""));
          int number = 1;
          for (Rule rule : chain.rules()) {
            out.printf("    %d. %s%n", number++, rule.describe());
            out.printf("       -A %s %s%n", chain.name(), rule.spec());
          }
        }
      }
    }

    static Set<String> owners(IptablesRuleSet observed) {
      Set<String> owners = new TreeSet<>();
      for (Table table : observed.tables()) {
        table.chains().stream()
            .map(chain -> chain.name())
            .filter(chain -> chain.startsWith(IptablesRuleSet.CHAIN_PREFIX))
            .map(chain -> chain.substring(IptablesRuleSet.CHAIN_PREFIX.length()).split("-")[0])
            .filter(owner -> !owner.isEmpty())
            .forEach(owners::add);
      }
      return owners;
    }
  }

  /** Names the host-side state directory (lock, journal) on every host, instead of /run/opskit. */
  static final String STATE_DIRECTORY_ENV = "OPSKIT_STATE_DIR";

  /** The applier the command line uses on {@code executor}, on the state directory it names. */
  static IptablesApplier applier(CommandExecutor executor) {
    String directory = System.getenv(STATE_DIRECTORY_ENV);
    IptablesApplier.Builder builder = IptablesApplier.builder(executor);
    if (directory != null && !directory.isEmpty()) {
      try {
        builder.stateDirectory(directory);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(STATE_DIRECTORY_ENV + ": " + e.getMessage());
      }
    }
    return builder.build();
  }

  static NodePortAllowlist.Mode mode(String text) {
    switch (text.toLowerCase(Locale.ROOT)) {
      case "auto":
        return NodePortAllowlist.Mode.AUTO;
      case "raw":
        return NodePortAllowlist.Mode.RAW_PREROUTING;
      case "conntrack":
        return NodePortAllowlist.Mode.CONNTRACK;
      case "input":
        return NodePortAllowlist.Mode.INPUT;
      default:
        throw new IllegalArgumentException(
            "--mode '" + text + "' must be auto, raw, conntrack or input");
    }
  }
}
