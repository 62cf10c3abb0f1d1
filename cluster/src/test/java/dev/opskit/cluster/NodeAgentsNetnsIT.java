package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.TestNodes;
import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.FleetHost;
import dev.opskit.core.HostCount;
import dev.opskit.core.HostOutcome;
import dev.opskit.core.HostStatus;
import dev.opskit.core.HostTask;
import dev.opskit.core.Rollout;
import dev.opskit.core.RolloutPolicy;
import dev.opskit.core.RolloutReport;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A rollout of {@code net.core.somaxconn} through node agents to five "nodes" that are real network
 * namespaces: exec goes over the API fixture's WebSocket, the value is written through stdin, and
 * every value is read back from the namespace itself.
 */
@Privileged(tools = {"ip", "sh", "cat"})
class NodeAgentsNetnsIT {
  private static final String SOMAXCONN = "/proc/sys/net/core/somaxconn";
  private static final List<String> NODES =
      List.of("node-1", "node-2", "node-3", "node-4", "node-5");

  private KubernetesApiFixture fixture;
  private TestNetworks net;
  private final Map<String, CommandExecutor> namespaces = new LinkedHashMap<>();

  @BeforeEach
  void start() throws Exception {
    fixture = KubernetesApiFixture.start();
    net = TestNetworks.create();
    for (String node : NODES) {
      CommandExecutor inNamespace = net.executor(net.namespace(node));
      namespaces.put(node, inNamespace);
      write(inNamespace, "4096");
      fixture.createNode(TestNodes.ready(node, Map.of("pool", "web")));
    }
    fixture.daemonSets().nodes(namespaces);
  }

  @AfterEach
  void stop() {
    fixture.close();
    net.close();
  }

  private static String read(CommandExecutor node) throws IOException, InterruptedException {
    return node.execute("cat", SOMAXCONN).requireSuccess().stdoutUtf8().strip();
  }

  private static void write(CommandExecutor node, String value)
      throws IOException, InterruptedException {
    node.execute(Command.of("sh", "-c", "cat > " + SOMAXCONN).withStdin(value + "\n"))
        .requireSuccess();
  }

  /** Sets somaxconn on each host through its agent; rolls back to the value it read. */
  private static final HostTask SET_32768 =
      host -> {
        String before = read(host.executor());
        if (before.equals("32768")) {
          return HostOutcome.unchanged("net.core.somaxconn already 32768");
        }
        write(host.executor(), "32768");
        return HostOutcome.changed(
            "set net.core.somaxconn " + before + " -> 32768", () -> write(host.executor(), before));
      };

  private NodeAgents agents() {
    return NodeAgents.builder(fixture.apiClient())
        .labelSelector("pool=web")
        .pollInterval(Duration.ofMillis(20))
        .build();
  }

  private Map<String, String> values() throws Exception {
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, CommandExecutor> node : namespaces.entrySet()) {
      values.put(node.getKey(), read(node.getValue()));
    }
    return values;
  }

  @Test
  void rollsASysctlOutToEveryNodeAndASecondRolloutChangesNothing() throws Exception {
    RolloutPolicy policy = RolloutPolicy.builder().canary(1).batch(HostCount.of(2)).build();
    try (NodeAgentFleet fleet = agents().deploy()) {
      assertThat(fleet.hosts()).extracting(FleetHost::name).containsExactlyElementsOf(NODES);
      RolloutReport first =
          Rollout.builder().hosts(fleet.hosts()).task(SET_32768).policy(policy).build().run();
      assertThat(first.count(HostStatus.CHANGED)).as(first.renderTable()).isEqualTo(5);
      assertThat(values())
          .containsOnly(
              Map.entry("node-1", "32768"),
              Map.entry("node-2", "32768"),
              Map.entry("node-3", "32768"),
              Map.entry("node-4", "32768"),
              Map.entry("node-5", "32768"));
      RolloutReport second =
          Rollout.builder().hosts(fleet.hosts()).task(SET_32768).policy(policy).build().run();
      assertThat(second.count(HostStatus.UNCHANGED)).as(second.renderTable()).isEqualTo(5);
    }
    assertThat(fixture.count("/apis/apps/v1/daemonsets")).isZero();
    assertThat(fixture.count("/api/v1/pods")).isZero();
  }

  @Test
  void aFailingNodeStopsTheRolloutAndItsBatchIsRolledBack() throws Exception {
    CommandExecutor node4 = namespaces.get("node-4");
    fixture
        .daemonSets()
        .node(
            "node-4",
            command ->
                command.argv().get(0).equals("sh")
                    ? ExecResult.builder()
                        .command(command)
                        .exitCode(1)
                        .stderr(
                            ("sh: cannot create " + SOMAXCONN + ": Read-only file system\n")
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .duration(Duration.ZERO)
                        .build()
                    : node4.execute(command));
    RolloutPolicy policy =
        RolloutPolicy.builder().canary(1).batch(HostCount.of(2)).maxParallel(1).build();
    try (NodeAgentFleet fleet = agents().deploy()) {
      RolloutReport report =
          Rollout.builder().hosts(fleet.hosts()).task(SET_32768).policy(policy).build().run();
      // canary node-1, batch node-2 + node-3, batch node-4 + node-5: node-4 fails
      assertThat(report.host("node-1").orElseThrow().status()).isEqualTo(HostStatus.CHANGED);
      assertThat(report.host("node-3").orElseThrow().status()).isEqualTo(HostStatus.CHANGED);
      assertThat(report.host("node-4").orElseThrow().status()).isEqualTo(HostStatus.FAILED);
      assertThat(report.host("node-5").orElseThrow().status()).isEqualTo(HostStatus.SKIPPED);
      assertThat(report.stopReason()).isPresent();
    }
    assertThat(values())
        .containsExactly(
            Map.entry("node-1", "32768"),
            Map.entry("node-2", "32768"),
            Map.entry("node-3", "32768"),
            Map.entry("node-4", "4096"),
            Map.entry("node-5", "4096"));
    assertThat(fixture.count("/apis/apps/v1/daemonsets")).isZero();
    assertThat(fixture.count("/api/v1/pods")).isZero();
  }
}
