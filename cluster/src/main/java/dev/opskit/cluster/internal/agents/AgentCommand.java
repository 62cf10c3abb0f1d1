package dev.opskit.cluster.internal.agents;

import dev.opskit.core.Command;
import dev.opskit.core.internal.FramedCommand;
import java.time.Duration;
import java.util.List;

/**
 * How a command reaches a node from a pod on it (a node agent, or {@code NodeExecutor}'s exec pod).
 * The exec request names only a constant command, {@link #exec(List) sh -c DECODER}, so its URL
 * stays short however long the command's argv is (an API server or a proxy answers a long request
 * line with 414); the argv and the command's stdin travel on the exec's stdin, framed as {@link
 * FramedCommand} describes, with a deadline one {@link #GRACE} after the caller's timeout, since
 * closing an exec does not end the process it started.
 *
 * <p>The runner puts the command on the node: {@link #ENTER_NODE} enters the mount, UTS, IPC,
 * network and PID namespaces of the node's init process (an agent pod runs with host PID), {@link
 * #CHROOT_HOST} changes root to the node's filesystem mounted at {@code /host}; either way the
 * command runs with the node's own binaries and files. The pod's image must provide {@code sh},
 * {@code head}, {@code setsid}, {@code sleep} and the runner's first word (busybox does).
 */
public final class AgentCommand {
  /** The exit status of the pod's shell when the framing on stdin does not parse. */
  public static final int MALFORMED = FramedCommand.MALFORMED;

  /** The runner of node agents: enters the namespaces of the node's init process. */
  public static final List<String> ENTER_NODE =
      List.of("nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--");

  /** The runner of an exec pod with the node's root filesystem at {@code /host}. */
  public static final List<String> CHROOT_HOST = List.of("chroot", "/host");

  /** The script that reads a framed command from stdin and runs it on the node through agents. */
  public static final String DECODER = FramedCommand.decoder(ENTER_NODE);

  /** The exec argv every agent command is sent as. */
  public static final List<String> EXEC = FramedCommand.exec(ENTER_NODE);

  /** How long after its caller's timeout a command still running is killed on the node. */
  public static final Duration GRACE = Duration.ofSeconds(1);

  private AgentCommand() {}

  /** The exec argv that runs the decoder for {@code runner}. */
  public static List<String> exec(List<String> runner) {
    return FramedCommand.exec(runner);
  }

  /**
   * The exec's stdin that runs {@code command} on the node, killed there after {@code deadline}.
   */
  public static byte[] stdin(Command command, Duration deadline) {
    return FramedCommand.frame(command, deadline);
  }
}
