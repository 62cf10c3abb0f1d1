package dev.opskit.sysctl.internal;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.StepRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the state-changing commands of the sysctl and limits appliers and reports each as a logical
 * step to the executor's listeners: a script by what it does ({@code write PATH}, {@code mv FROM
 * TO}), a plain program ({@code sysctl -e -p FILE}) by its argv. Inputs (file contents, values)
 * never go into a step.
 */
public final class Steps {
  private Steps() {}

  /** Runs {@code command} and reports it as the step {@code step}. */
  public static ExecResult run(CommandExecutor executor, Command command, List<String> step)
      throws IOException, InterruptedException {
    ExecResult result = executor.execute(command);
    executor.reportSteps(
        List.of(StepRecord.of(result.command(), step, result.exitCode(), result.duration())));
    return result;
  }

  /** Runs a plain program and reports it as a step under its own argv. */
  public static ExecResult run(CommandExecutor executor, Command command)
      throws IOException, InterruptedException {
    return run(executor, command, command.argv());
  }

  /** The step that writes the file at {@code path}. */
  public static List<String> write(String path) {
    return List.of("write", path);
  }

  /** The step that writes previous values back to the kernel (and removes a staged drop-in). */
  public static List<String> restore(String staged, Iterable<?> keys) {
    List<String> step = new ArrayList<>(List.of("restore"));
    if (!staged.isEmpty()) {
      step.add(staged);
    }
    keys.forEach(key -> step.add(key.toString()));
    return step;
  }
}
