package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.cluster.internal.image.PodImageReader;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageInventoryTest {
  static final String SHA_A =
      "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  static final String SHA_B =
      "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

  /** A pod list as a newer API server might send it, with fields client-java 27 does not know. */
  static final String POD_LIST =
      "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"futureTopLevel\":{\"x\":[1,2]},"
          + "\"metadata\":{\"resourceVersion\":\"42\",\"continue\":\"next-page\","
          + "\"remainingItemCount\":7},"
          + "\"items\":[{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"prod\",\"uid\":\"u1\","
          + "\"futureMetadata\":true},"
          + "\"spec\":{\"nodeName\":\"node-a\",\"hostnameOverride\":\"h\","
          + "\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox\",\"restartPolicy\":\"Always\","
          + "\"resizePolicy\":[{\"resourceName\":\"cpu\"}],\"unknownField\":{\"deep\":[{}]}}],"
          + "\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.27\",\"futureField\":1},"
          + "{\"name\":\"sidecar\",\"image\":\"quay.io/x/y@"
          + SHA_B
          + "\"}],"
          + "\"ephemeralContainers\":[{\"name\":\"debugger\",\"image\":\"busybox:1.36\","
          + "\"targetContainerName\":\"app\"}]},"
          + "\"status\":{\"phase\":\"Running\",\"futureStatus\":[null],"
          + "\"containerStatuses\":[{\"name\":\"sidecar\",\"imageID\":\"quay.io/x/y@"
          + SHA_B
          + "\",\"allocatedResourcesStatus\":[{\"name\":\"r\",\"resources\":[]}]},"
          + "{\"name\":\"app\",\"imageID\":\"docker-pullable://nginx@"
          + SHA_A
          + "\",\"user\":{\"linux\":{\"uid\":0}},\"stopSignal\":\"SIGTERM\"}],"
          + "\"initContainerStatuses\":[{\"name\":\"init\",\"imageID\":\"\"}]}},"
          + "{\"metadata\":{\"name\":\"pending\",\"namespace\":\"dev\"},"
          + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"Bad Image\"}]},"
          + "\"status\":{\"phase\":\"Pending\"}}]}";

  @Test
  void readsEveryContainerKindAndToleratesUnknownFields() throws IOException {
    List<ContainerImage> rows = new ArrayList<>();
    Optional<String> next = PodImageReader.readList(new StringReader(POD_LIST), rows::add);

    assertThat(next).hasValue("next-page");
    assertThat(rows)
        .extracting(ContainerImage::container)
        .containsExactly("init", "app", "sidecar", "debugger", "c");
    assertThat(rows)
        .extracting(ContainerImage::kind)
        .containsExactly(
            ContainerKind.INIT,
            ContainerKind.REGULAR,
            ContainerKind.REGULAR,
            ContainerKind.EPHEMERAL,
            ContainerKind.REGULAR);
    ContainerImage app = rows.get(1);
    assertThat(app.namespace()).isEqualTo("prod");
    assertThat(app.pod()).isEqualTo("web-1");
    assertThat(app.podUid()).isEqualTo("u1");
    assertThat(app.node()).hasValue("node-a");
    assertThat(app.image()).isEqualTo("nginx:1.27");
    assertThat(app.reference().map(ImageReference::toString))
        .hasValue("docker.io/library/nginx:1.27");
    assertThat(app.imageId()).isEqualTo("docker-pullable://nginx@" + SHA_A);
    assertThat(app.runningDigest()).hasValue(SHA_A);
    // matched by name, not by position: statuses came in another order
    assertThat(rows.get(2).runningDigest()).hasValue(SHA_B);
    // a container that never started has an empty imageID
    assertThat(rows.get(0).imageId()).isEmpty();
    assertThat(rows.get(0).runningDigest()).isEmpty();
    // an ephemeral container without a status
    assertThat(rows.get(3).imageId()).isEmpty();
    ContainerImage pending = rows.get(4);
    assertThat(pending.node()).isEmpty();
    assertThat(pending.reference()).isEmpty();
    assertThat(pending.imageKey()).isEqualTo("Bad Image");
  }

  @Test
  void lastPageHasNoContinueToken() throws IOException {
    List<ContainerImage> rows = new ArrayList<>();
    Optional<String> next =
        PodImageReader.readList(
            new StringReader("{\"metadata\":{\"continue\":\"\"},\"items\":[]}"), rows::add);
    assertThat(next).isEmpty();
    assertThat(rows).isEmpty();
  }

  @Test
  void runningDigestFromEveryImageIdForm() {
    assertThat(row("docker.io/library/nginx@" + SHA_A).runningDigest()).hasValue(SHA_A);
    assertThat(row("docker://" + SHA_A).runningDigest()).hasValue(SHA_A);
    assertThat(row(SHA_A).runningDigest()).hasValue(SHA_A);
    assertThat(row("").runningDigest()).isEmpty();
    assertThat(row("garbage").runningDigest()).isEmpty();
  }

  @Test
  void validatesOptions() {
    ApiClient client = new ApiClient();
    assertThatThrownBy(() -> ImageInventory.builder(client).pageSize(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pageSize");
    assertThatThrownBy(() -> ImageInventory.builder(client).addNamespaces("Bad_NS").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Bad_NS'");
  }

  static ContainerImage row(String imageId) {
    return ContainerImage.builder()
        .namespace("ns")
        .pod("p")
        .container("c")
        .kind(ContainerKind.REGULAR)
        .image("nginx")
        .imageId(imageId)
        .build();
  }
}
