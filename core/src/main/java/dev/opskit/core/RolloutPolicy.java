package dev.opskit.core;

import dev.opskit.core.internal.OpskitStyle;
import java.time.Duration;
import org.immutables.value.Value;

/**
 * How a {@link Rollout} proceeds: canary hosts first, each alone; then the rest in batches; a
 * bounded number of hosts at once within a batch; a failure budget; a health-check timeout; what to
 * do on failure and interrupt. Immutable and validated when built.
 *
 * <pre>{@code
 * RolloutPolicy policy = RolloutPolicy.builder()
 *     .canary(1)                              // one host alone first
 *     .batch(HostCount.parse("10%"))          // then 10% of the fleet per batch
 *     .maxParallel(16)                        // at most 16 hosts at once
 *     .maxFailures(HostCount.of(2))           // the third failed host stops the rollout
 *     .build();
 * }</pre>
 *
 * <p><b>Failures.</b> A host that fails or is unreachable counts against {@link #maxFailures()};
 * when more hosts failed than it allows, no new host starts, and the current batch fails. A batch
 * also fails when its health check says unhealthy, throws or times out, and any failure of a canary
 * host fails its batch whatever the budget. When a batch fails and {@link #rollBackOnFailure()} is
 * set, every host of that batch that was changed is rolled back through its {@link RollbackAction};
 * the rollout stops and the hosts not reached are reported skipped.
 */
@Value.Immutable
@OpskitStyle
public abstract class RolloutPolicy {
  RolloutPolicy() {}

  /** A builder; every setting has a default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults: no canary, batches of 10%, 16 at once, stop at the first failure. */
  public static RolloutPolicy defaults() {
    return builder().build();
  }

  /**
   * The policy of a fleet observe (read-only tasks): the whole fleet as one batch, failures only
   * reported (no stop), nothing rolled back.
   */
  public static RolloutPolicy observe() {
    return builder()
        .batch(HostCount.percent(100))
        .maxFailures(HostCount.percent(100))
        .rollBackOnFailure(false)
        .build();
  }

  /** How many hosts run first, each alone in a batch of its own; 0 by default. */
  @Value.Default
  public int canary() {
    return 0;
  }

  /**
   * Hosts per batch after the canaries, as a count or a percentage of the whole fleet (rounded up,
   * at least one); 10% by default.
   */
  @Value.Default
  public HostCount batch() {
    return HostCount.percent(10);
  }

  /** How many hosts run their task at once within a batch; 16 by default. */
  @Value.Default
  public int maxParallel() {
    return 16;
  }

  /**
   * How many hosts may fail (or be unreachable) before the rollout stops, as a count or a
   * percentage of the whole fleet (rounded down); 0 by default, so the first failure stops it.
   */
  @Value.Default
  public HostCount maxFailures() {
    return HostCount.of(0);
  }

  /** How long a batch's health check may take before it counts as failed; 60 seconds by default. */
  @Value.Default
  public Duration healthCheckTimeout() {
    return Duration.ofSeconds(60);
  }

  /** Whether the changed hosts of a failed batch are rolled back; true by default. */
  @Value.Default
  public boolean rollBackOnFailure() {
    return true;
  }

  /**
   * Whether an interrupt of the rollout also interrupts the tasks running at that moment; false by
   * default (they finish, then the batch is rolled back).
   */
  @Value.Default
  public boolean interruptRunningHosts() {
    return false;
  }

  @Value.Check
  void check() {
    if (canary() < 0) {
      throw new IllegalArgumentException("canary " + canary() + " must be >= 0");
    }
    if (batch().value() == 0) {
      throw new IllegalArgumentException("batch " + batch() + " must be at least 1 host or 1%");
    }
    if (maxParallel() < 1) {
      throw new IllegalArgumentException("max parallel " + maxParallel() + " must be >= 1");
    }
    if (healthCheckTimeout().isNegative() || healthCheckTimeout().isZero()) {
      throw new IllegalArgumentException(
          "health check timeout " + healthCheckTimeout() + " must be positive");
    }
  }

  /** Builds a {@link RolloutPolicy}; {@code build()} validates it. */
  public static final class Builder extends ImmutableRolloutPolicy.Builder {
    Builder() {}
  }
}
