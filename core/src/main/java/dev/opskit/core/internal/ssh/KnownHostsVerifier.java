package dev.opskit.core.internal.ssh;

import java.net.SocketAddress;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;

/**
 * Strict known_hosts checking: a key is accepted only when the file lists it for the host; an
 * unknown, changed or revoked key is refused, the file is never modified, and the reason is kept
 * until the caller {@linkplain #takeRefusal takes it} to report host and fingerprint.
 */
public final class KnownHostsVerifier extends KnownHostsServerKeyVerifier {
  private final Map<ClientSession, HostKeyRefusal> refusals = new ConcurrentHashMap<>();

  /** Verifies against {@code knownHosts}; a missing file means every key is unknown. */
  public KnownHostsVerifier(Path knownHosts) {
    super(RejectAllServerKeyVerifier.INSTANCE, knownHosts);
    setModifiedServerKeyAcceptor(this);
  }

  /** Why the key of {@code session} was refused, if it was; forgets it. */
  public Optional<HostKeyRefusal> takeRefusal(ClientSession session) {
    return Optional.ofNullable(refusals.remove(session));
  }

  @Override
  protected boolean acceptUnknownHostKey(
      ClientSession session, SocketAddress remoteAddress, PublicKey serverKey) {
    refusals.put(session, new HostKeyRefusal(HostKeyRefusal.Kind.UNKNOWN, serverKey, null));
    return false;
  }

  @Override
  public boolean acceptModifiedServerKey(
      ClientSession session,
      SocketAddress remoteAddress,
      KnownHostEntry entry,
      PublicKey expected,
      PublicKey actual) {
    refusals.put(session, new HostKeyRefusal(HostKeyRefusal.Kind.CHANGED, actual, expected));
    return false;
  }

  @Override
  protected void handleRevokedKey(
      ClientSession session, SocketAddress remoteAddress, PublicKey serverKey) {
    refusals.put(session, new HostKeyRefusal(HostKeyRefusal.Kind.REVOKED, serverKey, null));
    super.handleRevokedKey(session, remoteAddress, serverKey);
  }
}
