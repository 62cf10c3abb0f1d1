package dev.opskit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.FleetHost;
import dev.opskit.core.HealthCheck;
import dev.opskit.core.HostCount;
import dev.opskit.core.HostStatus;
import dev.opskit.core.HostTask;
import dev.opskit.core.Rollout;
import dev.opskit.core.RolloutPolicy;
import dev.opskit.core.RolloutReport;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import dev.opskit.sysctl.LimitsApplier;
import dev.opskit.sysctl.LimitsEntry;
import dev.opskit.sysctl.LimitsProfile;
import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every applier plugs into {@link Rollout} through {@link HostTask#applying} and {@link
 * HostTask#observing} alone: a sysctl profile (net.* keys), a limits profile and a NodePort
 * allowlist rolled over several hosts, each a network namespace of its own with its files in a
 * temporary folder of its own.
 */
@Privileged(tools = {"ip", "sysctl", "iptables", "flock"})
class FleetAppliersIT {
  private static final SysctlProfile SYSCTL =
      SysctlProfile.builder().name("fleet").set("net.core.somaxconn", "8191").build();
  private static final SysctlProfile SYSCTL_NEXT =
      SysctlProfile.builder().name("fleet").set("net.core.somaxconn", "16383").build();
  private static final LimitsProfile LIMITS = limits("65536");
  private static final LimitsProfile LIMITS_NEXT = limits("131072");
  private static final NodePortAllowlist ALLOWLIST = allowlist("198.18.0.0/24");
  private static final NodePortAllowlist ALLOWLIST_NEXT = allowlist("198.18.1.0/24");

  @TempDir Path root;

  private final Map<CommandExecutor, Path> folders = new IdentityHashMap<>();

  private static LimitsProfile limits(String nofile) {
    return LimitsProfile.builder()
        .name("fleet")
        .addEntries(LimitsEntry.of("*", LimitsEntry.Type.SOFT, LimitsEntry.Item.NOFILE, nofile))
        .putServiceNofile("containerd.service", nofile)
        .build();
  }

  private static NodePortAllowlist allowlist(String cidr) {
    return NodePortAllowlist.builder()
        .name("fleet")
        .addPorts(PortRange.of(30001))
        .addAllowedCidrs(cidr)
        .build();
  }

  private SysctlApplier sysctl(CommandExecutor executor) {
    return SysctlApplier.on(executor).withDropInDirectory(folder(executor, "sysctl.d"));
  }

  private LimitsApplier limits(CommandExecutor executor) {
    return LimitsApplier.on(executor)
        .withLimitsDirectory(folder(executor, "limits.d"))
        .withSystemdDirectory(folder(executor, "systemd"));
  }

  private IptablesApplier iptables(CommandExecutor executor) {
    return IptablesApplier.builder(executor).stateDirectory(folder(executor, "run")).build();
  }

  private String folder(CommandExecutor executor, String name) {
    return folders.get(executor).resolve(name).toString();
  }

  @Test
  void rollsSysctlLimitsAndAnAllowlistOverEveryHostWithoutGlue() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      List<FleetHost> hosts = hosts(net, 3);

      RolloutReport drift = observe(hosts, HostTask.observing(this::sysctl, SYSCTL));
      assertThat(drift.count(HostStatus.CHANGED)).isEqualTo(3);
      assertThat(drift.groups()).hasSize(1);

      assertAll(hosts, HostStatus.CHANGED, HostTask.applying(this::sysctl, SYSCTL));
      assertAll(hosts, HostStatus.CHANGED, HostTask.applying(this::limits, LIMITS));
      assertAll(hosts, HostStatus.CHANGED, HostTask.applying(this::iptables, ALLOWLIST));
      for (FleetHost host : hosts) {
        assertThat(sysctl(host.executor()).verify(SYSCTL).isEmpty()).isTrue();
        assertThat(limits(host.executor()).verify(LIMITS).isEmpty()).isTrue();
        assertThat(iptables(host.executor()).verify(ALLOWLIST).isEmpty()).isTrue();
        assertThat(net.exec(host.name(), "cat", "/proc/sys/net/core/somaxconn").stdoutUtf8())
            .isEqualTo("8191\n");
      }

      assertAll(hosts, HostStatus.UNCHANGED, HostTask.applying(this::sysctl, SYSCTL));
      assertAll(hosts, HostStatus.UNCHANGED, HostTask.applying(this::limits, LIMITS));
      assertAll(hosts, HostStatus.UNCHANGED, HostTask.applying(this::iptables, ALLOWLIST));
      RolloutReport clean = observe(hosts, HostTask.observing(this::iptables, ALLOWLIST));
      assertThat(clean.count(HostStatus.UNCHANGED)).isEqualTo(3);
    }
  }

  @Test
  void aFailedHealthCheckRollsEveryApplierBackToTheExactPriorState() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      List<FleetHost> hosts = hosts(net, 2);
      run(hosts, HostTask.applying(this::sysctl, SYSCTL), null);
      run(hosts, HostTask.applying(this::limits, LIMITS), null);
      run(hosts, HostTask.applying(this::iptables, ALLOWLIST), null);
      Map<String, List<String>> before = files(hosts);

      rolledBack(hosts, HostTask.applying(this::sysctl, SYSCTL_NEXT));
      rolledBack(hosts, HostTask.applying(this::limits, LIMITS_NEXT));
      rolledBack(hosts, HostTask.applying(this::iptables, ALLOWLIST_NEXT));

      for (FleetHost host : hosts) {
        assertThat(sysctl(host.executor()).verify(SYSCTL).isEmpty()).isTrue();
        assertThat(limits(host.executor()).verify(LIMITS).isEmpty()).isTrue();
        assertThat(iptables(host.executor()).verify(ALLOWLIST).isEmpty()).isTrue();
      }
      assertThat(files(hosts)).isEqualTo(before);
    }
  }

  private List<FleetHost> hosts(TestNetworks net, int count) throws Exception {
    List<FleetHost> hosts = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      String namespace = net.namespace("fleet" + i);
      CommandExecutor executor = net.executor(namespace);
      Path folder = Files.createDirectories(root.resolve("host" + i));
      Files.createDirectories(folder.resolve("sysctl.d"));
      folders.put(executor, folder);
      hosts.add(FleetHost.of(namespace, executor));
    }
    return hosts;
  }

  private static RolloutReport observe(List<FleetHost> hosts, HostTask task) {
    return Rollout.builder().hosts(hosts).task(task).observe().build().run();
  }

  private static void assertAll(List<FleetHost> hosts, HostStatus status, HostTask task) {
    RolloutReport report = run(hosts, task, null);
    assertThat(report.count(status)).as(report.renderTable()).isEqualTo(hosts.size());
  }

  private static void rolledBack(List<FleetHost> hosts, HostTask task) {
    RolloutReport report = run(hosts, task, batch -> false);
    assertThat(report.count(HostStatus.ROLLED_BACK))
        .as(report.renderTable())
        .isEqualTo(hosts.size());
  }

  private static RolloutReport run(List<FleetHost> hosts, HostTask task, HealthCheck check) {
    Rollout.Builder rollout =
        Rollout.builder()
            .hosts(hosts)
            .task(task)
            .policy(RolloutPolicy.builder().batch(HostCount.percent(100)).build());
    if (check != null) {
      rollout.healthCheck(check);
    }
    return rollout.build().run();
  }

  /** Every file below each host's folder with its content, in name order. */
  private Map<String, List<String>> files(List<FleetHost> hosts) throws Exception {
    Function<Path, String> read =
        path -> {
          try {
            return root.relativize(path) + "=" + Files.readString(path);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        };
    Map<String, List<String>> files = new LinkedHashMap<>();
    for (FleetHost host : hosts) {
      try (var walk = Files.walk(folders.get(host.executor()))) {
        files.put(
            host.name(),
            walk.filter(Files::isRegularFile)
                .filter(p -> !p.toString().contains("/run/"))
                .sorted()
                .map(read)
                .toList());
      }
    }
    return files;
  }
}
