package dev.opskit.core;

import java.util.List;

/**
 * Decides after each batch of a {@link Rollout} whether the fleet is still healthy (for example
 * that each host of the batch still answers, or that a service's error rate did not rise). Runs
 * with the timeout of {@link RolloutPolicy#healthCheckTimeout()}; a check that returns false,
 * throws, or times out fails the batch, which is then rolled back. One abstract method, so a lambda
 * is a check.
 */
@FunctionalInterface
public interface HealthCheck {
  /**
   * Checks the fleet after {@code batch} was changed.
   *
   * @param batch the hosts of the batch that just finished, in rollout order
   * @return true when healthy
   * @throws Exception a failure, which counts as unhealthy
   */
  boolean isHealthy(List<FleetHost> batch) throws Exception;
}
