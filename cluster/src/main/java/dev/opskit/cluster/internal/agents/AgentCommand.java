package dev.opskit.cluster.internal.agents;

import dev.opskit.core.Command;
import java.util.ArrayList;
import java.util.List;

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
}
