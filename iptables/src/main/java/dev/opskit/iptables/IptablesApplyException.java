package dev.opskit.iptables;

import dev.opskit.core.ExecResult;
import dev.opskit.core.OpskitException;
import java.util.Optional;

/**
 * An apply that could not complete: a restore command failed (its result is attached), or the state
 * read back after applying did not match. What had been changed was rolled back before this was
 * thrown; {@link #rolledBack()} says whether that rollback succeeded.
 */
public final class IptablesApplyException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final transient ExecResult result;
  private final boolean rolledBack;

  /** Creates the exception; {@code result} may be null when no command failed. */
  public IptablesApplyException(String message, ExecResult result, boolean rolledBack) {
    super(message);
    this.result = result;
    this.rolledBack = rolledBack;
  }

  /** The failed command's result, when a command failed. */
  public Optional<ExecResult> result() {
    return Optional.ofNullable(result);
  }

  /** True when the previous state was restored. */
  public boolean rolledBack() {
    return rolledBack;
  }
}
