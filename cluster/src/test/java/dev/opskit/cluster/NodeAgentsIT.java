package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.internal.agents.AgentCommand;
import dev.opskit.cluster.internal.agents.AgentCommandTest;
import dev.opskit.cluster.internal.json.TolerantJson;
import dev.opskit.cluster.internal.node.PodExecSession;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.RequestFault;
import dev.opskit.cluster.testing.TestNodes;
import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.FakeCommandExecutor;
import dev.opskit.core.FleetHost;
import dev.opskit.core.HostOutcome;
import dev.opskit.core.HostStatus;
import dev.opskit.core.Rollout;
import dev.opskit.core.RolloutPolicy;
import dev.opskit.core.RolloutReport;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Node agents against the API fixture over HTTP, with its DaemonSet controller and in-memory node
 * executors: selection, the DaemonSet as stored, unreachable nodes, cleanup after success, failure
 * and interrupt, retried API faults.
 */
class NodeAgentsIT {
  private static final String AGENT_PODS = "/api/v1/namespaces/kube-system/pods";
  private static final String AGENT_DAEMONSETS = "/apis/apps/v1/namespaces/kube-system/daemonsets";

  private KubernetesApiFixture fixture;
  private final Map<String, FakeCommandExecutor> nodes = new TreeMap<>();

  @BeforeEach
  void start() {
    fixture = KubernetesApiFixture.start();
    for (int i = 1; i <= 5; i++) {
      String name = "node-" + i;
      fixture.createNode(TestNodes.ready(name, Map.of("pool", i <= 3 ? "web" : "db")));
      FakeCommandExecutor node = FakeCommandExecutor.create();
      node.onArgv("hostname").replyStdout(name + "\n");
      node.onArgvStartingWith("sh", "-c").reply(c -> node(c, name));
      nodes.put(name, node);
      fixture.daemonSets().node(name, node);
    }
  }

  private static dev.opskit.core.ExecResult node(Command command, String name) {
    return dev.opskit.core.ExecResult.builder()
        .command(command)
        .exitCode(0)
        .duration(Duration.ZERO)
        .stdout(
            (name + ":" + new String(command.stdin(), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8))
        .build();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private NodeAgents.Builder agents() {
    return NodeAgents.builder(fixture.apiClient())
        .pollInterval(Duration.ofMillis(20))
        .readyTimeout(Duration.ofSeconds(5))
        .requestsPerSecond(200)
        .requestPolicy(
            RequestPolicy.builder()
                .initialBackoff(Duration.ofMillis(10))
                .maxBackoff(Duration.ofMillis(50))
                .build());
  }

  private void assertNoAgentsLeft() {
    assertThat(fixture.count(AGENT_DAEMONSETS)).as("agent DaemonSets").isZero();
    assertThat(fixture.count(AGENT_PODS)).as("agent pods").isZero();
  }

  @Test
  void selectsNodesByLabelAndRunsCommandsWithStdinOnEach() throws Exception {
    try (NodeAgentFleet fleet = agents().labelSelector("pool=web").build().deploy()) {
      assertThat(fleet.hosts())
          .extracting(FleetHost::name)
          .containsExactly("node-1", "node-2", "node-3");
      assertThat(fleet.unreachable()).isEmpty();
      assertThat(fixture.count(AGENT_PODS)).isEqualTo(3);
      for (FleetHost host : fleet.hosts()) {
        assertThat(host.executor().execute("hostname").requireSuccess().stdoutUtf8())
            .isEqualTo(host.name() + "\n");
        assertThat(
                host.executor()
                    .execute(Command.of("sh", "-c", "cat").withStdin("net.core.somaxconn=4096\n"))
                    .requireSuccess()
                    .stdoutUtf8())
            .isEqualTo(host.name() + ":net.core.somaxconn=4096\n");
      }
    }
    assertNoAgentsLeft();
    assertThat(nodes.get("node-4").commands()).isEmpty();
  }

  @Test
  void aCommandOfAnySizeReachesTheNodeByteExactThroughAConstantExecRequest() throws Exception {
    AtomicReference<Command> received = new AtomicReference<>();
    fixture
        .daemonSets()
        .node(
            "node-1",
            command -> {
              received.set(command);
              return node(command, "node-1");
            });
    byte[] input = new byte[200_000];
    new java.util.Random(1).nextBytes(input);
    Command command = Command.builder().argv(AgentCommandTest.hostileArgv()).stdin(input).build();
    try (NodeAgentFleet fleet = agents().nodeNames(List.of("node-1")).build().deploy()) {
      ExecResult result = fleet.hosts().get(0).executor().execute(command).requireSuccess();

      assertThat(received.get().argv()).isEqualTo(command.argv());
      assertThat(received.get().stdin()).isEqualTo(input);
      assertThat(result.stdout()).startsWith("node-1:".getBytes(StandardCharsets.UTF_8));
    }
    // the server allows a 4 KB request line: the command is not in it
    assertThat(fixture.requests("GET", ".*/exec"))
        .singleElement()
        .satisfies(call -> assertThat(call.query().get("command")).isEqualTo(AgentCommand.EXEC));
    assertNoAgentsLeft();
  }

  @Test
  void anExecWhoseFrameDoesNotParseEndsAsThePodsShellWouldAndRunsNothing() throws Exception {
    try (NodeAgentFleet fleet = agents().nodeNames(List.of("node-1")).build().deploy()) {
      assertThat(fleet.unreachable()).isEmpty();
      JsonObject pods =
          TolerantJson.execute(
              new CoreV1Api(fixture.apiClient()).listNamespacedPod("kube-system").buildCall(null),
              JsonObject.class);
      String pod =
          pods.getAsJsonArray("items")
              .get(0)
              .getAsJsonObject()
              .getAsJsonObject("metadata")
              .get("name")
              .getAsString();

      PodExecSession.Outcome outcome =
          PodExecSession.run(
              fixture.apiClient(),
              "kube-system",
              pod,
              "agent",
              AgentCommand.EXEC,
              "5\n1\nnot a count\nhostname\n0\n".getBytes(StandardCharsets.UTF_8),
              Duration.ofSeconds(30));

      assertThat(outcome.exitCode()).hasValue(AgentCommand.MALFORMED);
      assertThat(new String(outcome.stderr(), StandardCharsets.UTF_8))
          .contains("malformed command on stdin (lines)");
    }
    assertThat(nodes.get("node-1").commands()).isEmpty();
  }

  @Test
  void theDaemonSetIsPrivilegedOnHostNamespacesToleratesEverythingAndTargetsTheSelectedNodes()
      throws Exception {
    fixture.createJson("/api/v1/namespaces", "{\"metadata\":{\"name\":\"ops\"}}");
    try (NodeAgentFleet fleet =
        agents()
            .nodeNames(List.of("node-2", "node-5"))
            .namespace("ops")
            .image("registry.example.com/tools/busybox:1.36.1")
            .build()
            .deploy()) {
      JsonObject stored =
          JsonParser.parseString(
                  fixture
                      .json("/apis/apps/v1/namespaces/ops/daemonsets/" + fleet.daemonSet().get())
                      .get())
              .getAsJsonObject();
      JsonObject labels = stored.getAsJsonObject("metadata").getAsJsonObject("labels");
      assertThat(labels.get("app.kubernetes.io/managed-by").getAsString()).isEqualTo("opskit");
      JsonObject pod =
          stored.getAsJsonObject("spec").getAsJsonObject("template").getAsJsonObject("spec");
      assertThat(pod.get("hostPID").getAsBoolean()).isTrue();
      assertThat(pod.get("hostNetwork").getAsBoolean()).isTrue();
      assertThat(pod.getAsJsonArray("tolerations").toString())
          .isEqualTo("[{\"operator\":\"Exists\"}]");
      JsonObject container = pod.getAsJsonArray("containers").get(0).getAsJsonObject();
      assertThat(container.get("image").getAsString())
          .isEqualTo("registry.example.com/tools/busybox:1.36.1");
      assertThat(container.getAsJsonObject("securityContext").get("privileged").getAsBoolean())
          .isTrue();
      JsonArray fields =
          pod.getAsJsonObject("affinity")
              .getAsJsonObject("nodeAffinity")
              .getAsJsonObject("requiredDuringSchedulingIgnoredDuringExecution")
              .getAsJsonArray("nodeSelectorTerms")
              .get(0)
              .getAsJsonObject()
              .getAsJsonArray("matchFields");
      assertThat(fields.toString())
          .isEqualTo(
              "[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"node-2\",\"node-5\"]}]");
      assertThat(fleet.hosts()).extracting(FleetHost::name).containsExactly("node-2", "node-5");
      assertThat(fixture.count("/api/v1/namespaces/ops/pods")).isEqualTo(2);
    }
    assertThat(fixture.count("/apis/apps/v1/namespaces/ops/daemonsets")).isZero();
    assertThat(fixture.count("/api/v1/namespaces/ops/pods")).isZero();
  }

  @Test
  void nodesWithoutAReadyAgentAreReportedUnreachableNeverSkipped() throws Exception {
    fixture.createNode(
        TestNodes.tainted(TestNodes.ready("node-6", Map.of()), "dedicated", "gpu", "NoSchedule"));
    fixture
        .daemonSets()
        .node("node-6", nodes.get("node-1"))
        .neverReady("node-2")
        .readyAfter("node-3", Duration.ofMillis(500));
    try (NodeAgentFleet fleet =
        agents()
            .nodeNames(List.of("node-1", "node-2", "node-3", "node-6", "node-9"))
            .readyTimeout(Duration.ofSeconds(2))
            .build()
            .deploy()) {
      assertThat(fleet.readyHosts())
          .extracting(FleetHost::name)
          .containsExactly("node-1", "node-3", "node-6");
      assertThat(fleet.unreachable()).containsOnlyKeys("node-2", "node-9");
      assertThat(fleet.unreachable().get("node-2")).contains("Pending", "ImagePullBackOff");
      assertThat(fleet.unreachable().get("node-9")).isEqualTo("no such node");
      RolloutReport report =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(
                  host ->
                      HostOutcome.unchanged(
                          host.executor()
                                  .execute("hostname")
                                  .requireSuccess()
                                  .stdoutUtf8()
                                  .isEmpty()
                              ? "?"
                              : "answers"))
              .policy(RolloutPolicy.observe())
              .build()
              .run();
      assertThat(report.host("node-2").orElseThrow().status()).isEqualTo(HostStatus.UNREACHABLE);
      assertThat(report.host("node-2").orElseThrow().summary()).contains("no ready agent");
      assertThat(report.host("node-9").orElseThrow().status()).isEqualTo(HostStatus.UNREACHABLE);
      assertThat(report.count(HostStatus.UNCHANGED)).isEqualTo(3);
    }
    assertNoAgentsLeft();
  }

  @Test
  void anInterruptedDeployDeletesTheDaemonSet() throws Exception {
    fixture.daemonSets().neverReady("node-1");
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread deploy =
        new Thread(
            () -> {
              try {
                agents()
                    .labelSelector("")
                    .readyTimeout(Duration.ofMinutes(5))
                    .build()
                    .deploy()
                    .close();
              } catch (Throwable e) {
                thrown.set(e);
              }
            });
    deploy.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (fixture.count(AGENT_PODS) < 5 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(fixture.count(AGENT_PODS)).isEqualTo(5);
    deploy.interrupt();
    deploy.join(20_000);
    assertThat(deploy.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    assertNoAgentsLeft();
  }

  @Test
  void aFailedRolloutAndAnInterruptedCallerStillDeleteTheDaemonSet() throws Exception {
    NodeAgentFleet fleet = agents().labelSelector("pool=db").build().deploy();
    try (fleet) {
      RolloutReport report =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(
                  host -> {
                    throw new IllegalStateException("broken step");
                  })
              .build()
              .run();
      assertThat(report.count(HostStatus.FAILED)).isEqualTo(1);
      assertThat(report.count(HostStatus.SKIPPED)).isEqualTo(1);
      Thread.currentThread().interrupt();
    } finally {
      assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
    }
    assertNoAgentsLeft();
  }

  @Test
  void throttledAndFailingPodListsAreRetriedWithinBounds() throws Exception {
    fixture.inject(RequestFault.on("GET", AGENT_PODS).status(429).times(2));
    fixture.inject(RequestFault.on("GET", AGENT_PODS).status(500).times(2));
    try (NodeAgentFleet fleet = agents().labelSelector("pool=web").build().deploy()) {
      assertThat(fleet.readyHosts()).hasSize(3);
    }
    assertThat(fixture.requests("GET", AGENT_PODS).size()).isGreaterThanOrEqualTo(5);
    assertNoAgentsLeft();

    fixture.inject(RequestFault.on("GET", AGENT_PODS).status(500).times(5));
    assertThatThrownBy(() -> agents().labelSelector("pool=web").build().deploy())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("500");
    assertNoAgentsLeft();
  }

  @Test
  void anExpiredDaemonSetLeftByADeadCallerIsDeletedByTheNextDeploy() throws Exception {
    String expired = "opskit-agents-dead";
    String current = "opskit-agents-other";
    for (String name : List.of(expired, current)) {
      Instant expires =
          name.equals(expired) ? Instant.now().minusSeconds(60) : Instant.now().plusSeconds(3600);
      fixture.createJson(
          AGENT_DAEMONSETS,
          "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\""
              + name
              + "\",\"labels\":{\"app.kubernetes.io/managed-by\":\"opskit\","
              + "\"app.kubernetes.io/component\":\"node-agent\",\"opskit.dev/node-agents\":\""
              + name
              + "\"},\"annotations\":{\"opskit.dev/expires-at\":\""
              + expires
              + "\"}},\"spec\":{\"selector\":{\"matchLabels\":{\"opskit.dev/node-agents\":\""
              + name
              + "\"}},\"template\":{\"metadata\":{\"labels\":{\"opskit.dev/node-agents\":\""
              + name
              + "\"}},\"spec\":{\"nodeSelector\":{\"pool\":\"none\"},\"containers\":[{\"name\":\"agent\",\"image\":\"busybox\"}]}}}}");
    }
    try (NodeAgentFleet fleet = agents().labelSelector("pool=web").build().deploy()) {
      assertThat(fleet.readyHosts()).hasSize(3);
      assertThat(fixture.exists(AGENT_DAEMONSETS + "/" + expired)).isFalse();
      assertThat(fixture.exists(AGENT_DAEMONSETS + "/" + current)).isTrue();
    }
    assertThat(fixture.count(AGENT_DAEMONSETS)).isEqualTo(1);
  }

  @Test
  void noSelectedNodeCreatesNothing() throws Exception {
    try (NodeAgentFleet fleet = agents().labelSelector("pool=none").build().deploy()) {
      assertThat(fleet.hosts()).isEmpty();
      assertThat(fleet.daemonSet()).isEmpty();
    }
    assertThat(fixture.requests("POST", ".*")).isEmpty();
  }
}
