package dev.opskit.core;

import java.io.IOException;
import java.util.Objects;
import java.util.function.Function;

/**
 * The work a {@link Rollout} does on each host: observe, plan and (unless observing only) apply,
 * then say what happened as a {@link HostOutcome}. One abstract method, so a lambda is a task.
 *
 * <p>Called from the rollout's worker threads, for many hosts at once: implementations must be safe
 * for concurrent use. A task that throws {@link IOException} marks its host {@link
 * HostStatus#UNREACHABLE} (transport failure); any other exception marks it {@link
 * HostStatus#FAILED}. A task must leave its host unchanged when it throws (apply atomically, or
 * restore its own snapshot before throwing).
 *
 * <pre>{@code
 * HostTask task = host -> {
 *   String before = host.executor().execute("cat", "/proc/sys/net/core/somaxconn")
 *       .requireSuccess().stdoutUtf8().strip();
 *   if (before.equals("32768")) {
 *     return HostOutcome.unchanged("already up to date");
 *   }
 *   write(host, "32768");
 *   return HostOutcome.changed("set net.core.somaxconn " + before + " -> 32768",
 *       () -> write(host, before));
 * };
 * }</pre>
 *
 * <p>For an {@link Applier}, {@link #applying} and {@link #observing} build the task:
 *
 * <pre>{@code
 * HostTask roll = HostTask.applying(SysctlApplier::on, profile);     // apply, roll back on failure
 * HostTask drift = HostTask.observing(IptablesApplier::on, allowlist); // plan only, change nothing
 * }</pre>
 */
@FunctionalInterface
public interface HostTask {
  /**
   * Runs the task on {@code host}.
   *
   * @throws IOException when the host cannot be reached (reported as unreachable)
   * @throws InterruptedException when the rollout is interrupted and running hosts are stopped
   * @throws Exception any other failure (reported as failed)
   */
  HostOutcome run(FleetHost host) throws Exception;

  /**
   * A task that builds an applier on each host's executor with {@code applierOn} (such as {@code
   * SysctlApplier::on}, or {@code executor -> LimitsApplier.on(executor).withDaemonReload(true)})
   * and applies {@code desired}: the host is {@linkplain HostOutcome#changed(String,
   * RollbackAction) changed} with the result's summary and a rollback through {@link
   * Applier#rollBack}, or unchanged when it already held the desired state.
   */
  static <D> HostTask applying(
      Function<CommandExecutor, ? extends Applier<D, ?, ?, ?>> applierOn, D desired) {
    Objects.requireNonNull(applierOn, "applierOn");
    Objects.requireNonNull(desired, "desired");
    return host -> applyWith(applierOn.apply(host.executor()), desired);
  }

  /**
   * A read-only task for fleet observe: plans {@code desired} on each host with the applier {@code
   * applierOn} builds, changing nothing. A host whose plan is not empty is reported {@linkplain
   * HostOutcome#changed(String) changed} (it differs) with the plan's summary; run it with {@link
   * Rollout.Builder#observe()}.
   */
  static <D> HostTask observing(
      Function<CommandExecutor, ? extends Applier<D, ?, ?, ?>> applierOn, D desired) {
    Objects.requireNonNull(applierOn, "applierOn");
    Objects.requireNonNull(desired, "desired");
    return host -> {
      Applier.Plan plan = applierOn.apply(host.executor()).plan(desired);
      return plan.isEmpty()
          ? HostOutcome.unchanged(plan.summary())
          : HostOutcome.changed(plan.summary());
    };
  }

  private static <D, R extends Applier.Result> HostOutcome applyWith(
      Applier<D, ?, ?, R> applier, D desired) throws IOException, InterruptedException {
    R result = applier.apply(desired);
    if (!result.changed()) {
      return HostOutcome.unchanged(result.summary());
    }
    return HostOutcome.changed(result.summary(), () -> applier.rollBack(result));
  }
}
