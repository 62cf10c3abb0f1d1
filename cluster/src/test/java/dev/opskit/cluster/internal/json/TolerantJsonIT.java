package dev.opskit.cluster.internal.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.KubernetesApiTest;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodList;
import org.junit.jupiter.api.Test;

@KubernetesApiTest
class TolerantJsonIT {
  @Test
  void unknownFieldsBreakTheTypedClientButNotTolerantJson(
      KubernetesApiFixture fixture, ApiClient client) throws Exception {
    fixture.createJson(
        "/api/v1/namespaces/ns/pods",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"future\",\"namespace\":\"ns\","
            + "\"futureMetadata\":{\"x\":1}},\"spec\":{\"nodeName\":\"node-a\",\"containers\":[{\"name\":\"app\","
            + "\"image\":\"busybox\",\"futureContainerField\":true}]},\"status\":{\"phase\":\"Failed\","
            + "\"reason\":\"Evicted\",\"futureStatusField\":\"y\"}}");
    CoreV1Api api = new CoreV1Api(client);
    assertThatThrownBy(() -> api.listNamespacedPod("ns").execute())
        .hasStackTraceContaining("is not defined in the");
    V1PodList list =
        TolerantJson.execute(api.listNamespacedPod("ns").buildCall(null), V1PodList.class);
    assertThat(list.getItems()).hasSize(1);
    V1Pod pod = list.getItems().get(0);
    assertThat(pod.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(pod.getStatus().getReason()).isEqualTo("Evicted");
    assertThat(pod.getSpec().getContainers().get(0).getImage()).isEqualTo("busybox");
    assertThat(pod.getMetadata().getUid()).isNotBlank();
    assertThat(pod.getMetadata().getCreationTimestamp()).isNotNull();
  }
}
