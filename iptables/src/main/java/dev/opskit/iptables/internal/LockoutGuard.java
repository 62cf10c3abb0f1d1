package dev.opskit.iptables.internal;

import dev.opskit.core.ExecResult;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.SelfLockoutException;

/** Refuses an allowlist that would cut off the executor's own connection. */
public final class LockoutGuard {
  private LockoutGuard() {}

  /**
   * Refuses {@code allowlist} when it blocks the protected connection ({@code protectedClient},
   * {@code protectedPort}) or, when none is set, the one {@code env} ({@code printenv
   * SSH_CONNECTION}, may be null) shows.
   *
   * @throws SelfLockoutException when the allowlist would drop the connection or covers its port
   */
  public static void refuse(
      NodePortAllowlist allowlist, String protectedClient, int protectedPort, ExecResult env) {
    if (allowlist.allowSelfLockout() && allowlist.allowConnectionPort()) {
      return;
    }
    String client = protectedClient;
    int port = protectedPort;
    if (client == null) {
      if (env == null) {
        return;
      }
      String[] parts = env.stdoutUtf8().strip().split("\\s+");
      if (!env.isSuccess() || parts.length != 4) {
        return;
      }
      client = parts[0];
      try {
        port = Integer.parseInt(parts[3]);
      } catch (NumberFormatException e) {
        return;
      }
    }
    if (!allowlist.allowSelfLockout() && allowlist.blocks(client, "tcp", port)) {
      throw new SelfLockoutException(client, port, allowlist.name());
    }
    int serverPort = port;
    if (!allowlist.allowConnectionPort()
        && allowlist.protocols().contains("tcp")
        && allowlist.ports().stream().anyMatch(p -> p.contains(serverPort))) {
      throw SelfLockoutException.connectionPort(client, port, allowlist.name());
    }
  }
}
