package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Optional;
import org.immutables.value.Value;

/** One environment variable of the calico-node container, before and after a change. */
@Value.Immutable
@OpskitStyle
public abstract class CalicoEnvChange {
  CalicoEnvChange() {}

  /** A builder for a change. */
  public static Builder builder() {
    return new Builder();
  }

  /** The variable, such as {@code IP_AUTODETECTION_METHOD}. */
  public abstract String name();

  /**
   * The current value; empty when the variable is not set. A variable set through {@code valueFrom}
   * shows as {@code <valueFrom>} and is replaced by a plain value.
   */
  public abstract Optional<String> before();

  /** The value after the change. */
  public abstract String after();

  /** {@code NAME: before -> after}, with {@code (unset)} for a missing variable. */
  @Override
  public String toString() {
    return name() + ": " + before().orElse("(unset)") + " -> " + after();
  }

  /** Builds a {@link CalicoEnvChange}. */
  public static final class Builder extends ImmutableCalicoEnvChange.Builder {
    Builder() {}
  }
}
