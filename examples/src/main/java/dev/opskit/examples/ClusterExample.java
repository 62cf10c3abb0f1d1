package dev.opskit.examples;

import dev.opskit.cluster.ImageInventory;
import dev.opskit.cluster.ImagePolicy;
import dev.opskit.cluster.ImageReportFormat;
import dev.opskit.cluster.ImageViews;
import dev.opskit.cluster.PodReaper;
import dev.opskit.cluster.ReapPolicy;
import dev.opskit.cluster.ReapReport;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.time.Duration;

/**
 * Cleans failed pods and lists every image, against the embedded Kubernetes API fixture so that it
 * runs anywhere; with a real cluster, pass {@code Config.defaultClient()} instead. The marked part
 * is quoted in the README.
 */
public final class ClusterExample {
  private ClusterExample() {}

  /** Runs the example against a freshly seeded fixture. */
  public static void main(String[] args) throws IOException, InterruptedException {
    try (KubernetesApiFixture fixture = KubernetesApiFixture.start()) {
      fixture.seedRealisticCluster();
      run(fixture.apiClient());
    }
  }

  static void run(ApiClient client) throws IOException, InterruptedException {
    // [readme]
    ReapPolicy policy =
        ReapPolicy.builder()
            .addReasons("Evicted", "OOMKilled")
            .minAge(Duration.ofMinutes(30)) // since the pod failed, not since it was created
            .maxDeletions(100)
            .dryRun(true)
            .build(); // Job pods are kept by default
    ReapReport report = PodReaper.on(client).reap(policy);
    System.out.print(report.render());

    ImageViews images = ImageInventory.on(client).views(ImagePolicy.defaults());
    ImageReportFormat.TABLE.writeFindings(images.findings(), System.out);
    // [/readme]
  }
}
