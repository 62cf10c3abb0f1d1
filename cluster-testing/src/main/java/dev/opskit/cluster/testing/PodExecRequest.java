package dev.opskit.cluster.testing;

import java.util.List;

/**
 * A pod exec request as the fixture received it.
 *
 * @param namespace the pod's namespace
 * @param pod the pod's name
 * @param container the {@code container} query parameter, or the empty string
 * @param command the argv, one element per {@code command} query parameter (never re-split)
 */
public record PodExecRequest(String namespace, String pod, String container, List<String> command) {
  /** Copies the command list. */
  public PodExecRequest {
    command = List.copyOf(command);
  }
}
