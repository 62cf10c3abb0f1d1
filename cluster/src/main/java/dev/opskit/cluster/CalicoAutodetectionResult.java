package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import org.immutables.value.Value;

/** What {@link CalicoAutodetection#apply} did and whether observing again confirmed it. */
@Value.Immutable
@OpskitStyle
public abstract class CalicoAutodetectionResult {
  CalicoAutodetectionResult() {}

  /** A builder for a result. */
  public static Builder builder() {
    return new Builder();
  }

  /** The plan that was applied. */
  public abstract CalicoAutodetectionPlan plan();

  /** Whether the DaemonSet was patched; false when the plan was already empty (idempotent). */
  public abstract boolean changed();

  /** The DaemonSet's resourceVersion afterwards. */
  public abstract String resourceVersion();

  /** Whether planning again against the DaemonSet afterwards found nothing left to change. */
  public abstract boolean verified();

  /** Builds a {@link CalicoAutodetectionResult}. */
  public static final class Builder extends ImmutableCalicoAutodetectionResult.Builder {
    Builder() {}
  }
}
