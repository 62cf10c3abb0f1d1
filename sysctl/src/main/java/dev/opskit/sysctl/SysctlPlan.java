package dev.opskit.sysctl;

import dev.opskit.core.Applier;
import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.sysctl.internal.DropIns;
import dev.opskit.sysctl.internal.KernelValues;
import dev.opskit.sysctl.internal.Values;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * What applying a {@link SysctlProfile} to an observed host would do: which live values change,
 * which larger values raise-only keeps, which keys this kernel lacks, and the drop-in text to
 * persist it all. Computed by the pure function {@link #of(SysctlProfile, SysctlObservation,
 * String)}: no I/O, so it is unit-testable and safe to show before applying.
 *
 * <pre>{@code
 * SysctlPlan plan = SysctlPlan.of(profile, observation, "/etc/sysctl.d");
 * if (!plan.isEmpty()) System.out.println(plan.render());
 * }</pre>
 *
 * <p>Raise-only keys whose live integer is larger are kept, and the drop-in records the live value
 * rather than the profile's, so a reboot does not lower it either. Empty means: every live value is
 * as desired, the drop-in on disk already has exactly {@link #dropInContent()}, and no required key
 * is missing on the kernel.
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlPlan implements Applier.Plan {
  SysctlPlan() {}

  /** A builder; prefer {@link #of(SysctlProfile, SysctlObservation, String)}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Plans {@code profile} against {@code observed}, with the drop-in in {@code directory}; keys
   * that would change the whole host from inside a separate network namespace are blocked.
   *
   * @throws IllegalArgumentException when the directory is empty or relative
   */
  public static SysctlPlan of(SysctlProfile profile, SysctlObservation observed, String directory) {
    return of(profile, observed, directory, false);
  }

  /**
   * Plans {@code profile} against {@code observed}, with the drop-in in {@code directory}. When
   * {@code observed} was read {@linkplain SysctlObservation#inSeparateNetworkNamespace() inside a
   * network namespace other than the host's}, every key outside {@code net.*} would change the
   * whole host (and its drop-in would persist for the host): such keys are {@linkplain
   * SysctlChange.Action#BLOCKED_HOST_WIDE blocked} unless {@code allowHostWide}.
   *
   * @throws IllegalArgumentException when the directory is empty or relative
   */
  public static SysctlPlan of(
      SysctlProfile profile, SysctlObservation observed, String directory, boolean allowHostWide) {
    if (!directory.startsWith("/")) {
      throw new IllegalArgumentException(
          "drop-in directory " + Values.quote(directory) + " must be an absolute path");
    }
    boolean refuseHostWide = observed.inSeparateNetworkNamespace() && !allowHostWide;
    List<SysctlChange> decisions = new ArrayList<>();
    Map<SysctlKey, String> persisted = new LinkedHashMap<>();
    Map<SysctlKey, String> comments = new LinkedHashMap<>();
    for (SysctlDrift drift : SysctlDrift.compare(profile, observed)) {
      SysctlKey key = drift.key();
      String desired = drift.desired();
      persisted.put(key, desired);
      SysctlChange.Builder change =
          SysctlChange.builder().key(key).before(drift.observed()).after(desired);
      if (refuseHostWide && !key.isUnder("net")) {
        decisions.add(
            change
                .action(SysctlChange.Action.BLOCKED_HOST_WIDE)
                .reason(
                    "not scoped to the network namespace "
                        + observed.networkNamespace().orElse("")
                        + "; it would change the whole host")
                .build());
        continue;
      }
      Optional<String> invalid =
          drift.observed().flatMap(live -> KernelValues.checkAgainstLive(key, desired, live));
      if (invalid.isPresent() && drift.status() != SysctlDrift.Status.EQUAL) {
        decisions.add(
            change.action(SysctlChange.Action.BLOCKED_INVALID).reason(invalid.get()).build());
        continue;
      }
      switch (drift.status()) {
        case EQUAL:
          break;
        case UNKNOWN_ON_KERNEL:
          decisions.add(
              SysctlChange.builder()
                  .key(key)
                  .after(desired)
                  .action(
                      profile.ignoreFailures().contains(key)
                          ? SysctlChange.Action.SKIP_UNKNOWN
                          : SysctlChange.Action.BLOCKED_UNKNOWN)
                  .build());
          break;
        case KEPT_HIGHER:
          String kept = Values.normalize(drift.observed().orElseThrow());
          persisted.put(key, kept);
          comments.put(key, "raise-only: the host's " + kept + " is above " + desired);
          decisions.add(change.after(kept).action(SysctlChange.Action.KEEP_HIGHER).build());
          break;
        default:
          decisions.add(change.action(SysctlChange.Action.SET).build());
      }
    }
    String content = DropIns.render(profile, persisted, comments);
    String dir = directory.endsWith("/") ? directory : directory + "/";
    return builder()
        .profileName(profile.name())
        .dropInPath(dir + profile.fileName())
        .dropInContent(content)
        .dropInCurrent(observed.dropIn().filter(content::equals).isPresent())
        .decisions(decisions)
        .build();
  }

  /** The profile planned. */
  public abstract String profileName();

  /** The absolute path of the drop-in file. */
  public abstract String dropInPath();

  /** The text the drop-in must hold. */
  public abstract String dropInContent();

  /** True when the drop-in on disk already holds exactly {@link #dropInContent()}. */
  public abstract boolean dropInCurrent();

  /** A decision for every key that is not already as desired, in profile order. */
  public abstract List<SysctlChange> decisions();

  /** The live values to write ({@link SysctlChange.Action#SET} decisions). */
  public List<SysctlChange> changes() {
    return withAction(SysctlChange.Action.SET);
  }

  /**
   * The decisions that refuse the apply: required keys this kernel does not have, values it cannot
   * take, host-wide keys from inside a network namespace.
   */
  public List<SysctlChange> blocked() {
    return decisions().stream()
        .filter(change -> change.action().blocks())
        .collect(Collectors.toUnmodifiableList());
  }

  private List<SysctlChange> withAction(SysctlChange.Action action) {
    return decisions().stream()
        .filter(change -> change.action() == action)
        .collect(Collectors.toUnmodifiableList());
  }

  /** True when nothing needs writing: no live changes, drop-in current, nothing blocked. */
  @Override
  public boolean isEmpty() {
    return changes().isEmpty() && blocked().isEmpty() && dropInCurrent();
  }

  /**
   * One line: {@code up to date}, or each decision and the drop-in write, separated by {@code ;},
   * such as {@code set net.core.somaxconn: 4096 -> 32768; write drop-in 99-opskit-node.conf} (the
   * file's name only: hosts with the same changes read the same).
   */
  @Override
  public String summary() {
    List<String> parts = new ArrayList<>();
    decisions().forEach(change -> parts.add(change.render()));
    if (!dropInCurrent()) {
      parts.add("write drop-in " + dropInPath().substring(dropInPath().lastIndexOf('/') + 1));
    }
    return parts.isEmpty() ? "up to date" : String.join("; ", parts);
  }

  /** A human-readable summary, one decision per line. */
  @Override
  public String render() {
    StringBuilder text =
        new StringBuilder("sysctl profile ")
            .append(profileName())
            .append(" (")
            .append(dropInPath())
            .append(")");
    if (isEmpty() && decisions().isEmpty()) {
      return text.append(": up to date\n").toString();
    }
    text.append('\n');
    for (SysctlChange change : decisions()) {
      text.append("  ").append(change.render()).append('\n');
    }
    if (!dropInCurrent()) {
      text.append("  write ").append(dropInPath()).append('\n');
    }
    return text.toString();
  }

  /** Builds a {@link SysctlPlan}. */
  public static final class Builder extends ImmutableSysctlPlan.Builder {
    Builder() {}
  }
}
