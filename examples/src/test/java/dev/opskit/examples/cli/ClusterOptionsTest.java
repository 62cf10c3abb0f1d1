package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClusterOptionsTest {
  @Test
  void requestTimeoutTakesKubectlsFormat() {
    assertThat(ClusterOptions.parseTimeout("0")).isZero();
    assertThat(ClusterOptions.parseTimeout("45")).isEqualTo(Duration.ofSeconds(45));
    assertThat(ClusterOptions.parseTimeout("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(ClusterOptions.parseTimeout("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(ClusterOptions.parseTimeout("1.5h")).isEqualTo(Duration.ofMinutes(90));
    assertThat(ClusterOptions.parseTimeout("250ms")).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void anythingElseIsRefusedNamingTheValue() {
    for (String bad : new String[] {"", "soon", "-1s", "5 s", "1d", "s"}) {
      assertThatThrownBy(() -> ClusterOptions.parseTimeout(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--request-timeout '" + bad + "'");
    }
  }
}
