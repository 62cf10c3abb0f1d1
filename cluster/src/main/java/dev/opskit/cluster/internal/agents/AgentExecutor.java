package dev.opskit.cluster.internal.agents;

import dev.opskit.cluster.internal.node.PodExecSession;
import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.time.Duration;

/**
 * Runs commands on one node by exec into its agent pod (see {@link AgentCommand}), each exec under
 * the fleet's {@link ApiThrottle}. Thread-safe.
 */
public final class AgentExecutor implements CommandExecutor {
  private final ApiClient client;
  private final ApiThrottle throttle;
  private final String node;
  private final String namespace;
  private final String pod;
  private final Duration defaultTimeout;

  /** An executor for {@code node} through {@code namespace/pod}. */
  public AgentExecutor(
      ApiClient client,
      ApiThrottle throttle,
      String node,
      String namespace,
      String pod,
      Duration defaultTimeout) {
    this.client = client;
    this.throttle = throttle;
    this.node = node;
    this.namespace = namespace;
    this.pod = pod;
    this.defaultTimeout = defaultTimeout;
  }

  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    if (!command.env().isEmpty() || command.workingDirectory().isPresent()) {
      throw new IllegalArgumentException(
          "node agents run argv and stdin only: env and workingDirectory are not supported, got "
              + command);
    }
    long started = System.nanoTime();
    Duration timeout = command.timeout().orElse(defaultTimeout);
    PodExecSession.Outcome outcome;
    ApiThrottle.Permit permit = throttle.acquire();
    try {
      outcome =
          PodExecSession.run(
              client,
              namespace,
              pod,
              NodeAgentSpec.CONTAINER,
              AgentCommand.EXEC,
              AgentCommand.stdin(command, timeout.plus(AgentCommand.GRACE)),
              timeout);
    } finally {
      permit.close();
    }
    if (outcome.exitCode().isEmpty() && !outcome.timedOut()) {
      throw new IOException(
          "exec on node "
              + node
              + " (pod "
              + namespace
              + "/"
              + pod
              + ") reported no exit status: "
              + outcome.statusMessage());
    }
    return outcome.result(command, started);
  }

  @Override
  public String toString() {
    return "node " + node + " via pod " + namespace + "/" + pod;
  }
}
