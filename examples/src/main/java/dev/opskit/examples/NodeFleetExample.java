package dev.opskit.examples;

import dev.opskit.cluster.NodeAgentFleet;
import dev.opskit.cluster.NodeAgents;
import dev.opskit.core.HostTask;
import dev.opskit.core.Rollout;
import dev.opskit.core.RolloutReport;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;

/**
 * Rolls a task out to a cluster's worker nodes through short-lived agent pods, and prints the
 * report. The marked part is quoted in the README.
 */
public final class NodeFleetExample {
  private NodeFleetExample() {}

  /** Runs {@code task} on every node labelled as a worker, through {@code apiClient}. */
  public static void run(ApiClient apiClient, HostTask task)
      throws IOException, InterruptedException {
    // [readme]
    try (NodeAgentFleet fleet =
        NodeAgents.builder(apiClient)
            .labelSelector("node-role.kubernetes.io/worker")
            .build()
            .deploy()) {
      fleet.unreachable().forEach((node, why) -> System.err.println(node + ": " + why));
      RolloutReport report = Rollout.builder().hosts(fleet.hosts()).task(task).build().run();
      System.out.print(report.renderTable());
    } // deletes the agent DaemonSet and its pods
    // [/readme]
  }
}
