package dev.opskit.core;

import java.io.IOException;

/**
 * The one shape of every host-touching applier: a desired state {@code D} (a sysctl profile, a
 * limits profile, a NodePort allowlist) is observed on the host, planned against what was observed,
 * applied and verified, and an applied change can be rolled back. Appliers are built on a {@link
 * CommandExecutor} with {@code on(executor)}, or {@code builder(executor)} where they have options.
 *
 * <pre>{@code
 * SysctlApplier node = SysctlApplier.on(executor);
 * SysctlPlan plan = node.plan(profile);        // observe, then plan: writes nothing
 * System.out.print(plan.render());
 * SysctlApplyResult result = node.apply(profile);
 * node.verify(profile).isEmpty();              // true: the host holds the profile
 * }</pre>
 *
 * <p>Because they share this shape, any applier plugs into a {@link Rollout} without glue code:
 * {@link HostTask#applying} and {@link HostTask#observing} build the per-host task from a factory
 * such as {@code SysctlApplier::on}.
 *
 * @param <D> the desired state
 * @param <O> what {@link #observe} reads
 * @param <P> the plan, from {@link #plan} and {@link #verify}
 * @param <R> the result of {@link #apply}
 */
public interface Applier<D, O, P extends Applier.Plan, R extends Applier.Result> {

  /**
   * Reads the live state that {@code desired} concerns; changes nothing.
   *
   * @throws IOException when the host cannot be reached
   */
  O observe(D desired) throws IOException, InterruptedException;

  /**
   * Observes the host and plans {@code desired} against it; changes nothing. An empty plan means
   * the host already holds the desired state.
   *
   * @throws IOException when the host cannot be reached
   */
  P plan(D desired) throws IOException, InterruptedException;

  /**
   * Brings the host in line with {@code desired}; applying twice changes nothing the second time.
   *
   * @throws IOException when the host cannot be reached
   */
  R apply(D desired) throws IOException, InterruptedException;

  /**
   * Observes the host again and says what is still to do: empty when it holds the desired state.
   *
   * @throws IOException when the host cannot be reached
   */
  P verify(D desired) throws IOException, InterruptedException;

  /**
   * Undoes what {@code applied} changed, restoring the state the apply observed before it wrote.
   * Does nothing for a result that changed nothing.
   *
   * @throws IOException when the host cannot be reached or the restore fails
   */
  void rollBack(R applied) throws IOException, InterruptedException;

  /** What an apply would change: a value with a one-line summary and a full rendering. */
  interface Plan {
    /** True when the host already holds the desired state. */
    boolean isEmpty();

    /**
     * One line saying what would change, without host-specific details, so that hosts with the same
     * plan read the same (as a {@link RolloutReport} groups them).
     */
    String summary();

    /** A human-readable rendering, one change per line. */
    String render();
  }

  /** What an apply did. */
  interface Result {
    /** True when anything on the host was changed. */
    boolean changed();

    /** One line saying what was done, without host-specific details. */
    String summary();
  }
}
