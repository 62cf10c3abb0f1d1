package dev.opskit.iptables;

/**
 * The address family of a rule set. IPv4 rules are handled by {@code iptables}, IPv6 rules by
 * {@code ip6tables}; the kernel keeps them apart, so opskit does too.
 */
public enum IpFamily {
  /** IPv4, {@code iptables}. */
  IPV4("iptables"),
  /** IPv6, {@code ip6tables}. */
  IPV6("ip6tables");

  private final String command;

  IpFamily(String command) {
    this.command = command;
  }

  /** The base command of this family: {@code iptables} or {@code ip6tables}. */
  public String command() {
    return command;
  }
}
