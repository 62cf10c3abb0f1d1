package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.KubernetesApiTest;
import dev.opskit.cluster.testing.TestNodes;
import dev.opskit.core.Command;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import dev.opskit.testing.FakeHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --nodes}: the command line reaches Kubernetes nodes through agent pods of a short-lived
 * DaemonSet, on the API fixture whose agents run each node's commands on an in-memory host, or (for
 * iptables) in a network namespace per node, where the rules are read back and a packet test proves
 * who gets through.
 */
@KubernetesApiTest
class FleetNodesCliIT {
  private static final String AGENTS = "/apis/apps/v1/namespaces/kube-system/daemonsets";
  private static final String EDGE_1 = "198.18.70.2";
  private static final String ALLOWED = "198.18.70.1";
  private static final String DENIED = "198.18.70.3";

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

  /** The command line on the nodes {@code selector} selects, through the fixture's kubeconfig. */
  private CliRun opskit(String selector, List<String> args) throws Exception {
    String kubeconfig = PodsReapIT.kubeconfig(cluster, dir, "default").toString();
    List<String> argv = new ArrayList<>(args);
    argv.addAll(List.of("--nodes", selector, "--kubeconfig", kubeconfig));
    return CliRun.of(argv.toArray(String[]::new));
  }

  private CliRun sysctl(String verb, String... more) throws Exception {
    List<String> argv =
        new ArrayList<>(List.of("sysctl", verb, "--set", "net.core.somaxconn=4096"));
    argv.addAll(Arrays.asList(more));
    return opskit("pool=web", argv);
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
    CliRun run = opskit("pool in (", List.of("sysctl", "diff", "--set", "net.core.somaxconn=4096"));

    assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
    assertThat(run.err).contains("--nodes");
    assertThat(cluster.count(AGENTS)).isZero();
  }

  @Test
  @Privileged(tools = {"ip", "iptables", "iptables-save", "socat"})
  void allowsShowsAndRemovesANodePortAllowlistInEveryNodesNamespace() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      Map<String, String> namespaces = new LinkedHashMap<>();
      for (int i = 1; i <= 3; i++) {
        String name = "edge-" + i;
        namespaces.put(name, net.namespace("edge" + i));
        cluster.createNode(TestNodes.ready(name, Map.of("pool", "edge")));
        cluster.daemonSets().node(name, net.executor(namespaces.get(name)));
      }
      String client = net.namespace("client");
      String edge1 = namespaces.get("edge-1");
      String clientLink = net.link(client, ALLOWED + "/24", edge1, EDGE_1 + "/24").get(0);
      net.address(client, clientLink, DENIED + "/24");
      // 100 sources: the old exec request, argv in its URL, was far over the fixture's 4 KB
      List<String> allow =
          new ArrayList<>(
              List.of("iptables", "allow-nodeport", "--name", "web", "--port", "30001"));
      allow.addAll(List.of("--allow", ALLOWED + "/32", "--batch", "100%"));
      for (int i = 1; i < 100; i++) {
        allow.addAll(List.of("--allow", "198.19." + i + ".0/24"));
      }

      CliRun allowed = opskit("pool=edge", allow);

      assertThat(allowed.exitCode).as(allowed.toString()).isZero();
      assertThat(allowed.out).contains("3 hosts changed");
      assertThat(cluster.count(AGENTS)).isZero();
      namespaces.forEach(
          (node, ns) ->
              assertThat(net.exec(ns, "iptables-save", "-t", "raw").stdoutUtf8())
                  .as(node)
                  .contains("-A OPSKIT-web -s " + ALLOWED + "/32 -j RETURN")
                  .contains("-A OPSKIT-web -s 198.19.99.0/24 -j RETURN"));
      assertThat(probe(net, client, ALLOWED)).contains("Connection refused");
      assertThat(probe(net, client, DENIED)).doesNotContain("Connection refused");

      CliRun show = opskit("pool=edge", List.of("iptables", "show", "--name", "web"));

      assertThat(show.exitCode).as(show.toString()).isZero();
      assertThat(show.out).contains("3 hosts unchanged: web IPV4: ");
      assertThat(cluster.count(AGENTS)).isZero();

      CliRun removed = opskit("pool=edge", List.of("iptables", "remove-nodeport", "--name", "web"));

      assertThat(removed.exitCode).as(removed.toString()).isZero();
      assertThat(removed.out).contains("3 hosts changed");
      namespaces.forEach(
          (node, ns) ->
              assertThat(net.exec(ns, "iptables-save").stdoutUtf8())
                  .as(node)
                  .doesNotContain("OPSKIT-web"));
      assertThat(probe(net, client, DENIED)).contains("Connection refused");
      assertThat(cluster.count(AGENTS)).isZero();
    }
  }

  /** Connects from {@code source} in the client namespace to edge-1's NodePort; socat's stderr. */
  private static String probe(TestNetworks net, String client, String source) throws Exception {
    return net.executor(client)
        .execute(
            Command.of(
                    "socat",
                    "-u",
                    "OPEN:/dev/null",
                    "TCP:" + EDGE_1 + ":30001,bind=" + source + ",connect-timeout=2")
                .withTimeout(Duration.ofSeconds(10)))
        .stderrUtf8();
  }
}
