package dev.opskit.iptables;

import dev.opskit.core.OpskitException;
import java.time.Duration;

/**
 * Another apply held the host's apply lock for longer than this call would wait; this call changed
 * nothing. opskit serialises observe, apply and verify per host (per network namespace) with {@code
 * flock} on a file in the applier's state directory; retry later, or raise {@code
 * IptablesApplier.Builder#lockWait}.
 */
public final class HostLockedException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final String lockFile;
  private final Duration waited;

  /** Creates the exception for {@code lockFile} on the host, given up on after {@code waited}. */
  public HostLockedException(String lockFile, Duration waited) {
    super(
        "another opskit apply holds the lock "
            + lockFile
            + " on this host; gave up after waiting "
            + waited.toMillis()
            + " ms, nothing was changed");
    this.lockFile = lockFile;
    this.waited = waited;
  }

  /** The lock file on the host. */
  public String lockFile() {
    return lockFile;
  }

  /** How long the call waited for it. */
  public Duration waited() {
    return waited;
  }
}
