package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.internal.json.TolerantJson;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.PodExecReply;
import dev.opskit.cluster.testing.TestNodes;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1DaemonSetSpec;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1PodTemplateSpec;
import io.kubernetes.client.openapi.models.V1Toleration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fixture's DaemonSet controller, driven by the official client: which nodes get a pod
 * (nodeSelector, taints against tolerations), that the pods become Running and Ready, belong to
 * their DaemonSet and go with it, and that exec into other pods still reaches the test's handler.
 */
class DaemonSetControllerIT {
  private KubernetesApiFixture fixture;
  private AppsV1Api apps;
  private CoreV1Api core;

  @BeforeEach
  void start() {
    fixture = KubernetesApiFixture.start();
    fixture.daemonSets();
    fixture.createNode(TestNodes.ready("web-1", Map.of("pool", "web")));
    fixture.createNode(TestNodes.ready("web-2", Map.of("pool", "web")));
    fixture.createNode(
        TestNodes.tainted(
            TestNodes.ready("web-3", Map.of("pool", "web")), "gpu", "true", "NoSchedule"));
    fixture.createNode(
        TestNodes.tainted(
            TestNodes.ready("web-4", Map.of("pool", "web")), "slow", null, "PreferNoSchedule"));
    fixture.createNode(TestNodes.ready("db-1", Map.of("pool", "db")));
    apps = new AppsV1Api(fixture.apiClient());
    core = new CoreV1Api(fixture.apiClient());
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private static V1DaemonSet daemonSet(String name, List<V1Toleration> tolerations) {
    return new V1DaemonSet()
        .apiVersion("apps/v1")
        .kind("DaemonSet")
        .metadata(new V1ObjectMeta().name(name))
        .spec(
            new V1DaemonSetSpec()
                .selector(new V1LabelSelector().matchLabels(Map.of("app", name)))
                .template(
                    new V1PodTemplateSpec()
                        .metadata(new V1ObjectMeta().labels(Map.of("app", name)))
                        .spec(
                            new V1PodSpec()
                                .nodeSelector(Map.of("pool", "web"))
                                .tolerations(tolerations)
                                .addContainersItem(new V1Container().name("c").image("busybox")))));
  }

  private List<V1Pod> pods(String app) throws Exception {
    return TolerantJson.<io.kubernetes.client.openapi.models.V1PodList>execute(
            core.listNamespacedPod("ops").labelSelector("app=" + app).buildCall(null),
            io.kubernetes.client.openapi.models.V1PodList.class)
        .getItems();
  }

  @Test
  void schedulesOnePodPerMatchingNodeUnlessATaintIsNotTolerated() throws Exception {
    apps.createNamespacedDaemonSet("ops", daemonSet("plain", List.of())).execute();
    apps.createNamespacedDaemonSet(
            "ops",
            daemonSet(
                "gpu", List.of(new V1Toleration().key("gpu").operator("Equal").value("true"))))
        .execute();
    assertThat(pods("plain"))
        .extracting(pod -> pod.getSpec().getNodeName())
        .containsExactlyInAnyOrder("web-1", "web-2", "web-4");
    assertThat(pods("gpu"))
        .extracting(pod -> pod.getSpec().getNodeName())
        .containsExactlyInAnyOrder("web-1", "web-2", "web-3", "web-4");
    for (V1Pod pod : pods("plain")) {
      assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
      assertThat(pod.getStatus().getConditions())
          .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
      assertThat(pod.getMetadata().getOwnerReferences().get(0).getName()).isEqualTo("plain");
    }

    apps.deleteNamespacedDaemonSet("plain", "ops").execute();
    assertThat(fixture.count("/api/v1/namespaces/ops/pods")).isEqualTo(4);
    assertThat(pods("plain")).isEmpty();
  }

  @Test
  void execIntoPodsItDidNotMakeStillReachesTheTestsHandler() throws Exception {
    fixture.createPod(
        dev.opskit.cluster.testing.TestPods.running(
            "ops", "other", java.time.Duration.ofMinutes(1)));
    fixture.onExec(request -> PodExecReply.of(0, "handled\n", ""));
    assertThat(
            dev.opskit.cluster.internal.node.PodExecSession.run(
                    fixture.apiClient(),
                    "ops",
                    "other",
                    "",
                    List.of("true"),
                    java.time.Duration.ofSeconds(10))
                .stdout())
        .asString()
        .isEqualTo("handled\n");
  }
}
