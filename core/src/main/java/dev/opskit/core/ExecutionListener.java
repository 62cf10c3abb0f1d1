package dev.opskit.core;

/**
 * Sees every command an executor starts and finishes: for logging, metrics and progress. All
 * methods do nothing by default; implement the ones you need. Called on the thread that runs the
 * command, so implementations must be thread-safe and quick. Attach one with {@link
 * CommandExecutor#withListener(ExecutionListener)}.
 *
 * <pre>{@code
 * CommandExecutor logged = LocalExecutor.create().withListener(new ExecutionListener() {
 *   public void finished(ExecResult result) { log.info("{}", result); }
 * });
 * }</pre>
 */
public interface ExecutionListener {

  /** A listener that ignores everything. */
  ExecutionListener NONE = new ExecutionListener() {};

  /** The command is about to start. */
  default void started(Command command) {}

  /** The command finished (whatever its exit status) with this result. */
  default void finished(ExecResult result) {}

  /** The command could not run or its transport failed. */
  default void failed(Command command, Exception error) {}

  /**
   * A logical step inside a command finished: an applier that batches several programs into one
   * call (or runs a step such as a file write as a script) reports each, after the command's {@link
   * #finished}, with its program, exit status and duration.
   *
   * <pre>{@code
   * public void stepFinished(StepRecord step) { audit.info("{}", step); } // iptables-restore --noflush -w: exit 0, 40 ms
   * }</pre>
   */
  default void stepFinished(StepRecord step) {}
}
