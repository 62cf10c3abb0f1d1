package dev.opskit.examples.bench;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.TestKubeconfig;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The cluster the command-line benchmark and the class-data training run against: the embedded
 * {@link KubernetesApiFixture} over HTTP on loopback with {@code total} pods in 20 namespaces,
 * every ({@code total / failed})th of them Failed two hours ago, the rest Running, and a kubeconfig
 * pointing at it, as {@code kubectl} and the {@code opskit} command line read it.
 */
final class CliWorkload implements AutoCloseable {
  final KubernetesApiFixture fixture;
  final Path kubeconfig;
  private final int total;
  private final int failed;

  private CliWorkload(KubernetesApiFixture fixture, Path kubeconfig, int total, int failed) {
    this.fixture = fixture;
    this.kubeconfig = kubeconfig;
    this.total = total;
    this.failed = failed;
  }

  /** Starts the API, stores the pods and writes the kubeconfig into {@code dir}. */
  static CliWorkload start(int total, int failed, Path dir) throws IOException {
    if (failed < 1 || failed > total) {
      throw new IllegalArgumentException(
          "failed pods must be 1.." + total + " (the total), was " + failed);
    }
    KubernetesApiFixture fixture = KubernetesApiFixture.start();
    CliWorkload workload =
        new CliWorkload(
            fixture,
            TestKubeconfig.of(fixture).namespace("default").writeTo(dir.resolve("kubeconfig")),
            total,
            failed);
    List<V1Pod> pods = new ArrayList<>(total);
    for (int i = 0; i < total; i++) {
      pods.add(
          workload.isFailed(i) ? workload.failedPod(i) : TestPods.running(namespace(i), name(i)));
    }
    fixture.createPods(pods);
    return workload;
  }

  /** Stores again the Failed pods a run deleted; returns how many. */
  int restoreFailed() {
    List<V1Pod> missing = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      if (isFailed(i) && fixture.pod(namespace(i), name(i)).isEmpty()) {
        missing.add(failedPod(i));
      }
    }
    if (!missing.isEmpty()) {
      fixture.createPods(missing);
    }
    return missing.size();
  }

  int total() {
    return total;
  }

  int failed() {
    return failed;
  }

  private boolean isFailed(int i) {
    int every = total / failed;
    return i % every == 0 && i / every < failed;
  }

  private V1Pod failedPod(int i) {
    return TestPods.failed(namespace(i), name(i), "Error", 1, Duration.ofHours(2));
  }

  private static String namespace(int i) {
    return "ns-" + (i % 20);
  }

  private static String name(int i) {
    return String.format("pod-%06d", i);
  }

  @Override
  public void close() {
    fixture.close();
  }
}
