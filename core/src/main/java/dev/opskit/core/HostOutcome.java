package dev.opskit.core;

import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link HostTask} did on one host: changed or not, a one-line summary (hosts with the same
 * summary are grouped in the report, so keep host-specific details such as names out of it), and
 * for a change, optionally how to roll it back. Immutable.
 *
 * <pre>{@code
 * return HostOutcome.unchanged("already up to date");
 * return HostOutcome.changed("set net.core.somaxconn 4096 -> 32768", () -> restore(snapshot));
 * }</pre>
 */
public final class HostOutcome {
  private final boolean changed;
  private final String summary;
  private final RollbackAction rollback;

  private HostOutcome(boolean changed, String summary, RollbackAction rollback) {
    Objects.requireNonNull(summary, "summary");
    if (summary.contains("\n") || summary.contains("\r")) {
      throw new IllegalArgumentException("summary '" + summary + "' must be one line");
    }
    this.changed = changed;
    this.summary = summary;
    this.rollback = rollback;
  }

  /** The host was already as desired. */
  public static HostOutcome unchanged(String summary) {
    return new HostOutcome(false, summary, null);
  }

  /** The host was changed (or, when observing, differs) and the change cannot be rolled back. */
  public static HostOutcome changed(String summary) {
    return new HostOutcome(true, summary, null);
  }

  /** The host was changed; {@code rollback} undoes the change if the host's batch fails. */
  public static HostOutcome changed(String summary, RollbackAction rollback) {
    return new HostOutcome(true, summary, Objects.requireNonNull(rollback, "rollback"));
  }

  /** True when the host was changed. */
  public boolean changed() {
    return changed;
  }

  /** One line saying what was done or found. */
  public String summary() {
    return summary;
  }

  /** How to undo the change, if it can be undone. */
  public Optional<RollbackAction> rollback() {
    return Optional.ofNullable(rollback);
  }

  @Override
  public String toString() {
    return (changed ? "changed: " : "unchanged: ") + summary;
  }
}
