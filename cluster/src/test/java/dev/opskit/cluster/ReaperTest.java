package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.KubernetesApiTest;
import dev.opskit.cluster.testing.RequestFault;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.ApiClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

// The README's example of the JUnit 5 extension: the whole setup is the annotation and the two
// parameters.
// [readme]
@KubernetesApiTest // one fixture per class, reset before each test
class ReaperTest {
  @Test
  void deletesTheEvictedPod(KubernetesApiFixture cluster, ApiClient client) throws Exception {
    cluster.createPod(TestPods.evicted("ci", "build-1", "low on memory", Duration.ofHours(3)));
    cluster.createPod(TestPods.running("ci", "build-2"));
    cluster.inject(RequestFault.on("DELETE", ".*/pods/build-1").status(429).times(1));

    PodReaper.on(client).reap(ReapPolicy.defaults());

    assertThat(cluster.pod("ci", "build-1")).isEmpty(); // deleted on the retry
    assertThat(cluster.pod("ci", "build-2")).isPresent();
    assertThat(cluster.requests("DELETE", ".*/pods/build-1")).hasSize(2);
  }
}
// [/readme]
