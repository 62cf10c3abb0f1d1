package dev.opskit.core.internal.ssh;

import java.security.PublicKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.digest.BuiltinDigests;

/** Why {@link KnownHostsVerifier} refused a host key. */
public final class HostKeyRefusal {
  /** The kinds of refusal. */
  public enum Kind {
    UNKNOWN,
    CHANGED,
    REVOKED
  }

  private final Kind kind;
  private final String keyType;
  private final String fingerprint;
  private final String knownFingerprint;

  HostKeyRefusal(Kind kind, PublicKey presented, PublicKey known) {
    this.kind = kind;
    this.keyType = KeyUtils.getKeyType(presented);
    this.fingerprint = fingerprint(presented);
    this.knownFingerprint = known == null ? null : fingerprint(known);
  }

  /** The SHA-256 fingerprint of a key as {@code ssh-keygen -l} prints it. */
  public static String fingerprint(PublicKey key) {
    return KeyUtils.getFingerPrint(BuiltinDigests.sha256, key);
  }

  public Kind kind() {
    return kind;
  }

  public String keyType() {
    return keyType;
  }

  public String fingerprint() {
    return fingerprint;
  }

  /** The expected key's fingerprint, or null. */
  public String knownFingerprint() {
    return knownFingerprint;
  }
}
