package dev.opskit.examples.bench;

import dev.opskit.cluster.PodReaper;
import dev.opskit.cluster.ReapPolicy;
import dev.opskit.cluster.ReapReport;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.models.V1Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reaps 5,000 Failed pods among 20,000 on the {@link KubernetesApiFixture} (a real HTTP API on
 * loopback), once with one delete in flight and once with several, and prints the wall times.
 *
 * <pre>{@code
 * java -cp examples/target/opskit.jar dev.opskit.examples.bench.ReaperBenchmark [pods] [failed]
 * }</pre>
 */
public final class ReaperBenchmark {
  private ReaperBenchmark() {}

  /** Runs the benchmark; optional arguments: total pods, failed pods. */
  public static void main(String[] args) throws Exception {
    int total = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int failed = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
    System.out.printf("pods: %d, failed: %d, page size 500%n", total, failed);
    run(total, failed, 1, true);
    for (int concurrency : new int[] {1, 4, 16}) {
      run(total, failed, concurrency, false);
    }
  }

  private static void run(int total, int failed, int concurrency, boolean warmup) throws Exception {
    try (KubernetesApiFixture fixture = KubernetesApiFixture.start()) {
      List<V1Pod> pods = new ArrayList<>(total);
      int every = total / failed;
      for (int i = 0; i < total; i++) {
        String namespace = "ns-" + (i % 20);
        String name = String.format("pod-%06d", i);
        pods.add(
            i % every == 0 && i / every < failed
                ? TestPods.failed(namespace, name, "Error", 1, Duration.ofHours(2))
                : TestPods.running(namespace, name));
      }
      fixture.createPods(pods);
      ReapPolicy policy = ReapPolicy.builder().concurrency(concurrency).pageSize(500).build();
      long start = System.nanoTime();
      ReapReport report = PodReaper.on(fixture.apiClient()).reap(policy);
      long millis = (System.nanoTime() - start) / 1_000_000;
      if (report.deleted().size() != failed || fixture.podCount() != total - failed) {
        throw new IllegalStateException("unexpected result: " + report);
      }
      System.out.printf(
          "%s concurrency %2d: %,d deleted in %,d ms (%.0f deletes/s), %d pages%n",
          warmup ? "warm-up    " : "measured   ",
          concurrency,
          report.deleted().size(),
          millis,
          report.deleted().size() * 1000.0 / Math.max(1, millis),
          report.pages());
    }
  }
}
