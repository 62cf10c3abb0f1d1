package dev.opskit.cluster;

/**
 * Progress of a {@link PodReaper} run, for long runs over large clusters. Every method has a no-op
 * default; implement the ones you need. Called from the reaper's threads (pod outcomes from the
 * delete workers), so implementations must be thread-safe and quick.
 */
public interface ReapListener {
  /** A listener that ignores everything. */
  ReapListener NONE = new ReapListener() {};

  /** A page of {@code podCount} pods arrived (the first page is 1). */
  default void pageListed(int page, int podCount) {}

  /** A pod's outcome is decided. */
  default void podDone(ReapedPod pod) {}

  /** A request is retried after {@code status} (0 for a timeout or transport error). */
  default void retrying(String request, int attempt, int status) {}
}
