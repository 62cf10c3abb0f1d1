package dev.opskit.iptables;

/**
 * A connection tracking state for {@code -m conntrack --ctstate}, in the order iptables-save prints
 * them.
 */
public enum ConntrackState {
  /** A packet conntrack could not identify. */
  INVALID,
  /** The first packet of a new connection. */
  NEW,
  /** A new connection related to an existing one (FTP data, ICMP errors). */
  RELATED,
  /** A packet of a connection that has seen traffic both ways. */
  ESTABLISHED,
  /** A packet exempted from tracking in the raw table. */
  UNTRACKED,
  /** A connection whose source was rewritten. */
  SNAT,
  /** A connection whose destination was rewritten, such as a Kubernetes NodePort. */
  DNAT
}
