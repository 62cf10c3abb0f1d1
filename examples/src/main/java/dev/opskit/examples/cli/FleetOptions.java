package dev.opskit.examples.cli;

import dev.opskit.cluster.NodeAgentFleet;
import dev.opskit.cluster.NodeAgents;
import dev.opskit.core.FleetHost;
import dev.opskit.core.HostCount;
import dev.opskit.core.RolloutPolicy;
import dev.opskit.core.SshInventory;
import dev.opskit.core.SshTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * Which hosts a command runs on when it runs on a fleet ({@code --inventory} and {@code --host}
 * over SSH, or {@code --nodes} through agent pods on Kubernetes nodes), and the rollout policy. The
 * set of hosts comes from one place, {@link #open(HostOptions)}, which returns the hosts and what
 * to close at the end.
 */
final class FleetOptions {
  /** Options that mean something only with a fleet. */
  private static final List<String> FLEET_ONLY =
      List.of(
          "--canary",
          "--batch",
          "--max-parallel",
          "--max-failures",
          "--health-cmd",
          "--health-timeout",
          "--output");

  /** How many connections are opened at once before the rollout starts. */
  static final int CONNECT_PARALLELISM = 32;

  @Option(
      names = "--inventory",
      paramLabel = "FILE",
      description =
          "Run on every host of this SSH inventory: one '[NAME ]ssh://user@host[:port]' a line,"
              + " # comments. --identity, --known-hosts and --sudo apply to every host.")
  Path inventory;

  @Option(
      names = "--host",
      paramLabel = "ssh://user@host[:port]",
      description = "A host of the fleet; repeat for more (alone or added to --inventory).")
  List<String> hosts = List.of();

  @Option(
      names = "--nodes",
      paramLabel = "SELECTOR",
      description =
          "Run on the Kubernetes nodes matching this label selector, through the kubeconfig:"
              + " one short-lived privileged agent pod per node (a DaemonSet, deleted at the end).")
  String nodes;

  @Option(
      names = "--agent-image",
      paramLabel = "IMAGE",
      description =
          "With --nodes: the agent pods' image (needs sh, head and nsenter; default "
              + NodeAgents.DEFAULT_IMAGE
              + ").")
  String agentImage;

  @Option(
      names = "--agent-timeout",
      paramLabel = "DURATION",
      converter = ExecCommand.DurationConverter.class,
      description =
          "With --nodes: how long to wait for each node's agent pod to be ready (default 2m);"
              + " nodes without one are reported unreachable.")
  Duration agentTimeout;

  @Mixin ClusterOptions cluster;

  @Option(
      names = "--canary",
      paramLabel = "N",
      description = "Fleet: run on the first N hosts first, each alone (default 0).")
  Integer canary;

  @Option(
      names = "--batch",
      paramLabel = "N|P%",
      description = "Fleet: hosts per batch after the canaries (default 10%%).")
  String batch;

  @Option(
      names = "--max-parallel",
      paramLabel = "N",
      description = "Fleet: hosts worked on at once (default 16).")
  Integer maxParallel;

  @Option(
      names = "--max-failures",
      paramLabel = "N|P%",
      description =
          "Fleet: failed or unreachable hosts tolerated before the rollout stops and rolls back"
              + " the batch (default 0).")
  String maxFailures;

  @Option(
      names = "--health-cmd",
      paramLabel = "ARGV",
      description =
          "Fleet: a command run on each host of a batch after it; any failure fails the batch,"
              + " which is rolled back. Split at spaces into argv, never run by a shell.")
  String healthCommand;

  @Option(
      names = "--health-timeout",
      paramLabel = "DURATION",
      converter = ExecCommand.DurationConverter.class,
      description = "Fleet: how long a batch's health check may take (default 60s).")
  Duration healthTimeout;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "table|json",
      description = "Fleet: the report as a table (default) or JSON.")
  String output;

  /** True when the command runs on a fleet rather than one host. */
  boolean requested() {
    return inventory != null || !hosts.isEmpty() || nodes != null;
  }

  /**
   * Refuses fleet-only options on a one-host command line.
   *
   * @throws IllegalArgumentException naming the option
   */
  void refuseWithoutFleet(CommandSpec spec) {
    if (requested()) {
      return;
    }
    for (String name : FLEET_ONLY) {
      if (spec.commandLine().getParseResult().hasMatchedOption(name)) {
        throw new IllegalArgumentException(
            name + " applies to a fleet: add --inventory FILE or --host ssh://user@host");
      }
    }
  }

  /** True for {@code -o json}. */
  boolean json() {
    if (output == null || output.equals("table")) {
      return false;
    }
    if (output.equals("json")) {
      return true;
    }
    throw new IllegalArgumentException("-o '" + output + "' must be table or json");
  }

  /**
   * The rollout policy of the options, or for an observe (dry run, diff) the whole fleet at once
   * with only {@code --max-parallel} applied.
   *
   * @throws IllegalArgumentException naming the bad option
   */
  RolloutPolicy policy(boolean observe) {
    RolloutPolicy.Builder builder = RolloutPolicy.builder();
    if (observe) {
      builder.from(RolloutPolicy.observe());
    } else {
      if (canary != null) {
        builder.canary(canary);
      }
      if (batch != null) {
        builder.batch(count("--batch", batch));
      }
      if (maxFailures != null) {
        builder.maxFailures(count("--max-failures", maxFailures));
      }
      if (healthTimeout != null) {
        builder.healthCheckTimeout(healthTimeout);
      }
    }
    if (maxParallel != null) {
      builder.maxParallel(maxParallel);
    }
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flagNames(e.getMessage()), e);
    }
  }

  private static String flagNames(String message) {
    return message
        .replaceFirst("^canary ", "--canary ")
        .replaceFirst("^batch ", "--batch ")
        .replaceFirst("^max parallel ", "--max-parallel ");
  }

  private static HostCount count(String option, String text) {
    try {
      return HostCount.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }

  /** The {@code --health-cmd} argv, empty when none was given. */
  List<String> healthArgv() {
    if (healthCommand == null) {
      return List.of();
    }
    List<String> argv = new ArrayList<>(Arrays.asList(healthCommand.strip().split("\\s+")));
    argv.removeIf(String::isEmpty);
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("--health-cmd must name a program");
    }
    return argv;
  }

  /**
   * The hosts to run on, connected (in parallel, up to {@value #CONNECT_PARALLELISM} at once): the
   * one seam where fleets come from. A host that cannot be reached stays in the fleet and fails
   * fast with its connection error, so the report lists it unreachable.
   *
   * @throws IllegalArgumentException for a bad inventory, target or option combination
   */
  Fleet open(HostOptions host) throws IOException, InterruptedException {
    if (nodes != null) {
      return openNodes(host);
    }
    if (!host.isLocal()) {
      throw new IllegalArgumentException(
          "--target names one host; with --inventory or --host leave it out");
    }
    SshInventory inventory =
        SshInventory.parse(inventoryText(), target -> host.sshBuilder(target).build());
    try {
      if (inventory.hosts().isEmpty()) {
        throw new IllegalArgumentException(
            "no hosts: the --inventory file lists none (blank lines and # comments only)");
      }
      Map<String, String> down = inventory.connect(CONNECT_PARALLELISM);
      List<FleetHost> fleet = new ArrayList<>();
      for (FleetHost member : inventory.hosts()) {
        String error = down.get(member.name());
        fleet.add(
            error == null
                ? FleetHost.of(member.name(), host.onFleetHost(member.executor()))
                : FleetHost.of(
                    member.name(),
                    command -> {
                      throw new IOException(error);
                    }));
      }
      return new Fleet(fleet, inventory::close);
    } catch (RuntimeException | InterruptedException e) {
      inventory.close();
      throw e;
    }
  }

  /**
   * The Kubernetes nodes matching {@code --nodes}, each reached through its agent pod; nodes
   * without a ready agent stay in the fleet and fail with the reason, so the report lists them
   * unreachable.
   */
  private Fleet openNodes(HostOptions host) throws IOException, InterruptedException {
    if (inventory != null || !hosts.isEmpty()) {
      throw new IllegalArgumentException(
          "--nodes selects Kubernetes nodes; leave out --inventory and --host");
    }
    if (!host.isLocal()) {
      throw new IllegalArgumentException("--target names one host; with --nodes leave it out");
    }
    NodeAgents.Builder agents = NodeAgents.builder(cluster.connect().client);
    try {
      agents.labelSelector(nodes);
      if (agentImage != null) {
        agents.image(agentImage);
      }
      if (agentTimeout != null) {
        agents.readyTimeout(agentTimeout);
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--nodes/--agent-image: " + e.getMessage());
    }
    NodeAgentFleet fleet = agents.build().deploy();
    List<FleetHost> members = new ArrayList<>();
    for (FleetHost node : fleet.hosts()) {
      members.add(FleetHost.of(node.name(), host.onFleetHost(node.executor())));
    }
    return new Fleet(
        members,
        () -> {
          try {
            fleet.close();
          } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the agent DaemonSet", e);
          }
        });
  }

  /** The inventory file's text followed by one line per {@code --host}. */
  private String inventoryText() {
    StringBuilder text = new StringBuilder();
    if (inventory != null) {
      try {
        text.append(Files.readString(inventory, StandardCharsets.UTF_8));
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException("--inventory " + inventory + " does not exist", e);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read --inventory " + inventory, e);
      }
    }
    for (String target : hosts) {
      try {
        SshTarget.parse(target);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--host: " + e.getMessage(), e);
      }
      text.append('\n').append(target);
    }
    return text.toString();
  }

  /** The hosts of a fleet command and what to close when it ends. */
  static final class Fleet implements AutoCloseable {
    final List<FleetHost> hosts;
    private final Runnable close;

    Fleet(List<FleetHost> hosts, Runnable close) {
      this.hosts = List.copyOf(hosts);
      this.close = close;
    }

    @Override
    public void close() {
      close.run();
    }
  }
}
