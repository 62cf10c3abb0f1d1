package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Optional;
import java.util.SortedSet;
import org.immutables.value.Value;

/**
 * One unique image across the listed pods (a row of the per-image view of {@link ImageViews}): how
 * many pods and containers use it, in which namespaces, and which digests it actually runs as.
 */
@Value.Immutable
@OpskitStyle
public abstract class ImageSummary {
  ImageSummary() {}

  /** A builder for a summary. */
  public static Builder builder() {
    return new Builder();
  }

  /** The normalised reference, or the spec text as written when it does not parse. */
  public abstract String image();

  /** The parsed reference; empty when {@link #image()} is not a valid reference. */
  public abstract Optional<ImageReference> reference();

  /** Pods with at least one container of this image. */
  public abstract long pods();

  /** Containers of this image (a pod may run the same image in several containers). */
  public abstract long containers();

  /** Namespaces the image runs in, sorted. */
  @Value.NaturalOrder
  public abstract SortedSet<String> namespaces();

  /** Distinct digests the containers report running ({@code imageID}), sorted. */
  @Value.NaturalOrder
  public abstract SortedSet<String> runningDigests();

  /** Builds an {@link ImageSummary}. */
  public static final class Builder extends ImmutableImageSummary.Builder {
    Builder() {}
  }
}
