package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What {@link CalicoAutodetection#apply} would change on the calico-node DaemonSet, computed
 * without side effects: the environment changes, the JSON patch that makes them (guarded by {@code
 * test} operations on the resourceVersion and the variables' positions, usable with {@code kubectl
 * patch --type json}), warnings, and whether the Tigera operator manages Calico, in which case the
 * DaemonSet must not be edited and {@link #installationPatch()} holds the change to make on the
 * {@code Installation} instead.
 */
@Value.Immutable
@OpskitStyle
public abstract class CalicoAutodetectionPlan {
  CalicoAutodetectionPlan() {}

  /** A builder for a plan; {@link CalicoAutodetection#plan()} is the usual source. */
  public static Builder builder() {
    return new Builder();
  }

  /** The DaemonSet's namespace ({@code kube-system} or {@code calico-system}). */
  public abstract String namespace();

  /** The DaemonSet's name. */
  public abstract String daemonSet();

  /** The resourceVersion the plan was made against; the patch only applies to that version. */
  public abstract String resourceVersion();

  /** The environment changes, IPv4 first. */
  public abstract List<CalicoEnvChange> changes();

  /**
   * The change as a JSON patch (RFC 6902); {@code apply} applies it to the DaemonSet it reads and
   * writes the result back under the plan's resourceVersion. {@code []} when there is nothing to
   * change.
   */
  public abstract String jsonPatch();

  /**
   * Advice: unanchored interface regexes, a variable defined more than once, an {@code IP} or
   * {@code IP6} variable that disables autodetection.
   */
  public abstract List<String> warnings();

  /**
   * Why a requested method would have no effect, because calico-node would not read it (for example
   * {@code IP6} is not {@code autodetect}, so {@code IP6_AUTODETECTION_METHOD} is ignored); {@link
   * CalicoAutodetection#apply} refuses such a plan unless {@link CalicoAutodetection#force()} is
   * set. Each entry is also in {@link #warnings()}.
   */
  public abstract List<String> ineffective();

  /**
   * The name of the operator's {@code Installation} (usually {@code default}) when the Tigera
   * operator manages Calico; it reverts DaemonSet edits, so {@code apply} refuses them.
   */
  public abstract Optional<String> operatorInstallation();

  /**
   * The JSON merge patch for the {@code Installation}'s {@code
   * spec.calicoNetwork.nodeAddressAutodetectionV4} (and {@code V6}) that has the same effect, for
   * example {@code kubectl patch installation default --type merge -p '…'}; present only when the
   * operator manages Calico.
   */
  public abstract Optional<String> installationPatch();

  /** Whether the Tigera operator manages Calico, so the DaemonSet edit is refused. */
  public boolean operatorManaged() {
    return operatorInstallation().isPresent();
  }

  /** Whether there is nothing to change. */
  public boolean isEmpty() {
    return changes().isEmpty();
  }

  /** A human-readable summary: target, each change, warnings, and the operator advice. */
  public String render() {
    StringBuilder text =
        new StringBuilder("daemonset ")
            .append(namespace())
            .append('/')
            .append(daemonSet())
            .append(" (resourceVersion ")
            .append(resourceVersion())
            .append(")\n");
    if (changes().isEmpty()) {
      text.append("  no change\n");
    }
    for (CalicoEnvChange change : changes()) {
      text.append("  ~ ").append(change).append('\n');
    }
    for (String warning : warnings()) {
      text.append("  warning: ").append(warning).append('\n');
    }
    if (!ineffective().isEmpty() && !operatorManaged()) {
      text.append("  refused unless forced: a requested method would have no effect\n");
    }
    operatorInstallation()
        .ifPresent(
            name ->
                text.append("  refused: the Tigera operator manages Calico and reverts DaemonSet")
                    .append(" edits; change the Installation instead:\n    kubectl patch")
                    .append(" installation ")
                    .append(name)
                    .append(" --type merge -p '")
                    .append(installationPatch().orElse("{}"))
                    .append("'\n"));
    return text.toString();
  }

  /** Builds a {@link CalicoAutodetectionPlan}. */
  public static final class Builder extends ImmutableCalicoAutodetectionPlan.Builder {
    Builder() {}
  }
}
