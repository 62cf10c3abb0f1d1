package dev.opskit.iptables.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A batched step's duration comes from two /proc/uptime readings in centiseconds. */
class StepDurationTest {
  @Test
  void theDifferenceOfTwoReadingsIsTheDuration() {
    assertThat(BatchOutput.elapsed("8123.25", "8123.29")).isEqualTo(Duration.ofMillis(40));
    assertThat(BatchOutput.elapsed("99.99", "100.00")).isEqualTo(Duration.ofMillis(10));
    assertThat(BatchOutput.elapsed("5.00", "5.00")).isEqualTo(Duration.ZERO);
  }

  @Test
  void aMissingOrMalformedReadingMeansNotMeasured() {
    assertThat(BatchOutput.elapsed("-", "-")).isNull();
    assertThat(BatchOutput.elapsed("", "12.00")).isNull();
    assertThat(BatchOutput.elapsed("12.0", "12.10")).isNull();
    assertThat(BatchOutput.elapsed("12.50", "12.40")).isNull();
  }
}
