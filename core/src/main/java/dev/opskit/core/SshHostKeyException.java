package dev.opskit.core;

import java.io.IOException;
import java.util.Optional;

/**
 * The SSH server's host key was refused: it is not in the known_hosts file, it differs from the key
 * recorded there (which may mean someone is intercepting the connection), or it is marked revoked.
 * Thrown by {@link SshExecutor#execute(Command)} before anything runs on the host.
 *
 * <p>To trust a new host, add its key to the known_hosts file after checking its fingerprint out of
 * band (for example {@code ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub} on the host).
 */
public final class SshHostKeyException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why a host key was refused. */
  public enum Reason {
    /** No key for this host in the known_hosts file. */
    UNKNOWN,
    /** The known_hosts file holds a different key for this host. */
    CHANGED,
    /** The key is marked {@code @revoked} in the known_hosts file. */
    REVOKED
  }

  private final Reason reason;
  private final SshTarget target;
  private final String keyType;
  private final String fingerprint;
  private final String knownFingerprint;

  SshHostKeyException(
      Reason reason,
      SshTarget target,
      String keyType,
      String fingerprint,
      String knownFingerprint,
      String knownHosts) {
    super(message(reason, target, keyType, fingerprint, knownFingerprint, knownHosts));
    this.reason = reason;
    this.target = target;
    this.keyType = keyType;
    this.fingerprint = fingerprint;
    this.knownFingerprint = knownFingerprint;
  }

  private static String message(
      Reason reason,
      SshTarget target,
      String keyType,
      String fingerprint,
      String knownFingerprint,
      String knownHosts) {
    String host = target.hostForUri() + ":" + target.port();
    String presented = keyType + " key " + fingerprint;
    switch (reason) {
      case CHANGED:
        return "host key of "
            + host
            + " has CHANGED: it presented "
            + presented
            + " but "
            + knownHosts
            + " has "
            + knownFingerprint
            + "; someone may be intercepting the connection, or the host was reinstalled."
            + " Refusing to connect";
      case REVOKED:
        return "host key of " + host + " is revoked in " + knownHosts + ": " + presented;
      case UNKNOWN:
      default:
        return "host key of "
            + host
            + " is unknown: it presented "
            + presented
            + ", which is not in "
            + knownHosts
            + ". Refusing to connect; verify the fingerprint and add the key to that file";
    }
  }

  /** Why the key was refused. */
  public Reason reason() {
    return reason;
  }

  /** The target whose key was refused. */
  public SshTarget target() {
    return target;
  }

  /** The algorithm of the presented key, such as {@code ssh-ed25519}. */
  public String keyType() {
    return keyType;
  }

  /**
   * The presented key's fingerprint, {@code SHA256:} and Base64, as {@code ssh-keygen -l} shows.
   */
  public String fingerprint() {
    return fingerprint;
  }

  /** For {@link Reason#CHANGED}: the fingerprint of the key the known_hosts file expected. */
  public Optional<String> knownFingerprint() {
    return Optional.ofNullable(knownFingerprint);
  }
}
