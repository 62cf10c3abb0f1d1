package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PodsAgeTest {

  @Test
  void parsesKubectlStyleAndIsoDurations() {
    assertThat(PodsCommand.parseAge("--min-age", "90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(PodsCommand.parseAge("--min-age", "30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(PodsCommand.parseAge("--min-age", "1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(PodsCommand.parseAge("--min-age", "2d")).isEqualTo(Duration.ofDays(2));
    assertThat(PodsCommand.parseAge("--min-age", "0s")).isEqualTo(Duration.ZERO);
    assertThat(PodsCommand.parseAge("--min-age", "PT1H")).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void rejectsAnythingElseNamingTheValue() {
    for (String bad : new String[] {"banana", "", "1", "h", "-1h", "1.5h", "1w", "PT-1H"}) {
      assertThatThrownBy(() -> PodsCommand.parseAge("--min-age", bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--min-age '" + bad + "'");
    }
    assertThatThrownBy(() -> PodsCommand.parseAge("--min-age", "99999999999999999999d"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too large");
  }
}
