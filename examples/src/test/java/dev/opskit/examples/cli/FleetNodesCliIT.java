package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.KubernetesApiTest;
import dev.opskit.cluster.testing.TestNodes;
import dev.opskit.testing.FakeHost;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --nodes}: the command line reaches Kubernetes nodes through agent pods of a short-lived
 * DaemonSet, on the API fixture whose agents run each node's commands on an in-memory host.
 */
@KubernetesApiTest
class FleetNodesCliIT {
  private static final String AGENTS = "/apis/apps/v1/namespaces/kube-system/daemonsets";

  @TempDir Path dir;

  private final KubernetesApiFixture cluster;
  private final Map<String, FakeHost> nodes = new LinkedHashMap<>();

  FleetNodesCliIT(KubernetesApiFixture cluster) {
    this.cluster = cluster;
  }

  private void nodes(int count) {
    for (int i = 1; i <= count; i++) {
      String name = "node-" + i;
      cluster.createNode(TestNodes.ready(name, Map.of("pool", "web")));
      FakeHost host =
          FakeHost.create()
              .withSysctl("net.core.somaxconn", "1024")
              .withSysctl("kernel.hostname", name);
      nodes.put(name, host);
      cluster.daemonSets().node(name, host);
    }
    cluster.createNode(TestNodes.ready("db-1", Map.of("pool", "db")));
  }

  private CliRun sysctl(String verb, String... more) throws Exception {
    String kubeconfig = PodsReapIT.kubeconfig(cluster, dir, "default").toString();
    String[] argv = {
      "sysctl",
      verb,
      "--nodes",
      "pool=web",
      "--kubeconfig",
      kubeconfig,
      "--set",
      "net.core.somaxconn=4096"
    };
    String[] all = new String[argv.length + more.length];
    System.arraycopy(argv, 0, all, 0, argv.length);
    System.arraycopy(more, 0, all, argv.length, more.length);
    return CliRun.of(all);
  }

  @Test
  void appliesOnEverySelectedNodeThenFindsNothingToDoAndLeavesNoAgents() throws Exception {
    nodes(3);

    CliRun apply = sysctl("apply", "--batch", "100%");

    assertThat(apply.exitCode).as(apply.toString()).isZero();
    assertThat(apply.out).contains("3 hosts changed");
    nodes.values().forEach(h -> assertThat(h.sysctl("net.core.somaxconn")).hasValue("4096"));
    assertThat(cluster.count(AGENTS)).isZero();

    CliRun diff = sysctl("diff");
    assertThat(diff.exitCode).as(diff.toString()).isZero();
    assertThat(diff.out).contains("3 hosts unchanged");
    assertThat(cluster.count(AGENTS)).isZero();
  }

  @Test
  void aNodeWithoutAReadyAgentIsUnreachableAndStopsTheRollout() throws Exception {
    nodes(2);
    cluster.daemonSets().neverReady("node-2");

    CliRun apply = sysctl("apply", "--agent-timeout", "1s");

    assertThat(apply.exitCode).as(apply.toString()).isEqualTo(1);
    assertThat(apply.out).contains("node-2").containsIgnoringCase("unreachable");
    assertThat(nodes.get("node-2").sysctl("net.core.somaxconn")).hasValue("1024");
    assertThat(cluster.count(AGENTS)).isZero();
  }

  @Test
  void aFailedHealthCheckRollsTheBatchBackToThePriorState() throws Exception {
    nodes(3);
    nodes
        .get("node-2")
        .failWhen(argv -> argv.equals(List.of("sysctl", "-n", "kernel.hostname")), 1, "unhealthy");

    CliRun apply = sysctl("apply", "--batch", "100%", "--health-cmd", "sysctl -n kernel.hostname");

    assertThat(apply.exitCode).as(apply.toString()).isEqualTo(1);
    assertThat(apply.out).contains("3 hosts rolled back");
    nodes.forEach(
        (name, h) -> {
          assertThat(h.sysctl("net.core.somaxconn")).as(name).hasValue("1024");
          assertThat(h.file("/etc/sysctl.d/99-opskit-custom.conf")).as(name).isEmpty();
        });
    assertThat(cluster.count(AGENTS)).isZero();
  }

  @Test
  void aBadSelectorIsBadInputAndCreatesNothing() throws Exception {
    String kubeconfig = PodsReapIT.kubeconfig(cluster, dir, "default").toString();

    CliRun run =
        CliRun.of(
            "sysctl",
            "diff",
            "--nodes",
            "pool in (",
            "--kubeconfig",
            kubeconfig,
            "--set",
            "net.core.somaxconn=4096");

    assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
    assertThat(run.err).contains("--nodes");
    assertThat(cluster.count(AGENTS)).isZero();
  }
}
