package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.cluster.testing.RequestFault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestPolicyTest {
  @Test
  void defaultsBoundEveryRequestAndTheRun() {
    RequestPolicy policy = RequestPolicy.defaults();
    assertThat(policy.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(policy.readTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.requestTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(policy.retryBudget()).isEqualTo(50);
    assertThat(ReapPolicy.defaults().requests()).isEqualTo(policy);
  }

  @Test
  void badValuesAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> RequestPolicy.builder().readTimeout(Duration.ZERO).build())
        .hasMessage("readTimeout must be positive, was PT0S");
    assertThatThrownBy(() -> RequestPolicy.builder().connectTimeout(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("connectTimeout must be positive");
    assertThatThrownBy(() -> RequestPolicy.builder().requestTimeout(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("requestTimeout must not be negative");
    assertThatThrownBy(() -> RequestPolicy.builder().maxAttempts(0).build())
        .hasMessage("maxAttempts must be at least 1, was 0");
    assertThatThrownBy(() -> RequestPolicy.builder().retryBudget(-1).build())
        .hasMessage("retryBudget must not be negative, was -1");
    assertThat(RequestPolicy.builder().requestTimeout(Duration.ZERO).build().requestTimeout())
        .isZero();
  }

  @Test
  void faultsCanRequireAQueryParameter() {
    RequestFault onContinue =
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(410);
    assertThat(onContinue.matches("GET", "/api/v1/pods", Map.of("continue", List.of("abc"))))
        .isTrue();
    assertThat(onContinue.matches("GET", "/api/v1/pods", Map.of("continue", List.of(""))))
        .isFalse();
    assertThat(onContinue.matches("GET", "/api/v1/pods")).isFalse();
    assertThat(RequestFault.on("GET", "/api/v1/pods").matches("GET", "/api/v1/pods")).isTrue();
    assertThat(RequestFault.on("*", ".*").truncatedBody().kind())
        .isEqualTo(RequestFault.Kind.TRUNCATED_BODY);
    assertThat(onContinue.toString()).contains("?continue").contains("410");
  }
}
