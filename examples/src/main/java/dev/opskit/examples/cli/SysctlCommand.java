package dev.opskit.examples.cli;

import dev.opskit.core.CommandExecutor;
import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlApplyException;
import dev.opskit.sysctl.SysctlApplyResult;
import dev.opskit.sysctl.SysctlChange;
import dev.opskit.sysctl.SysctlDrift;
import dev.opskit.sysctl.SysctlEffective;
import dev.opskit.sysctl.SysctlFile;
import dev.opskit.sysctl.SysctlKey;
import dev.opskit.sysctl.SysctlParseException;
import dev.opskit.sysctl.SysctlPlan;
import dev.opskit.sysctl.SysctlProfile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
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
  static final String BUILT_IN = "kubernetes-node";
  static final String DRY_RUN = "dry run: nothing changed";

  /** Options shared by diff and apply. */
  static final class ProfileOptions {
    @Option(
        names = "--profile",
        paramLabel = "kubernetes-node|FILE",
        description =
            "The built-in kubernetes-node profile or a sysctl.d file. With only --set, the profile"
                + " is exactly the keys given.")
    String profile;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "A key to set; adds to or overrides the --profile, if any.")
    List<String> sets = List.of();

    @Option(
        names = "--name",
        defaultValue = "custom",
        paramLabel = "NAME",
        description =
            "Name of a profile made of --set keys alone (drop-in NN-opskit-NAME.conf; default"
                + " ${DEFAULT-VALUE}).")
    String name;

    @Option(
        names = "--sysctl-dir",
        defaultValue = SysctlApplier.DEFAULT_DIRECTORY,
        paramLabel = "DIR",
        description = "Where the drop-in is written (default ${DEFAULT-VALUE}).")
    String sysctlDir;

    @Option(names = "--raise-only", description = "Never lower a numeric value found on the host.")
    boolean raiseOnly;

    @Option(
        names = "--host-wide",
        description =
            "Inside a network namespace, also apply keys outside net.*, which change the whole"
                + " host (refused otherwise).")
    boolean hostWide;

    /** The profile named on the command line; {@code fallback} when nothing is named. */
    SysctlProfile profile(String fallback) {
      String source = profile != null ? profile : sets.isEmpty() ? fallback : null;
      if (source == null && sets.isEmpty()) {
        throw new IllegalArgumentException(
            "name what to apply: --profile " + BUILT_IN + ", --profile FILE or --set KEY=VALUE");
      }
      SysctlProfile.Builder builder = SysctlProfile.builder();
      if (source == null) {
        builder.name(name);
      } else {
        builder.from(load(source));
      }
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

    private static SysctlProfile load(String source) {
      if (BUILT_IN.equals(source)) {
        return SysctlProfile.kubernetesNode();
      }
      Path file = Path.of(source);
      if (Files.isDirectory(file)) {
        throw new IllegalArgumentException(
            "--profile " + source + " is a directory; give " + BUILT_IN + " or a sysctl.d file");
      }
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException(
            "--profile " + source + " does not exist; give " + BUILT_IN + " or a sysctl.d file", e);
      } catch (AccessDeniedException e) {
        throw new IllegalArgumentException("--profile " + source + " cannot be read", e);
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException(
            "--profile " + source + " is not a text file (not UTF-8)");
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "--profile " + source + " cannot be read: " + e.getMessage(), e);
      }
      String name =
          file.getFileName()
              .toString()
              .replaceFirst("\\.conf$", "")
              .replaceFirst("^[0-9]+-", "")
              .replaceFirst("^opskit-", "")
              .toLowerCase(java.util.Locale.ROOT)
              .replaceAll("[^a-z0-9_-]", "-");
      try {
        return SysctlProfile.fromFile(
            name.isEmpty() || !Character.isLetterOrDigit(name.charAt(0)) ? "custom" : name,
            SysctlFile.parse(file.toString(), text));
      } catch (SysctlParseException e) {
        throw new IllegalArgumentException(
            "--profile " + e.getMessage() + " (not a sysctl.d file?)", e);
      }
    }

    SysctlApplier applier(HostOptions.Session session) {
      return applier(session.executor);
    }

    SysctlApplier applier(CommandExecutor executor) {
      return SysctlApplier.on(executor).withDropInDirectory(sysctlDir).withHostWide(hostWide);
    }
  }

  /** One line for an apply that could not go on; exit 2 when a flag would change the answer. */
  static int report(PrintWriter err, SysctlApplyException e) {
    boolean hostWide =
        e.plan().blocked().stream()
            .anyMatch(c -> c.action() == SysctlChange.Action.BLOCKED_HOST_WIDE);
    err.println(
        "opskit: "
            + e.getMessage().replace('\n', ' ')
            + (hostWide ? "; pass --host-wide if you mean to change the whole host" : ""));
    err.flush();
    return hostWide ? OpskitCli.USAGE : OpskitCli.FAILED;
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "diff",
      description = {
        "Show how this host differs from the profile, and which file sets each key at boot.",
        "With neither --profile nor --set, compares the built-in kubernetes-node profile."
      })
  static final class Diff implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin HostOptions host;
    @Mixin ProfileOptions options;
    @Mixin FleetOptions fleet;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      fleet.refuseWithoutFleet(spec);
      SysctlProfile profile = options.profile(BUILT_IN);
      if (fleet.requested()) {
        return FleetRun.observe(
            spec, host, fleet, FleetTasks.sysctlPlan(profile, options::applier));
      }
      try (HostOptions.Session session = host.open()) {
        SysctlApplier applier = options.applier(session);
        List<SysctlDrift> drift = applier.drift(profile);
        drift.forEach(d -> out.println(d.render()));
        out.println();
        out.print(applier.plan(profile).render());
        SysctlEffective boot = applier.effectiveConfiguration();
        out.println();
        out.println("at boot (sysctl.d files, without this profile's drop-in):");
        String dropIn = applier.dropInPath(profile);
        SysctlEffective others =
            SysctlEffective.of(
                boot.appliedFiles().stream()
                    .filter(f -> !f.path().equals(dropIn))
                    .collect(java.util.stream.Collectors.toList()));
        for (SysctlKey key : profile.values().keySet()) {
          out.println("  " + others.explain(key).replace("\n", "\n  "));
        }
        out.flush();
      }
      return 0;
    }
  }

  @Command(
      mixinStandardHelpOptions = true,
      name = "apply",
      description = {
        "Write the drop-in, load it and verify; on failure the previous drop-in and values stay.",
        "Name what to apply: --profile kubernetes-node, --profile FILE, or --set KEY=VALUE alone."
      })
  static final class Apply implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin HostOptions host;
    @Mixin ProfileOptions options;

    @Mixin FleetOptions fleet;

    @Option(names = "--dry-run", description = "Print the plan and change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      fleet.refuseWithoutFleet(spec);
      SysctlProfile profile = options.profile(null);
      if (fleet.requested()) {
        return FleetRun.change(
            spec,
            host,
            fleet,
            dryRun,
            FleetTasks.sysctlPlan(profile, options::applier),
            FleetTasks.sysctlApply(profile, options::applier));
      }
      try (HostOptions.Session session = host.open()) {
        SysctlApplier applier = options.applier(session);
        if (dryRun) {
          SysctlPlan plan = applier.plan(profile);
          out.print(plan.render());
          out.println("dry run: nothing changed");
          out.flush();
          return 0;
        }
        SysctlApplyResult result;
        try {
          result = applier.apply(profile);
        } catch (SysctlApplyException e) {
          out.flush();
          return report(spec.commandLine().getErr(), e);
        }
        out.print(result.plan().render());
        out.println(
            result.changed() ? "applied and verified" : "already up to date: nothing written");
        out.flush();
      }
      return 0;
    }
  }
}
