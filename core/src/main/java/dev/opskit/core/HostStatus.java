package dev.opskit.core;

/** How a host ended in a {@link RolloutReport}. */
public enum HostStatus {
  /** The task changed the host (or, when observing, found that it differs). */
  CHANGED,
  /** The host already was as desired; nothing was changed. */
  UNCHANGED,
  /** The task failed with an error other than a transport error, or its rollback failed. */
  FAILED,
  /** The host could not be reached (the task threw {@link java.io.IOException}). */
  UNREACHABLE,
  /** The task changed the host, then its batch failed and the change was rolled back. */
  ROLLED_BACK,
  /** The task never ran on the host because the rollout stopped first. */
  SKIPPED;

  /** True for {@link #FAILED} and {@link #UNREACHABLE}, which count against a failure budget. */
  public boolean isFailure() {
    return this == FAILED || this == UNREACHABLE;
  }
}
