package dev.opskit.iptables;

import dev.opskit.core.OpskitException;

/**
 * Refusal to apply a rule set that would drop the executor's own SSH connection, or that guards the
 * port that connection uses (so that every other source loses SSH). Allow it explicitly ({@code
 * NodePortAllowlist.Builder#allowSelfLockout(true)}, {@code allowConnectionPort(true)}) when that
 * is intended.
 */
public final class SelfLockoutException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final String clientAddress;
  private final int serverPort;

  /**
   * Creates the refusal for the SSH client {@code clientAddress} connected to {@code serverPort}.
   */
  public SelfLockoutException(String clientAddress, int serverPort, String owner) {
    this(
        "refusing to apply '"
            + owner
            + "': it would drop this SSH connection from "
            + clientAddress
            + " to port "
            + serverPort
            + " (allow it explicitly with allowSelfLockout(true))",
        clientAddress,
        serverPort);
  }

  private SelfLockoutException(String message, String clientAddress, int serverPort) {
    super(message);
    this.clientAddress = clientAddress;
    this.serverPort = serverPort;
  }

  /**
   * The refusal of an allowlist that guards {@code serverPort}, the port the executor's own
   * connection (from {@code clientAddress}) uses: every source not on the list would lose it.
   */
  public static SelfLockoutException connectionPort(
      String clientAddress, int serverPort, String owner) {
    return new SelfLockoutException(
        "refusing to apply '"
            + owner
            + "': port "
            + serverPort
            + " is the one this connection uses, so every source not on the list would lose it"
            + " (allow it explicitly with allowConnectionPort(true))",
        clientAddress,
        serverPort);
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
