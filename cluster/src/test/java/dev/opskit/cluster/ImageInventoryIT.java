package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.KubernetesApiTest;
import dev.opskit.cluster.testing.RecordedCall;
import dev.opskit.cluster.testing.SeedCluster;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

@KubernetesApiTest
class ImageInventoryIT {
  private final KubernetesApiFixture fixture;

  ImageInventoryIT(KubernetesApiFixture fixture) {
    this.fixture = fixture;
  }

  private ImageInventory.Builder inventory() {
    return ImageInventory.builder(fixture.apiClient());
  }

  @Test
  void listsInitRegularAndEphemeralContainersWithRunningDigests() throws IOException {
    fixture.seedRealisticCluster();

    List<ContainerImage> rows = inventory().pageSize(4).build().list();

    assertThat(rows.stream().map(r -> r.namespace() + "/" + r.pod()).distinct())
        .hasSize(SeedCluster.POD_COUNT);
    Map<String, ContainerImage> byKey =
        rows.stream()
            .collect(Collectors.toMap(r -> r.pod() + "/" + r.container(), Function.identity()));
    ContainerImage init = byKey.get("web-7c9f8d6b5-2xkqp/init-config");
    assertThat(init.kind()).isEqualTo(ContainerKind.INIT);
    assertThat(init.reference().orElseThrow().toString())
        .isEqualTo("docker.io/library/busybox:1.36");
    assertThat(init.imageId()).isEqualTo(TestPods.IMAGE_ID);

    ContainerImage web = byKey.get("web-7c9f8d6b5-2xkqp/web");
    assertThat(web.kind()).isEqualTo(ContainerKind.REGULAR);
    assertThat(web.node()).hasValue("node-a");
    assertThat(web.runningDigest()).hasValue(SeedCluster.NGINX_DIGEST);

    ContainerImage evicted = byKey.get("web-7c9f8d6b5-ev1ct/web");
    assertThat(evicted.imageId()).isEmpty();
    assertThat(evicted.runningDigest()).isEmpty();

    ContainerImage debugger = byKey.get("debug-tools/debugger-x7k2");
    assertThat(debugger.kind()).isEqualTo(ContainerKind.EPHEMERAL);
    assertThat(debugger.image()).isEqualTo("busybox");
    assertThat(debugger.reference().orElseThrow().isUntagged()).isTrue();

    ContainerImage api = byKey.get("api-5f7d8c6b9-q4wz8/api");
    assertThat(api.reference().orElseThrow().digest()).hasValue(SeedCluster.API_DIGEST);
    assertThat(api.runningDigest()).hasValue(SeedCluster.API_DIGEST);

    // paged: 14 pods at 4 per page is 4 requests, each with limit=4, later ones with continue
    List<RecordedCall> lists = fixture.requests("GET", "/api/v1/pods");
    assertThat(lists).hasSize(4);
    assertThat(lists).allSatisfy(c -> assertThat(c.queryParameter("limit")).hasValue("4"));
    assertThat(lists.subList(1, 4))
        .allSatisfy(c -> assertThat(c.queryParameter("continue")).isPresent());
  }

  @Test
  void viewsAndFindingsOverTheSeededCluster() throws IOException {
    fixture.seedRealisticCluster();
    ImageViews views =
        inventory()
            .build()
            .views(
                ImagePolicy.builder()
                    .addAllowedRegistries("docker.io", "registry.k8s.io", "ghcr.io/example")
                    .build());

    ImageSummary nginx =
        views.images().stream()
            .filter(s -> s.image().equals("docker.io/library/nginx:1.27"))
            .findFirst()
            .orElseThrow();
    assertThat(nginx.pods()).isEqualTo(4);
    assertThat(nginx.runningDigests()).containsExactly(SeedCluster.NGINX_DIGEST);
    assertThat(views.findings())
        .extracting(f -> f.kind() + " " + f.image())
        .contains(
            "LATEST_TAG docker.io/library/nginx:latest",
            "UNTAGGED docker.io/library/busybox:latest",
            "REGISTRY_NOT_ALLOWED registry.example.com/shop/cart:2.3.1")
        .noneMatch(f -> f.contains("ghcr.io"));
  }

  @Test
  void namespacesAndLabelSelectorNarrowTheListing() throws IOException {
    fixture.seedRealisticCluster();
    List<ContainerImage> shop =
        inventory().addNamespaces("shop", "batch").labelSelector("app in (web,api)").build().list();
    assertThat(shop).extracting(ContainerImage::namespace).containsOnly("shop");
    assertThat(shop.stream().map(ContainerImage::pod).distinct()).hasSize(5);
    assertThat(fixture.requests("GET", "/api/v1/namespaces/(shop|batch)/pods")).hasSize(2);
  }

  @Test
  void toleratesFieldsThisClientVersionDoesNotKnow() throws IOException {
    String pod =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"future\","
            + "\"namespace\":\"next\",\"futureMetadata\":{\"a\":1}},"
            + "\"spec\":{\"nodeName\":\"node-z\",\"futureSpec\":[1,{\"b\":null}],"
            + "\"containers\":[{\"name\":\"app\",\"image\":\"quay.io/x/app:2\","
            + "\"futureContainerField\":true}]},"
            + "\"status\":{\"phase\":\"Running\",\"futureStatus\":\"x\","
            + "\"containerStatuses\":[{\"name\":\"app\",\"imageID\":\"quay.io/x/app@"
            + SeedCluster.NGINX_DIGEST
            + "\",\"ready\":true,\"restartCount\":0,\"image\":\"quay.io/x/app:2\","
            + "\"futureStatusField\":{\"deep\":[]}}]}}";
    fixture.createJson("/api/v1/namespaces/next/pods", pod);

    // the generated models of the official client reject the unknown fields
    assertThatThrownBy(() -> new CoreV1Api(fixture.apiClient()).listNamespacedPod("next").execute())
        .hasMessageContaining("future");

    List<ContainerImage> rows = inventory().addNamespaces("next").build().list();
    assertThat(rows)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.image()).isEqualTo("quay.io/x/app:2");
              assertThat(r.node()).hasValue("node-z");
              assertThat(r.runningDigest()).hasValue(SeedCluster.NGINX_DIGEST);
            });
  }

  @Test
  void pagesThroughThousandsOfPodsStreaming() throws IOException {
    List<io.kubernetes.client.openapi.models.V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < 2_345; i++) {
      pods.add(TestPods.running("ns-" + (i % 7), String.format("pod-%05d", i)));
    }
    fixture.createPods(pods);
    long[] count = {0};
    inventory().pageSize(500).build().forEach(r -> count[0]++);
    assertThat(count[0]).isEqualTo(2_345);
    assertThat(fixture.requests("GET", "/api/v1/pods")).hasSize(5);
  }

  @Test
  void errorStatusIsAClusterRequestException() {
    fixture.inject(dev.opskit.cluster.testing.RequestFault.on("GET", "/api/v1/pods").status(403));
    assertThatThrownBy(() -> inventory().build().list())
        .isInstanceOf(ClusterRequestException.class)
        .satisfies(e -> assertThat(((ClusterRequestException) e).statusCode()).isEqualTo(403));
  }
}
