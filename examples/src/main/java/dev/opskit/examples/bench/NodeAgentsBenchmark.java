package dev.opskit.examples.bench;

import dev.opskit.cluster.NodeAgentFleet;
import dev.opskit.cluster.NodeAgents;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.TestNodes;
import dev.opskit.core.FakeCommandExecutor;
import dev.opskit.core.HostOutcome;
import dev.opskit.core.HostStatus;
import dev.opskit.core.Rollout;
import dev.opskit.core.RolloutPolicy;
import dev.opskit.core.RolloutReport;
import java.util.Map;

/**
 * Deploys node agents to N fake nodes on the {@link KubernetesApiFixture} (a real HTTP API on
 * loopback; its DaemonSet controller makes every pod Ready at once), runs one exec per node through
 * a rollout, and deletes the agents, at the default client-side limit (10 requests/s, 5 at once)
 * and at a raised one; prints the wall time of each phase and the number of API requests.
 *
 * <pre>{@code
 * java -cp examples/target/opskit.jar dev.opskit.examples.bench.NodeAgentsBenchmark [nodes]
 * }</pre>
 */
public final class NodeAgentsBenchmark {
  private NodeAgentsBenchmark() {}

  /** Runs the benchmark; optional argument: the number of nodes (200). */
  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    System.out.printf("nodes: %d%n", nodes);
    run(20, 100, 20); // warm-up
    run(nodes, 10, 5);
    run(nodes, 100, 20);
  }

  private static void run(int nodes, double perSecond, int concurrent) throws Exception {
    try (KubernetesApiFixture fixture = KubernetesApiFixture.start()) {
      FakeCommandExecutor node = FakeCommandExecutor.create();
      node.onArgv("cat", "/proc/sys/net/core/somaxconn").replyStdout("4096\n");
      for (int i = 0; i < nodes; i++) {
        String name = String.format("node-%04d", i);
        fixture.createNode(TestNodes.ready(name, Map.of("pool", "web")));
        fixture.daemonSets().node(name, node);
      }
      fixture.clearRequests();
      long start = System.nanoTime();
      long deployed;
      RolloutReport report;
      try (NodeAgentFleet fleet =
          NodeAgents.builder(fixture.apiClient())
              .labelSelector("pool=web")
              .requestsPerSecond(perSecond)
              .maxConcurrentRequests(concurrent)
              .build()
              .deploy()) {
        deployed = System.nanoTime();
        report =
            Rollout.builder()
                .hosts(fleet.hosts())
                .task(
                    host ->
                        HostOutcome.unchanged(
                            host.executor()
                                .execute("cat", "/proc/sys/net/core/somaxconn")
                                .requireSuccess()
                                .stdoutUtf8()
                                .strip()))
                .policy(RolloutPolicy.builder().maxParallel(concurrent).build())
                .build()
                .run();
      }
      long end = System.nanoTime();
      if (report.count(HostStatus.UNCHANGED) != nodes || fixture.podCount() != 0) {
        throw new IllegalStateException("unexpected result: " + report.summary());
      }
      System.out.printf(
          "%4d nodes, %5.0f req/s, %2d at once: deploy %,d ms, rollout of one exec per node %,d ms (%s),"
              + " delete %,d ms; %,d API requests%n",
          nodes,
          perSecond,
          concurrent,
          (deployed - start) / 1_000_000,
          report.duration().toMillis(),
          report.summary(),
          (end - deployed) / 1_000_000 - report.duration().toMillis(),
          fixture.requests().size());
    }
  }
}
