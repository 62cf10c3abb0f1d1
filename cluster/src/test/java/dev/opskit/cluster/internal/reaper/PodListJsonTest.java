package dev.opskit.cluster.internal.reaper;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodList;
import org.junit.jupiter.api.Test;

class PodListJsonTest {
  private static final String PAGE =
      """
      {"kind":"PodList","apiVersion":"v1","metadata":{"continue":"next","resourceVersion":"9"},
       "items":[{
         "metadata":{"name":"build-1","namespace":"ci","uid":"u-1",
           "labels":{"app":"build"},"annotations":{"note":"x"},
           "managedFields":[{"manager":"kubelet","fieldsV1":{"f:status":{}}}],
           "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"build","uid":"j"}],
           "creationTimestamp":"2024-05-01T10:00:00Z"},
         "spec":{"nodeName":"node-a","containers":[{"name":"app","image":"busybox",
           "env":[{"name":"A","value":"1"}]}],"volumes":[{"name":"v","emptyDir":{}}],
           "someFieldOfANewerServer":{"x":[1,2]}},
         "status":{"phase":"Failed","reason":"Evicted",
           "conditions":[{"type":"Ready","status":"False",
             "lastTransitionTime":"2024-05-01T11:00:00Z"}],
           "containerStatuses":[{"name":"app","image":"busybox","imageID":"","ready":false,
             "restartCount":0,"state":{"terminated":{"exitCode":137,"reason":"OOMKilled",
             "finishedAt":"2024-05-01T10:30:00Z"}}}]}}]}
      """;

  @Test
  void readsEveryFactTheReaperUses() {
    V1PodList list = PodListJson.parse(PAGE);
    assertThat(list.getMetadata().getContinue()).isEqualTo("next");
    PodFacts facts = new PodFacts(list.getItems().get(0));
    assertThat(facts.namespace()).isEqualTo("ci");
    assertThat(facts.name()).isEqualTo("build-1");
    assertThat(facts.uid()).isEqualTo("u-1");
    assertThat(facts.node()).isEqualTo("node-a");
    assertThat(facts.phase()).isEqualTo("Failed");
    assertThat(facts.labels()).containsEntry("app", "build");
    assertThat(facts.ownerOfKind(java.util.Set.of("Job"))).contains("Job/build");
    assertThat(facts.reasons(false)).containsExactly("Evicted", "OOMKilled");
    assertThat(facts.exitCodes(false)).containsExactly(137);
    assertThat(facts.failedAt())
        .hasValueSatisfying(t -> assertThat(t).hasToString("2024-05-01T10:30:00Z"));
  }

  @Test
  void skipsWhatTheReaperNeverReads() {
    V1Pod pod = PodListJson.parse(PAGE).getItems().get(0);
    assertThat(pod.getSpec().getContainers()).isNullOrEmpty();
    assertThat(pod.getSpec().getVolumes()).isNullOrEmpty();
    assertThat(pod.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(pod.getMetadata().getAnnotations()).isNullOrEmpty();
  }
}
