package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Optional;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * One container of one pod with the image its spec asks for and the image the runtime reports it
 * runs, side by side: a row of the per-container view of an {@link ImageInventory}.
 *
 * <p>{@link #image()} is the spec's {@code image} text as written; {@link #imageId()} is the
 * matching container status's {@code imageID} (matched by container name), empty when the container
 * never started. {@link #reference()} is the parsed, normalised spec image, empty when the text
 * does not follow the reference grammar.
 */
@Value.Immutable
@OpskitStyle
public abstract class ContainerImage {
  private static final Pattern BARE_DIGEST =
      Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");

  ContainerImage() {}

  /** A builder for a row; namespace, pod, container, kind and image are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The pod's namespace. */
  public abstract String namespace();

  /** The pod's name. */
  public abstract String pod();

  /** The pod's UID; empty when unknown. */
  @Value.Default
  public String podUid() {
    return "";
  }

  /** The node the pod is bound to; empty for an unscheduled pod. */
  public abstract Optional<String> node();

  /** The container's name. */
  public abstract String container();

  /** Whether this is an init, regular or ephemeral container. */
  public abstract ContainerKind kind();

  /** The spec's {@code image} text as written, such as {@code nginx:1.27}. */
  public abstract String image();

  /**
   * The status's {@code imageID}, such as {@code docker.io/library/nginx@sha256:…} or {@code
   * docker-pullable://nginx@sha256:…}; empty when the container has no status or never started.
   */
  @Value.Default
  public String imageId() {
    return "";
  }

  /** The parsed and normalised {@link #image()}; empty when it is not a valid reference. */
  @Value.Lazy
  public Optional<ImageReference> reference() {
    try {
      return Optional.of(ImageReference.parse(image()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The digest the container runs, taken from {@link #imageId()}: the part after {@code @}, or the
   * whole ID (scheme such as {@code docker://} removed) when it is a bare {@code algorithm:hex}
   * digest; empty when there is no image ID.
   */
  @Value.Lazy
  public Optional<String> runningDigest() {
    String id = imageId();
    int at = id.lastIndexOf('@');
    if (at >= 0) {
      return Optional.of(id.substring(at + 1)).filter(d -> !d.isEmpty());
    }
    int scheme = id.indexOf("://");
    String bare = scheme >= 0 ? id.substring(scheme + 3) : id;
    return BARE_DIGEST.matcher(bare).matches() ? Optional.of(bare) : Optional.empty();
  }

  /** The image key views group by: the normalised reference, or the raw text when invalid. */
  public String imageKey() {
    return reference().map(ImageReference::toString).orElse(image());
  }

  @Value.Check
  void check() {
    if (namespace().isEmpty() || pod().isEmpty() || container().isEmpty()) {
      throw new IllegalArgumentException(
          "namespace, pod and container must not be empty, were '"
              + namespace()
              + "', '"
              + pod()
              + "', '"
              + container()
              + "'");
    }
  }

  /** Builds a {@link ContainerImage}. */
  public static final class Builder extends ImmutableContainerImage.Builder {
    Builder() {}
  }
}
