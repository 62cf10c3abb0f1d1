package dev.opskit.core;

import java.io.IOException;

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
}
