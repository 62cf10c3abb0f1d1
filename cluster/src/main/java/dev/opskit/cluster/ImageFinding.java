package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import org.immutables.value.Value;

/**
 * Something about an image worth a look: it floats ({@code :latest}, untagged), one tag runs under
 * several digests, it comes from a registry outside the allowlist, or its reference is invalid.
 */
@Value.Immutable
@OpskitStyle
public abstract class ImageFinding {
  ImageFinding() {}

  /** What kind of finding. */
  public enum Kind {
    /** The image names the tag {@code latest}, which moves. */
    LATEST_TAG,
    /** The image names neither tag nor digest, so the runtime pulls {@code latest}. */
    UNTAGGED,
    /** One tag runs as more than one digest: nodes pulled it at different times. */
    SEVERAL_DIGESTS,
    /** The image comes from a registry outside {@link ImagePolicy#allowedRegistries()}. */
    REGISTRY_NOT_ALLOWED,
    /** The spec's image text does not follow the reference grammar. */
    INVALID_REFERENCE
  }

  /** A builder for a finding. */
  public static Builder builder() {
    return new Builder();
  }

  /** The kind of finding. */
  public abstract Kind kind();

  /** The image it is about (normalised, or the raw text for an invalid reference). */
  public abstract String image();

  /** A one-line explanation with the fix where there is one. */
  public abstract String detail();

  /** How many pods run the image. */
  public abstract long pods();

  @Override
  public String toString() {
    return kind() + " " + image() + " (" + pods() + " pods): " + detail();
  }

  /** Builds an {@link ImageFinding}. */
  public static final class Builder extends ImmutableImageFinding.Builder {
    Builder() {}
  }
}
