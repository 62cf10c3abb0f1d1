package dev.opskit.sysctl;

import dev.opskit.core.Applier;
import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import org.immutables.value.Value;

/**
 * What {@link LimitsApplier#apply(LimitsProfile)} did: the plan it followed, the files it wrote,
 * whether it ran {@code systemctl daemon-reload}, and what it observed afterwards. Applying a
 * profile whose files are already current writes nothing, so {@link #changed()} is false and {@link
 * #render()} says so.
 */
@Value.Immutable
@OpskitStyle
public abstract class LimitsApplyResult implements Applier.Result {
  LimitsApplyResult() {}

  /** A builder; {@code plan}, {@code daemonReloaded} and {@code after} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The plan computed before applying. */
  public abstract LimitsPlan plan();

  /** The paths written, in order; empty when everything was already current. */
  public abstract List<String> written();

  /** True when {@code systemctl daemon-reload} ran. */
  public abstract boolean daemonReloaded();

  /** The observation after applying (the same as before when nothing changed). */
  public abstract LimitsObservation after();

  /** True when any file was written. */
  @Override
  public boolean changed() {
    return !written().isEmpty();
  }

  /** One line: {@code up to date}, or the plan's summary of the files written. */
  @Override
  public String summary() {
    return changed() ? plan().summary() : "up to date";
  }

  /**
   * The systemd units whose {@code LimitNOFILE=} drop-in was written: they run with their old limit
   * until restarted (after a daemon-reload, done here only when {@linkplain
   * LimitsApplier#withDaemonReload(boolean) asked for}).
   */
  public List<String> unitsToRestart() {
    return plan().unitsToRestart();
  }

  /** A human-readable summary of what was written and what is left to the caller. */
  public String render() {
    StringBuilder text = new StringBuilder("limits profile ").append(plan().profileName());
    if (!changed()) {
      return text.append(": up to date, nothing written\n").toString();
    }
    text.append('\n');
    for (String path : written()) {
      text.append("  wrote ").append(path).append('\n');
    }
    if (daemonReloaded()) {
      text.append("  ran systemctl daemon-reload\n");
    } else if (!unitsToRestart().isEmpty()) {
      text.append("  run systemctl daemon-reload\n");
    }
    for (String unit : unitsToRestart()) {
      text.append("  restart ").append(unit).append(" to pick up LimitNOFILE\n");
    }
    return text.toString();
  }

  /** Builds a {@link LimitsApplyResult}. */
  public static final class Builder extends ImmutableLimitsApplyResult.Builder {
    Builder() {}
  }
}
