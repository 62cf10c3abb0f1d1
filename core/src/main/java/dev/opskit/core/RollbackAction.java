package dev.opskit.core;

import java.io.IOException;

/**
 * Undoes what a {@link HostTask} changed on one host, typically by restoring the snapshot the task
 * took before applying. Called by {@link Rollout} at most once, when the host's batch fails (a
 * failure budget exceeded, a failed health check, an interrupt).
 */
@FunctionalInterface
public interface RollbackAction {
  /**
   * Restores the host's prior state.
   *
   * @throws IOException when the host cannot be reached or the restore fails
   * @throws InterruptedException when the rollout's thread is interrupted
   */
  void rollBack() throws IOException, InterruptedException;
}
