package dev.opskit.cluster.testing;

import java.nio.charset.StandardCharsets;

/**
 * What an exec in the fixture "printed" and how it exited.
 *
 * @param exitCode the exit status reported on the error channel (0 = success)
 * @param stdout bytes sent on the stdout channel
 * @param stderr bytes sent on the stderr channel
 */
public record PodExecReply(int exitCode, byte[] stdout, byte[] stderr) {
  /** Copies the arrays. */
  public PodExecReply {
    if (exitCode < 0 || exitCode > 255) {
      throw new IllegalArgumentException("exit code must be 0..255, was " + exitCode);
    }
    stdout = stdout.clone();
    stderr = stderr.clone();
  }

  /** A reply with UTF-8 text output. */
  public static PodExecReply of(int exitCode, String stdout, String stderr) {
    return new PodExecReply(
        exitCode, stdout.getBytes(StandardCharsets.UTF_8), stderr.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public byte[] stdout() {
    return stdout.clone();
  }

  @Override
  public byte[] stderr() {
    return stderr.clone();
  }
}
