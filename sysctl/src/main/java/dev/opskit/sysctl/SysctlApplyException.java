package dev.opskit.sysctl;

import dev.opskit.core.ExecResult;
import java.util.Optional;

/**
 * Applying a sysctl profile could not go on or did not take: required keys are unknown on the
 * kernel, {@code sysctl -p} failed, or verification found values still not as desired. Carries the
 * plan involved and, when a command failed, its result.
 */
public final class SysctlApplyException extends dev.opskit.core.OpskitException {
  private static final long serialVersionUID = 1L;

  private final transient SysctlPlan plan;
  private final transient ExecResult result;

  /** Creates the exception for {@code plan}, with the failed command's result if any. */
  public SysctlApplyException(String message, SysctlPlan plan, ExecResult result) {
    super(message);
    this.plan = plan;
    this.result = result;
  }

  /**
   * The plan that was being applied, or (after a failed verification) what was still left to do.
   */
  public SysctlPlan plan() {
    return plan;
  }

  /** The result of the command that failed, when a command failed. */
  public Optional<ExecResult> result() {
    return Optional.ofNullable(result);
  }
}
