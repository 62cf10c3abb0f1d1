package dev.opskit.sysctl;

import dev.opskit.core.Applier;
import dev.opskit.core.internal.OpskitStyle;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What {@link SysctlApplier#apply(SysctlProfile)} did: the plan it followed, whether it wrote the
 * drop-in and ran {@code sysctl -p}, and what the kernel reported afterwards. Applying a profile
 * that is already in force writes nothing, so {@link #changed()} is false.
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlApplyResult implements Applier.Result {
  SysctlApplyResult() {}

  /** A builder; all attributes but {@code before} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The plan computed before applying. */
  public abstract SysctlPlan plan();

  /** True when the drop-in file was (re)written. */
  public abstract boolean dropInWritten();

  /** True when {@code sysctl -p FILE} ran. */
  public abstract boolean reloaded();

  /**
   * The observation before applying, which {@link SysctlApplier#rollBack(SysctlApplyResult)}
   * restores; empty in a result built by hand.
   */
  public abstract Optional<SysctlObservation> before();

  /** The observation after applying (the same as before when nothing changed). */
  public abstract SysctlObservation after();

  /** True when anything was written to the file system or the kernel. */
  @Override
  public boolean changed() {
    return dropInWritten() || reloaded();
  }

  /** One line: {@code up to date}, or the plan's summary of what was set and written. */
  @Override
  public String summary() {
    return changed() ? plan().summary() : "up to date";
  }

  /** Builds a {@link SysctlApplyResult}. */
  public static final class Builder extends ImmutableSysctlApplyResult.Builder {
    Builder() {}
  }
}
