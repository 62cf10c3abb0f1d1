package dev.opskit.cluster.testing.internal;

import java.util.List;
import java.util.Optional;

/**
 * What an opskit node agent pod does with an exec request, as the fixture plays it: {@code nsenter
 * -t 1 -m -u -i -n -p -- ARGV} runs ARGV on the node, and {@code sh -c 'head -c "$0" | nsenter … --
 * "$@"' N ARGV} runs it with exactly N bytes of stdin. The fixture runs ARGV on the node's executor
 * instead of entering namespaces, so a test node can be a network namespace or an in-memory host.
 */
public final class AgentExec {
  private static final List<String> ENTER_NODE =
      List.of("nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--");
  private static final String STDIN_SCRIPT =
      "head -c \"$0\" | " + String.join(" ", ENTER_NODE) + " \"$@\"";

  /** A command as the agent pod received it: argv on the node and the stdin bytes it expects. */
  public record Decoded(List<String> argv, int stdinBytes) {}

  private AgentExec() {}

  /** The command an agent's exec argv runs on the node; empty for any other argv. */
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
