package dev.opskit.examples.cli;

import dev.opskit.cluster.CalicoAutodetection;
import dev.opskit.cluster.CalicoAutodetectionMethod;
import dev.opskit.cluster.CalicoAutodetectionPlan;
import dev.opskit.cluster.CalicoAutodetectionResult;
import dev.opskit.cluster.CalicoOperatorManagedException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code opskit calico autodetect}: how calico-node picks each node's address. */
@Command(
    mixinStandardHelpOptions = true,
    name = "calico",
    description = "Calico settings.",
    subcommands = {CalicoCommand.Autodetect.class})
final class CalicoCommand {
  private CalicoCommand() {}

  @Command(
      mixinStandardHelpOptions = true,
      name = "autodetect",
      description = {
        "Set IP_AUTODETECTION_METHOD and/or IP6_AUTODETECTION_METHOD on the calico-node",
        "DaemonSet (refused when the Tigera operator manages Calico). METHOD is one of:",
        "  first-found | kubernetes-internal-ip | can-reach=DEST",
        "  interface=REGEX[,REGEX] | skip-interface=REGEX[,REGEX] | cidr=CIDR[,CIDR]",
        "Interface regexes match anywhere in the name unless anchored: interface=eth0",
        "also picks eth0.100 and veth0; write interface=^eth0$. Regexes must compile in",
        "Go's RE2 syntax (no lookaround, possessive quantifiers or backreferences), as",
        "calico-node compiles them; invalid methods exit 2 before anything is read or written.",
        "A method calico-node would not read (an IPv6 method while IP6 is not autodetect)",
        "is refused unless --force is given."
      })
  static final class Autodetect implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClusterOptions cluster;

    @Option(
        names = "--method",
        paramLabel = "METHOD",
        description = "The IPv4 method (IP_AUTODETECTION_METHOD).")
    String method;

    @Option(
        names = "--method-ipv6",
        paramLabel = "METHOD",
        description = "The IPv6 method (IP6_AUTODETECTION_METHOD).")
    String methodIpv6;

    @Option(names = "--dry-run", description = "Print the plan and change nothing.")
    boolean dryRun;

    @Option(
        names = "--force",
        description = "Write a method even when calico-node would not read it (see the warnings).")
    boolean force;

    @Override
    public Integer call() throws Exception {
      if (method == null && methodIpv6 == null) {
        throw new IllegalArgumentException("give --method METHOD, --method-ipv6 METHOD or both");
      }
      CalicoAutodetection.Builder builder = CalicoAutodetection.builder(cluster.connect().client);
      if (method != null) {
        builder.ipv4(CalicoAutodetectionMethod.parse(method));
      }
      if (methodIpv6 != null) {
        builder.ipv6(CalicoAutodetectionMethod.parse(methodIpv6));
      }
      builder.force(force);
      CalicoAutodetection calico = builder.build();
      PrintWriter out = spec.commandLine().getOut();
      CalicoAutodetectionPlan plan = calico.plan();
      out.print(plan.render());
      if (dryRun) {
        out.println("dry run: nothing changed");
        out.flush();
        return 0;
      }
      CalicoAutodetectionResult result;
      try {
        result = calico.apply(plan);
      } catch (CalicoOperatorManagedException | IllegalStateException refused) {
        out.flush();
        spec.commandLine().getErr().println("opskit: " + refused.getMessage());
        return OpskitCli.FAILED;
      }
      if (!result.changed()) {
        out.println("already up to date: nothing written");
      } else if (result.verified()) {
        out.println("applied and verified (resourceVersion " + result.resourceVersion() + ")");
      } else {
        out.println("applied, but reading the DaemonSet back shows it differs; something else");
        out.println("changed it (resourceVersion " + result.resourceVersion() + ")");
        out.flush();
        return OpskitCli.FAILED;
      }
      out.flush();
      return 0;
    }
  }
}
