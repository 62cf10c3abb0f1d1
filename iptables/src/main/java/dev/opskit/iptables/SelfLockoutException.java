package dev.opskit.iptables;

import dev.opskit.core.OpskitException;

/**
 * Refusal to apply a rule set that would drop the executor's own SSH connection. Allow it
 * explicitly ({@code NodePortAllowlist.Builder#allowSelfLockout(true)}) when that is intended.
 */
public final class SelfLockoutException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final String clientAddress;
  private final int serverPort;

  /**
   * Creates the refusal for the SSH client {@code clientAddress} connected to {@code serverPort}.
   */
  public SelfLockoutException(String clientAddress, int serverPort, String owner) {
    super(
        "refusing to apply '"
            + owner
            + "': it would drop this SSH connection from "
            + clientAddress
            + " to port "
            + serverPort
            + " (allow it explicitly with allowSelfLockout(true))");
    this.clientAddress = clientAddress;
    this.serverPort = serverPort;
  }

  /** The SSH client address that would be cut off. */
  public String clientAddress() {
    return clientAddress;
  }

  /** The SSH server port that would be blocked for it. */
  public int serverPort() {
    return serverPort;
  }
}
