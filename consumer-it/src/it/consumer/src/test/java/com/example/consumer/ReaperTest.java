package com.example.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.PodReaper;
import dev.opskit.cluster.ReapPolicy;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.KubernetesApiTest;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.ApiClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Cluster code tested against the in-process Kubernetes API through the JUnit 5 extension. */
@KubernetesApiTest
class ReaperTest {

  @Test
  void reapsOnlyTheEvictedPod(KubernetesApiFixture cluster, ApiClient client) throws Exception {
    cluster.createPod(TestPods.evicted("ci", "build-1", "low on memory", Duration.ofHours(3)));
    cluster.createPod(TestPods.running("ci", "build-2"));

    PodReaper.on(client).reap(ReapPolicy.defaults());

    assertThat(cluster.pod("ci", "build-1")).isEmpty();
    assertThat(cluster.pod("ci", "build-2")).isPresent();
  }
}
