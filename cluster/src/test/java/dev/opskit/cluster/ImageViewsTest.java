package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageViewsTest {
  private static final String SHA_A = ImageInventoryTest.SHA_A;
  private static final String SHA_B = ImageInventoryTest.SHA_B;

  private static ContainerImage c(
      String ns, String pod, String container, String image, String id) {
    return ContainerImage.builder()
        .namespace(ns)
        .pod(pod)
        .podUid(pod + "-uid")
        .container(container)
        .kind(ContainerKind.REGULAR)
        .image(image)
        .imageId(id)
        .build();
  }

  private static ImageViews views(ImagePolicy policy, List<ContainerImage> containers) {
    ImageViews views = ImageViews.create(policy);
    containers.forEach(views::add);
    return views;
  }

  @Test
  void countsPodsAndContainersPerUniqueImage() {
    ImageViews views =
        views(
            ImagePolicy.defaults(),
            List.of(
                c("a", "p1", "x", "nginx:1.27", "nginx@" + SHA_A),
                c("a", "p1", "y", "docker.io/library/nginx:1.27", "nginx@" + SHA_A),
                c("b", "p2", "x", "nginx:1.27", ""),
                c("b", "p2", "z", "quay.io/a/b:1", "")));

    assertThat(views.pods()).isEqualTo(2);
    assertThat(views.containers()).isEqualTo(4);
    List<ImageSummary> images = views.images();
    assertThat(images)
        .extracting(ImageSummary::image)
        .containsExactly("docker.io/library/nginx:1.27", "quay.io/a/b:1");
    ImageSummary nginx = images.get(0);
    assertThat(nginx.pods()).isEqualTo(2);
    assertThat(nginx.containers()).isEqualTo(3);
    assertThat(nginx.namespaces()).containsExactly("a", "b");
    assertThat(nginx.runningDigests()).containsExactly(SHA_A);
    assertThat(views.findings()).isEmpty();
  }

  @Test
  void findsLatestUntaggedSeveralDigestsDisallowedRegistriesAndInvalid() {
    ImagePolicy policy =
        ImagePolicy.builder().addAllowedRegistries("docker.io", "quay.io/calico").build();
    ImageViews views =
        views(
            policy,
            List.of(
                c("a", "p1", "x", "nginx", ""),
                c("a", "p2", "x", "redis:latest", ""),
                c("a", "p3", "x", "app:1.0", "docker.io/library/app@" + SHA_A),
                c("a", "p4", "x", "app:1.0", "docker.io/library/app@" + SHA_B),
                c("a", "p5", "x", "quay.io/calico/node:v3", ""),
                c("a", "p6", "x", "quay.io/calicoctl/x:v3", ""),
                c("a", "p7", "x", "ghcr.io/o/app@" + SHA_A, ""),
                c("a", "p8", "x", "Not/Valid Image", "")));

    assertThat(views.findings())
        .extracting(f -> f.kind() + " " + f.image())
        .containsExactly(
            "LATEST_TAG docker.io/library/redis:latest",
            "UNTAGGED docker.io/library/nginx:latest",
            "SEVERAL_DIGESTS docker.io/library/app:1.0",
            "REGISTRY_NOT_ALLOWED ghcr.io/o/app@" + SHA_A,
            "REGISTRY_NOT_ALLOWED quay.io/calicoctl/x:v3",
            "INVALID_REFERENCE Not/Valid Image");
    ImageFinding digests =
        views.findings().stream()
            .filter(f -> f.kind() == ImageFinding.Kind.SEVERAL_DIGESTS)
            .findFirst()
            .orElseThrow();
    assertThat(digests.pods()).isEqualTo(2);
    assertThat(digests.detail()).contains("2 different digests").contains(SHA_A).contains(SHA_B);
  }

  @Test
  void latestFindingsCanBeSwitchedOff() {
    ImageViews views =
        views(
            ImagePolicy.builder().flagLatest(false).build(),
            List.of(c("a", "p1", "x", "nginx", ""), c("a", "p2", "x", "redis:latest", "")));
    assertThat(views.findings()).isEmpty();
  }
}
