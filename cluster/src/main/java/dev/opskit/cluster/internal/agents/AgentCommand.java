package dev.opskit.cluster.internal.agents;

import dev.opskit.core.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a command reaches a node from its agent pod: {@code nsenter -t 1 -m -u -i -n -p -- ARGV}
 * enters the mount, UTS, IPC, network and PID namespaces of the node's init process (the pod runs
 * with host PID), so ARGV runs with the node's own binaries and files. A command with stdin runs as
 * {@code sh -c 'head -c "$0" | nsenter … -- "$@"' N ARGV}: the exec channel protocol before {@code
 * v5} cannot signal the end of stdin, so the pod's shell reads exactly N bytes and then closes the
 * command's input. The agent image must provide {@code nsenter}, {@code sh} and {@code head}
 * (busybox does).
 */
public final class AgentCommand {
  /** The prefix that enters the node's namespaces. */
  public static final List<String> ENTER_NODE =
      List.of("nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--");

  /** The script that feeds exactly {@code $0} bytes of stdin to the command. */
  public static final String STDIN_SCRIPT =
      "head -c \"$0\" | " + String.join(" ", ENTER_NODE) + " \"$@\"";

  /** A command as the agent pod received it: argv on the node and the stdin bytes it expects. */
  public record Decoded(List<String> argv, int stdinBytes) {}

  private AgentCommand() {}

  /** The exec argv that runs {@code command} on the node. */
  public static List<String> argv(Command command) {
    List<String> argv = new ArrayList<>();
    if (command.stdin().length == 0) {
      argv.addAll(ENTER_NODE);
    } else {
      argv.add("sh");
      argv.add("-c");
      argv.add(STDIN_SCRIPT);
      argv.add(String.valueOf(command.stdin().length));
    }
    argv.addAll(command.argv());
    return argv;
  }

  /** The command an exec argv of {@link #argv(Command)} runs on the node; empty for other argv. */
  public static Optional<Decoded> decode(List<String> exec) {
    if (exec.size() > ENTER_NODE.size() && exec.subList(0, ENTER_NODE.size()).equals(ENTER_NODE)) {
      return Optional.of(new Decoded(exec.subList(ENTER_NODE.size(), exec.size()), 0));
    }
    if (exec.size() > 4
        && exec.get(0).equals("sh")
        && exec.get(1).equals("-c")
        && exec.get(2).equals(STDIN_SCRIPT)
        && exec.get(3).matches("[1-9][0-9]{0,9}")) {
      long bytes = Long.parseLong(exec.get(3));
      if (bytes <= Integer.MAX_VALUE) {
        return Optional.of(new Decoded(exec.subList(4, exec.size()), (int) bytes));
      }
    }
    return Optional.empty();
  }
}
