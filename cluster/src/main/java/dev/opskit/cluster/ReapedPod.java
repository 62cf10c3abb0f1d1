package dev.opskit.cluster;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One terminal pod a {@link PodReaper} run looked at, and what it did with it.
 *
 * @param namespace the pod's namespace
 * @param name the pod's name
 * @param uid the UID it had when listed (the delete precondition)
 * @param node the node it ran on, or the empty string
 * @param phase its phase (Failed or Succeeded)
 * @param reason the pod's {@code status.reason}, else its first container terminated reason, else
 *     its phase
 * @param failedAt when it failed, if known (see {@link ReapPolicy#minAge()})
 * @param outcome what the run did
 * @param detail why it was kept, or the error, or the empty string
 */
public record ReapedPod(
    String namespace,
    String name,
    String uid,
    String node,
    String phase,
    String reason,
    Optional<Instant> failedAt,
    ReapOutcome outcome,
    String detail) {

  /** Checks that no component is null. */
  public ReapedPod {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(failedAt, "failedAt");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(detail, "detail");
  }

  /** This pod with another outcome and detail. */
  public ReapedPod withOutcome(ReapOutcome newOutcome, String newDetail) {
    return new ReapedPod(
        namespace, name, uid, node, phase, reason, failedAt, newOutcome, newDetail);
  }

  /** {@code namespace/name}. */
  public String key() {
    return namespace + "/" + name;
  }
}
