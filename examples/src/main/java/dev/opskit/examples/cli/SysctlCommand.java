package dev.opskit.examples.cli;

import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlApplyResult;
import dev.opskit.sysctl.SysctlDrift;
import dev.opskit.sysctl.SysctlFile;
import dev.opskit.sysctl.SysctlKey;
import dev.opskit.sysctl.SysctlPlan;
import dev.opskit.sysctl.SysctlProfile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code opskit sysctl diff|apply}: kernel tunables as a profile, compared and applied. */
@Command(
    mixinStandardHelpOptions = true,
    name = "sysctl",
    description = "Compare or apply a sysctl profile.",
    subcommands = {SysctlCommand.Diff.class, SysctlCommand.Apply.class})
final class SysctlCommand {

  /** Options shared by diff and apply. */
  static final class ProfileOptions {
    @Option(
        names = "--profile",
        defaultValue = "kubernetes-node",
        paramLabel = "kubernetes-node|FILE",
        description = "The built-in kubernetes-node profile (default) or a sysctl.d file.")
    String profile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Add or override a key.")
    List<String> sets = List.of();

    @Option(
        names = "--sysctl-dir",
        defaultValue = SysctlApplier.DEFAULT_DIRECTORY,
        paramLabel = "DIR",
        description = "Where the drop-in is written (default ${DEFAULT-VALUE}).")
    String sysctlDir;

    @Option(names = "--raise-only", description = "Never lower a numeric value found on the host.")
    boolean raiseOnly;

    SysctlProfile profile() throws IOException {
      SysctlProfile base;
      if ("kubernetes-node".equals(profile)) {
        base = SysctlProfile.kubernetesNode();
      } else {
        Path file = Path.of(profile);
        String text;
        try {
          text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
          throw new IllegalArgumentException("profile file " + profile + " does not exist", e);
        }
        String name = file.getFileName().toString().replaceFirst("\\.conf$", "");
        base = SysctlProfile.fromFile(name, SysctlFile.parse(file.toString(), text));
      }
      SysctlProfile.Builder builder = SysctlProfile.builder().from(base);
      for (String set : sets) {
        int eq = set.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("--set '" + set + "' must be KEY=VALUE");
        }
        builder.set(set.substring(0, eq).strip(), set.substring(eq + 1).strip());
      }
      if (raiseOnly) {
        for (Map.Entry<SysctlKey, String> entry : builder.build().values().entrySet()) {
          if (entry.getValue().strip().matches("-?\\d+")) {
            builder.addRaiseOnly(entry.getKey());
          }
        }
      }
      return builder.build();
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "diff",
      description = "Show how this host differs from the profile.")
  static final class Diff implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin HostOptions host;
    @Mixin ProfileOptions options;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      SysctlProfile profile = options.profile();
      try (HostOptions.Session session = host.open()) {
        SysctlApplier applier =
            SysctlApplier.on(session.executor).withDropInDirectory(options.sysctlDir);
        List<SysctlDrift> drift = applier.drift(profile);
        drift.forEach(d -> out.println(d.render()));
        out.println();
        out.print(applier.plan(profile).render());
        out.flush();
      }
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "apply",
      description = "Write the drop-in, load it and verify.")
  static final class Apply implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin HostOptions host;
    @Mixin ProfileOptions options;

    @Option(names = "--dry-run", description = "Print the plan and change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      SysctlProfile profile = options.profile();
      try (HostOptions.Session session = host.open()) {
        SysctlApplier applier =
            SysctlApplier.on(session.executor).withDropInDirectory(options.sysctlDir);
        if (dryRun) {
          SysctlPlan plan = applier.plan(profile);
          out.print(plan.render());
          out.println("dry run: nothing changed");
          out.flush();
          return 0;
        }
        SysctlApplyResult result = applier.apply(profile);
        out.print(result.plan().render());
        out.println(
            result.changed() ? "applied and verified" : "already up to date: nothing written");
        out.flush();
      }
      return 0;
    }
  }
}
