package dev.opskit.cluster.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.models.V1Pod;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A seeded class: each test starts with the sample cluster, whatever the one before did. */
@KubernetesApiTest(seed = KubernetesApiTest.Seed.REALISTIC)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesApiSeedIT {
  @Test
  @Order(1)
  void startsWithTheSampleCluster(KubernetesApiFixture fixture) {
    assertThat(fixture.podCount()).isEqualTo(SeedCluster.POD_COUNT);
    for (V1Pod pod : SeedCluster.pods()) {
      String namespace = pod.getMetadata().getNamespace();
      fixture.deleteObject(
          "/api/v1/namespaces/" + namespace + "/pods/" + pod.getMetadata().getName());
    }
    assertThat(fixture.podCount()).isZero();
  }

  @Test
  @Order(2)
  void startsWithTheSampleClusterAgain(KubernetesApiFixture fixture) {
    assertThat(fixture.podCount()).isEqualTo(SeedCluster.POD_COUNT);
  }
}
