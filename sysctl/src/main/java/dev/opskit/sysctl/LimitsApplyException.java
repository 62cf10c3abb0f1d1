package dev.opskit.sysctl;

import dev.opskit.core.ExecResult;
import java.util.Optional;

/**
 * Applying a limits profile could not go on or did not take: the plan is blocked (a {@code nofile}
 * value above {@code fs.nr_open}, a path that is not a regular file), {@code systemctl
 * daemon-reload} failed, or the files are still not as desired afterwards. Carries the plan
 * involved and, when a command failed, its result.
 */
public final class LimitsApplyException extends dev.opskit.core.OpskitException {
  private static final long serialVersionUID = 1L;

  private final transient LimitsPlan plan;
  private final transient ExecResult result;

  /** Creates the exception for {@code plan}, with the failed command's result if any. */
  public LimitsApplyException(String message, LimitsPlan plan, ExecResult result) {
    super(message);
    this.plan = plan;
    this.result = result;
  }

  /**
   * The plan that was being applied, or (after a failed verification) what was still left to do.
   */
  public LimitsPlan plan() {
    return plan;
  }

  /** The result of the command that failed, when a command failed. */
  public Optional<ExecResult> result() {
    return Optional.ofNullable(result);
  }
}
