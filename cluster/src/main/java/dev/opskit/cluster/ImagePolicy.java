package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import org.immutables.value.Value;

/**
 * What {@link ImageViews} reports as findings: floating {@code :latest} or untagged images (on by
 * default), one tag running under several digests (always), and images from registries outside an
 * allowlist (when one is given).
 *
 * <pre>{@code
 * ImagePolicy policy = ImagePolicy.builder()
 *     .addAllowedRegistries("registry.k8s.io", "quay.io/calico", "harbor.example.com")
 *     .build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class ImagePolicy {
  ImagePolicy() {}

  /** The default policy: flag {@code :latest}, untagged and multi-digest images; any registry. */
  public static ImagePolicy defaults() {
    return builder().build();
  }

  /** A builder for a policy. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Allowed registries, each a registry host ({@code quay.io}, {@code localhost:5000}) or a
   * registry plus repository prefix ({@code quay.io/calico}, matching {@code quay.io/calico/node}
   * but not {@code quay.io/calicoctl}). Empty (the default) allows every registry. Docker Hub
   * images count as registry {@code docker.io}.
   */
  public abstract List<String> allowedRegistries();

  /** Whether {@code :latest} and untagged images are findings; true by default. */
  @Value.Default
  public boolean flagLatest() {
    return true;
  }

  /** Whether {@code reference} comes from an allowed registry (always true with no allowlist). */
  public boolean allows(ImageReference reference) {
    if (allowedRegistries().isEmpty()) {
      return true;
    }
    String name = reference.name() + "/";
    for (String allowed : allowedRegistries()) {
      String prefix = allowed.endsWith("/") ? allowed : allowed + "/";
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  @Value.Check
  void check() {
    for (String allowed : allowedRegistries()) {
      if (allowed.isEmpty() || allowed.contains("@") || allowed.contains(" ")) {
        throw new IllegalArgumentException(
            "allowed registry '" + allowed + "' must be a host[:port][/path-prefix]");
      }
    }
  }

  /** Builds an {@link ImagePolicy}. */
  public static final class Builder extends ImmutableImagePolicy.Builder {
    Builder() {}
  }
}
