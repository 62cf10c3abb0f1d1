package dev.opskit.cluster;

/** What a {@link PodReaper} run did with one terminal pod. */
public enum ReapOutcome {
  /** Deleted (the server accepted the delete with the pod's UID as precondition). */
  DELETED,
  /** Would have been deleted; the run was a dry run. */
  WOULD_DELETE,
  /** Gone before the delete reached it (404). */
  ALREADY_GONE,
  /** Replaced or changed since it was listed (409 on the UID precondition); left alone. */
  CHANGED,
  /** Kept by the policy; {@link ReapedPod#detail()} says why. */
  KEPT,
  /** The delete failed after the allowed retries; {@link ReapedPod#detail()} has the error. */
  FAILED
}
