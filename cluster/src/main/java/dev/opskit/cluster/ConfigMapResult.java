package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import org.immutables.value.Value;

/** What {@link ConfigMapUpdater#createOrUpdate} did to a ConfigMap. */
@Value.Immutable
@OpskitStyle
public abstract class ConfigMapResult {
  ConfigMapResult() {}

  /** What happened. */
  public enum Action {
    /** The ConfigMap did not exist and was created. */
    CREATED,
    /** The ConfigMap existed with other content and was replaced. */
    UPDATED,
    /** The ConfigMap already had exactly this content; nothing was written. */
    UNCHANGED
  }

  /** A builder for a result. */
  public static Builder builder() {
    return new Builder();
  }

  /** What happened. */
  public abstract Action action();

  /** The ConfigMap's namespace. */
  public abstract String namespace();

  /** The ConfigMap's name. */
  public abstract String name();

  /** The resourceVersion after the call. */
  public abstract String resourceVersion();

  /** Keys that were added. */
  public abstract List<String> added();

  /** Keys whose value changed. */
  public abstract List<String> changed();

  /** Keys that were removed. */
  public abstract List<String> removed();

  /** Builds a {@link ConfigMapResult}. */
  public static final class Builder extends ImmutableConfigMapResult.Builder {
    Builder() {}
  }
}
