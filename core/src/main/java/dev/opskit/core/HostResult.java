package dev.opskit.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How one host ended in a {@link Rollout}: its status, a one-line summary (the task's, or the
 * error), and how long its task ran. Immutable.
 */
public final class HostResult {
  private final String host;
  private final HostStatus status;
  private final String summary;
  private final Duration duration;

  private HostResult(String host, HostStatus status, String summary, Duration duration) {
    this.host = Objects.requireNonNull(host, "host");
    this.status = Objects.requireNonNull(status, "status");
    this.summary = Objects.requireNonNull(summary, "summary").replaceAll("[\\r\\n]+", " ");
    this.duration = Objects.requireNonNull(duration, "duration");
  }

  /** A result for {@code host}; line breaks in the summary become spaces. */
  public static HostResult of(String host, HostStatus status, String summary, Duration duration) {
    return new HostResult(host, status, summary, duration);
  }

  /** The host's name. */
  public String host() {
    return host;
  }

  /** How the host ended. */
  public HostStatus status() {
    return status;
  }

  /** What the task did or found, or what went wrong; one line. */
  public String summary() {
    return summary;
  }

  /** How long the host's task (and rollback, if any) ran; zero when skipped. */
  public Duration duration() {
    return duration;
  }

  /** This result with another status and summary, the same host and duration. */
  public HostResult with(HostStatus newStatus, String newSummary, Duration extra) {
    return new HostResult(host, newStatus, newSummary, duration.plus(extra));
  }

  @Override
  public String toString() {
    return host + " " + status + ": " + summary;
  }
}
