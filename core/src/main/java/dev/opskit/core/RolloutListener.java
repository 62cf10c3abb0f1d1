package dev.opskit.core;

import java.util.List;
import java.util.Optional;

/**
 * Progress of a {@link Rollout}, for progress bars and logs. Every method has a no-op default.
 * Methods about hosts are called from worker threads, possibly at the same time: implementations
 * must be thread-safe and quick.
 */
public interface RolloutListener {
  /** A listener that ignores everything. */
  RolloutListener NONE = new RolloutListener() {};

  /** A batch starts; {@code number} counts from 1, canary hosts are batches of their own. */
  default void batchStarted(int number, List<String> hosts) {}

  /** A host finished its task, or was skipped; called once per host, in no particular order. */
  default void hostFinished(HostResult result) {}

  /** A batch ended; {@code failure} is empty when it passed, else why it failed. */
  default void batchFinished(int number, Optional<String> failure) {}

  /** A host of a failed batch was rolled back (its result says whether that worked). */
  default void hostRolledBack(HostResult result) {}
}
