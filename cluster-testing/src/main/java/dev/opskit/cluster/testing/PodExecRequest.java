package dev.opskit.cluster.testing;

import java.util.List;

/**
 * A pod exec request as the fixture received it.
 *
 * @param namespace the pod's namespace
 * @param pod the pod's name
 * @param container the {@code container} query parameter, or the empty string
 * @param command the argv, one element per {@code command} query parameter (never re-split)
 * @param stdin the command's stdin when the exec carried an opskit command framed on its stdin (as
 *     {@code NodeExecutor} sends one); empty otherwise
 */
public record PodExecRequest(
    String namespace, String pod, String container, List<String> command, byte[] stdin) {
  /** Copies the command and stdin. */
  public PodExecRequest {
    command = List.copyOf(command);
    stdin = stdin.clone();
  }

  /** A request without stdin. */
  public PodExecRequest(String namespace, String pod, String container, List<String> command) {
    this(namespace, pod, container, command, new byte[0]);
  }

  /** The command's stdin (a copy). */
  @Override
  public byte[] stdin() {
    return stdin.clone();
  }
}
