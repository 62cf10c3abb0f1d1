package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.openapi.ApiClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each builder setting refuses a bad value at once, naming it and the rule it broke. */
class NodeAgentsTest {
  private final NodeAgents.Builder builder = NodeAgents.builder(new ApiClient());

  @Test
  void aLabelSelectorMustParseAsTheApiServerParsesIt() {
    assertThatThrownBy(() -> builder.labelSelector("pool in (web"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pool in (web");
    assertThat(builder.labelSelector("pool in (web,db),!gpu").build()).isNotNull();
  }

  @Test
  void nodeNamesMustBeDnsSubdomainsAndNotEmpty() {
    assertThatThrownBy(() -> builder.nodeNames(List.of("node-1", "Node_2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Node_2'")
        .hasMessageContaining("DNS subdomain");
    assertThatThrownBy(() -> builder.nodeNames(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThat(builder.nodeNames(List.of("ip-10-0-0-1.ec2.internal")).build()).isNotNull();
  }

  @Test
  void theNamespaceMustBeADnsLabel() {
    for (String bad : List.of("Kube-System", "ops_tools", "-ops", "a".repeat(64), "")) {
      assertThatThrownBy(() -> builder.namespace(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("DNS label");
    }
    assertThat(builder.namespace("ops-tools").labelSelector("").build().namespace())
        .isEqualTo("ops-tools");
  }

  @Test
  void theImageMustBeAValidReference() {
    for (String bad : List.of("busybox:1.36 ", "Busybox:latest", "busybox@sha256:short", "")) {
      assertThatThrownBy(() -> builder.image(bad)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(
            builder
                .image("registry.k8s.io/e2e-test-images/busybox:1.36.1-1")
                .labelSelector("")
                .build()
                .image())
        .isEqualTo("registry.k8s.io/e2e-test-images/busybox:1.36.1-1");
    assertThat(NodeAgents.builder(new ApiClient()).labelSelector("").build().image())
        .isEqualTo(NodeAgents.DEFAULT_IMAGE);
  }

  @Test
  void limitsAndTimeoutsMustBePositive() {
    assertThatThrownBy(() -> builder.requestsPerSecond(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("requests per second 0.0");
    assertThatThrownBy(() -> builder.requestsPerSecond(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.maxConcurrentRequests(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max concurrent requests 0");
    assertThatThrownBy(() -> builder.readyTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ready timeout PT0S");
    assertThatThrownBy(() -> builder.cleanupTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nodesMustBeSelectedExplicitly() {
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("labelSelector");
  }
}
