package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CalicoNodePortPolicyIT {
  private static String node(String name, String addresses) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\""
        + name
        + "\"},\"status\":{\"futureNodeField\":1,\"addresses\":"
        + addresses
        + "}}";
  }

  @Test
  void hostEndpointsForEveryNodeFromTheApi() throws IOException {
    try (KubernetesApiFixture fixture = KubernetesApiFixture.start()) {
      fixture.createJson(
          "/api/v1/nodes",
          node(
              "node-a",
              "[{\"type\":\"InternalIP\",\"address\":\"198.18.0.10\"},"
                  + "{\"type\":\"Hostname\",\"address\":\"node-a\"},"
                  + "{\"type\":\"InternalIP\",\"address\":\"fd00:198:18::10\"}]"));
      fixture.createJson(
          "/api/v1/nodes",
          node(
              "node-b",
              "[{\"type\":\"ExternalIP\",\"address\":\"198.19.0.11\"},"
                  + "{\"type\":\"InternalIP\",\"address\":\"198.18.0.11\"}]"));
      fixture.createJson("/api/v1/nodes", node("node-c", "[]"));

      Map<String, List<String>> nodes = CalicoNodePortPolicy.nodeAddresses(fixture.apiClient());

      assertThat(nodes)
          .containsExactly(
              Map.entry("node-a", List.of("198.18.0.10", "fd00:198:18::10")),
              Map.entry("node-b", List.of("198.19.0.11", "198.18.0.11")),
              Map.entry("node-c", List.of()));
      String yaml =
          CalicoNodePortPolicy.builder()
              .addPorts(30080)
              .addAllowedCidrs("198.18.0.0/15")
              .putAllNodes(nodes)
              .build()
              .renderYaml();
      assertThat(yaml.split("\n---\n")).hasSize(4);
      assertThat(yaml).contains("  node: \"node-b\"\n").contains("  - \"198.19.0.11\"\n");
    }
  }
}
