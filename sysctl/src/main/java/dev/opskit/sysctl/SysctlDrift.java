package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.sysctl.internal.Values;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * How one key of a profile compares with what the host's kernel reports. Values compare
 * whitespace-normalised, so {@code "4096\t131072\t6291456"} from {@code /proc/sys} equals the
 * profile's {@code "4096 131072 6291456"}. A key this kernel does not have is {@link
 * Status#UNKNOWN_ON_KERNEL}, reported like any other state rather than thrown.
 *
 * <pre>{@code
 * for (SysctlDrift drift : SysctlDrift.compare(profile, applier.observe(profile))) {
 *   if (drift.status() != SysctlDrift.Status.EQUAL) System.out.println(drift.render());
 * }
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlDrift {

  /** The state of one key. */
  public enum Status {
    /** The live value equals the desired one (whitespace-normalised). */
    EQUAL,
    /** The live value differs from the desired one. */
    DIFFERS,
    /**
     * A {@linkplain SysctlProfile#raiseOnly() raise-only} key whose live integer is above the
     * desired one: satisfied, and kept as it is (the plan says {@code keep}).
     */
    KEPT_HIGHER,
    /**
     * The key exists on this kernel but no live value is known: it could not be read (write-only,
     * permission denied) or the observation did not cover it.
     */
    MISSING,
    /** The kernel has no such key (module not loaded, older kernel, not in this namespace). */
    UNKNOWN_ON_KERNEL
  }

  SysctlDrift() {}

  /** A builder; {@code key}, {@code desired} and {@code status} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Compares every key of {@code profile}, in profile order, with {@code observed}. */
  public static List<SysctlDrift> compare(SysctlProfile profile, SysctlObservation observed) {
    List<SysctlDrift> drifts = new ArrayList<>();
    for (Map.Entry<SysctlKey, String> entry : profile.values().entrySet()) {
      SysctlKey key = entry.getKey();
      Optional<String> live = observed.value(key);
      Status status;
      if (observed.unknown().contains(key)) {
        status = Status.UNKNOWN_ON_KERNEL;
      } else if (live.isEmpty()) {
        status = Status.MISSING;
      } else if (Values.same(live.get(), entry.getValue())) {
        status = Status.EQUAL;
      } else if (profile.raiseOnly().contains(key) && isLarger(live.get(), entry.getValue())) {
        status = Status.KEPT_HIGHER;
      } else {
        status = Status.DIFFERS;
      }
      drifts.add(
          builder().key(key).desired(entry.getValue()).observed(live).status(status).build());
    }
    return List.copyOf(drifts);
  }

  static boolean isLarger(String live, String desired) {
    Optional<BigInteger> have = Values.integer(live);
    Optional<BigInteger> want = Values.integer(desired);
    return have.isPresent() && want.isPresent() && have.get().compareTo(want.get()) > 0;
  }

  /** True when the key needs nothing: {@link Status#EQUAL} or {@link Status#KEPT_HIGHER}. */
  public boolean isSatisfied() {
    return status() == Status.EQUAL || status() == Status.KEPT_HIGHER;
  }

  /** The key compared. */
  public abstract SysctlKey key();

  /** The profile's value. */
  public abstract String desired();

  /** The live value, when it was read. */
  public abstract Optional<String> observed();

  /** How they compare. */
  public abstract Status status();

  /** One line for people: {@code DIFFERS fs.file-max: live 1000, want 2097152}. */
  public String render() {
    String live = observed().map(Values::normalize).orElse("?");
    switch (status()) {
      case EQUAL:
        return "EQUAL " + key() + " = " + live;
      case DIFFERS:
        return "DIFFERS " + key() + ": live " + live + ", want " + desired();
      case KEPT_HIGHER:
        return "KEPT_HIGHER "
            + key()
            + " = "
            + live
            + " (raise-only: above the wanted "
            + desired()
            + ", kept)";
      case MISSING:
        return "MISSING " + key() + ": no live value read, want " + desired();
      default:
        return "UNKNOWN_ON_KERNEL " + key() + ": no such key on this kernel, want " + desired();
    }
  }

  /** Builds a {@link SysctlDrift}. */
  public static final class Builder extends ImmutableSysctlDrift.Builder {
    Builder() {}
  }
}
