package dev.opskit.iptables;

import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.Tokens;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One match of a rule, such as {@code -s 198.18.0.0/24} or {@code -m tcp --dport 30001}. Typed
 * factories validate their input and produce exactly the tokens {@code iptables-save} prints, so a
 * rule opskit writes compares equal to the rule it reads back. Matches opskit does not model (a
 * negation, an unusual module) parse as {@link Kind#OTHER} and keep their tokens as written.
 *
 * <pre>{@code
 * Rule rule = Rule.builder()
 *     .addMatches(Match.protocol("tcp"), Match.destinationPort("tcp", PortRange.of(30001)))
 *     .addMatches(Match.destinationAddressType("LOCAL"))
 *     .target(Target.jump("OPSKIT-web"))
 *     .build();
 * }</pre>
 *
 * <p>Values are immutable; equality is by kind and tokens.
 */
public final class Match {
  /** What a match tests. */
  public enum Kind {
    /** {@code -s CIDR}. */
    SOURCE,
    /** {@code -d CIDR}. */
    DESTINATION,
    /** {@code -i IFACE}. */
    IN_INTERFACE,
    /** {@code -o IFACE}. */
    OUT_INTERFACE,
    /** {@code -p PROTO}. */
    PROTOCOL,
    /** {@code -m tcp|udp|sctp --dport|--sport PORT[:PORT]}. */
    PORT,
    /** {@code -m multiport --dports|--sports LIST}. */
    MULTIPORT,
    /** {@code -m conntrack ...}. */
    CONNTRACK,
    /** {@code -m addrtype --src-type|--dst-type TYPE}. */
    ADDRTYPE,
    /** {@code -m set --match-set NAME FLAGS}. */
    SET,
    /** {@code -m comment --comment TEXT}. */
    COMMENT,
    /** Anything else, kept as written. */
    OTHER
  }

  /** Where the original destination direction applies for {@code --ctdir}. */
  public enum ConntrackDirection {
    /** Packets in the direction of the connection's first packet. */
    ORIGINAL,
    /** Reply packets. */
    REPLY
  }

  private static final List<String> BASIC = List.of("-s", "-d", "-i", "-o", "-p", "-f");
  private static final Pattern PROTOCOL = Pattern.compile("[a-z][a-z0-9-]{0,31}|[0-9]{1,3}");
  private static final Pattern INTERFACE = Pattern.compile("[^\\s/\"'!]{1,15}");
  private static final Pattern ADDRESS_TYPE =
      Pattern.compile(
          "UNSPEC|UNICAST|LOCAL|BROADCAST|ANYCAST|MULTICAST|BLACKHOLE|UNREACHABLE|PROHIBIT|THROW|NAT|XRESOLVE");
  private static final Pattern SET_NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,31}");
  private static final Pattern SET_FLAGS = Pattern.compile("(src|dst)(,(src|dst)){0,5}");

  private final Kind kind;
  private final List<String> tokens;
  private final String protocol;

  private Match(Kind kind, List<String> tokens, String protocol) {
    this.kind = kind;
    this.tokens = List.copyOf(tokens);
    this.protocol = protocol;
  }

  /**
   * {@code -p PROTOCOL}: {@code tcp}, {@code udp}, {@code sctp}, {@code icmp}, {@code ipv6-icmp},
   * another protocol name or a number.
   */
  public static Match protocol(String protocol) {
    Objects.requireNonNull(protocol, "protocol");
    if (!PROTOCOL.matcher(protocol).matches()) {
      throw new IllegalArgumentException(
          "protocol '" + protocol + "' must be a lower-case protocol name or a number");
    }
    return new Match(Kind.PROTOCOL, List.of("-p", protocol), protocol);
  }

  /** {@code -s CIDR}: the source address is in the CIDR (IPv4 or IPv6; host bits cleared). */
  public static Match source(String cidr) {
    return new Match(Kind.SOURCE, List.of("-s", Cidrs.normalize(cidr)), null);
  }

  /** {@code -d CIDR}: the destination address is in the CIDR. */
  public static Match destination(String cidr) {
    return new Match(Kind.DESTINATION, List.of("-d", Cidrs.normalize(cidr)), null);
  }

  /** {@code -i IFACE}: the packet arrived on this interface ({@code +} ends a wildcard). */
  public static Match inInterface(String iface) {
    return new Match(Kind.IN_INTERFACE, List.of("-i", checkInterface(iface)), null);
  }

  /** {@code -o IFACE}: the packet leaves through this interface. */
  public static Match outInterface(String iface) {
    return new Match(Kind.OUT_INTERFACE, List.of("-o", checkInterface(iface)), null);
  }

  /**
   * {@code -m PROTO --dport PORT[:PORT]}; the rule must also match {@code -p PROTO}.
   *
   * @param protocol {@code tcp}, {@code udp} or {@code sctp}
   */
  public static Match destinationPort(String protocol, PortRange ports) {
    return port(protocol, "--dport", ports);
  }

  /** {@code -m PROTO --sport PORT[:PORT]}; the rule must also match {@code -p PROTO}. */
  public static Match sourcePort(String protocol, PortRange ports) {
    return port(protocol, "--sport", ports);
  }

  private static Match port(String protocol, String option, PortRange ports) {
    checkPortProtocol(protocol);
    Objects.requireNonNull(ports, "ports");
    return new Match(Kind.PORT, List.of("-m", protocol, option, ports.toString()), protocol);
  }

  /**
   * {@code -m multiport --dports LIST} (at most 15 entries, a range counts as two); the rule must
   * also match {@code -p PROTO}.
   */
  public static Match destinationPorts(String protocol, List<PortRange> ports) {
    return multiport(protocol, "--dports", ports);
  }

  /** {@code -m multiport --sports LIST}; the rule must also match {@code -p PROTO}. */
  public static Match sourcePorts(String protocol, List<PortRange> ports) {
    return multiport(protocol, "--sports", ports);
  }

  private static Match multiport(String protocol, String option, List<PortRange> ports) {
    checkPortProtocol(protocol);
    if (ports.isEmpty()) {
      throw new IllegalArgumentException("multiport needs at least one port");
    }
    int slots = 0;
    for (PortRange range : ports) {
      slots += range.isSinglePort() ? 1 : 2;
    }
    if (slots > 15) {
      throw new IllegalArgumentException(
          "multiport " + ports + " uses " + slots + " slots, at most 15 are allowed");
    }
    String list = ports.stream().map(PortRange::toString).collect(Collectors.joining(","));
    return new Match(Kind.MULTIPORT, List.of("-m", "multiport", option, list), protocol);
  }

  /** {@code -m conntrack --ctstate STATES}. */
  public static Match conntrackState(Collection<ConntrackState> states) {
    return conntrack(states, Optional.empty(), Optional.empty());
  }

  /**
   * {@code -m conntrack --ctstate DNAT --ctorigdstport PORT --ctdir ORIGINAL}: packets of a
   * connection whose destination was rewritten and whose original destination port is {@code port},
   * in the original direction only. This is how a filter INPUT or FORWARD rule still sees a
   * NodePort after kube-proxy's DNAT; without {@code --ctdir ORIGINAL} it would also catch the
   * pod's replies.
   */
  public static Match conntrackOriginalDestinationPort(PortRange port) {
    return conntrack(
        EnumSet.of(ConntrackState.DNAT),
        Optional.of(port),
        Optional.of(ConntrackDirection.ORIGINAL));
  }

  /**
   * {@code -m conntrack} with any of state, original destination port and direction (at least one),
   * in the order iptables-save prints them.
   */
  public static Match conntrack(
      Collection<ConntrackState> states,
      Optional<PortRange> originalDestinationPort,
      Optional<ConntrackDirection> direction) {
    List<String> tokens = new ArrayList<>(List.of("-m", "conntrack"));
    if (!states.isEmpty()) {
      tokens.add("--ctstate");
      tokens.add(EnumSet.copyOf(states).stream().map(Enum::name).collect(Collectors.joining(",")));
    }
    originalDestinationPort.ifPresent(
        port -> {
          tokens.add("--ctorigdstport");
          tokens.add(port.toString());
        });
    direction.ifPresent(
        dir -> {
          tokens.add("--ctdir");
          tokens.add(dir.name());
        });
    if (tokens.size() == 2) {
      throw new IllegalArgumentException("a conntrack match needs a state, port or direction");
    }
    return new Match(Kind.CONNTRACK, tokens, null);
  }

  /**
   * {@code -m addrtype --dst-type TYPE}, for example {@code LOCAL} for the node's own addresses.
   */
  public static Match destinationAddressType(String type) {
    return new Match(
        Kind.ADDRTYPE, List.of("-m", "addrtype", "--dst-type", checkAddressType(type)), null);
  }

  /** {@code -m addrtype --src-type TYPE}. */
  public static Match sourceAddressType(String type) {
    return new Match(
        Kind.ADDRTYPE, List.of("-m", "addrtype", "--src-type", checkAddressType(type)), null);
  }

  /**
   * {@code -m set --match-set NAME FLAGS}: the packet's address is in an ipset.
   *
   * @param flags {@code src}, {@code dst} or a comma list such as {@code src,dst}
   */
  public static Match matchSet(String setName, String flags) {
    if (!SET_NAME.matcher(setName).matches()) {
      throw new IllegalArgumentException(
          "ipset name '" + setName + "' must match " + SET_NAME.pattern());
    }
    if (!SET_FLAGS.matcher(flags).matches()) {
      throw new IllegalArgumentException(
          "ipset flags '" + flags + "' must be src or dst, comma-separated");
    }
    return new Match(Kind.SET, List.of("-m", "set", "--match-set", setName, flags), null);
  }

  /** {@code -m comment --comment TEXT}: at most 256 characters, no newline or NUL. */
  public static Match comment(String text) {
    Objects.requireNonNull(text, "comment");
    if (text.length() > 256) {
      throw new IllegalArgumentException(
          "comment '" + text.substring(0, 40) + "…' is " + text.length() + " chars, max 256");
    }
    if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0 || text.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "comment '" + text.replace("\n", "\\n") + "' must not contain a newline or NUL");
    }
    return new Match(Kind.COMMENT, List.of("-m", "comment", "--comment", Tokens.quote(text)), null);
  }

  /**
   * A match opskit does not model, given as the tokens iptables-save prints (quoted values keep
   * their quotes), for example {@code other("-m", "tcp", "!", "--dport", "22")}.
   */
  public static Match other(List<String> tokens) {
    if (tokens.isEmpty()) {
      throw new IllegalArgumentException("a match needs at least one token");
    }
    for (String token : tokens) {
      if (token.isEmpty() || token.indexOf('\n') >= 0 || token.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "match token '" + token.replace("\n", "\\n") + "' must be non-empty, one line");
      }
    }
    return new Match(Kind.OTHER, tokens, null);
  }

  /** Same as {@link #other(List)}. */
  public static Match other(String... tokens) {
    return other(List.of(tokens));
  }

  private static String checkInterface(String iface) {
    Objects.requireNonNull(iface, "interface");
    if (!INTERFACE.matcher(iface).matches() || iface.equals(".") || iface.equals("..")) {
      throw new IllegalArgumentException(
          "interface '" + iface + "' must be 1-15 characters without whitespace, '/' or quotes");
    }
    return iface;
  }

  private static void checkPortProtocol(String protocol) {
    if (!Set.of("tcp", "udp", "sctp", "udplite", "dccp").contains(protocol)) {
      throw new IllegalArgumentException(
          "port match protocol '" + protocol + "' must be tcp, udp, sctp, udplite or dccp");
    }
  }

  private static String checkAddressType(String type) {
    if (!ADDRESS_TYPE.matcher(type).matches()) {
      throw new IllegalArgumentException(
          "address type '" + type + "' must be one of " + ADDRESS_TYPE.pattern());
    }
    return type;
  }

  /** What this match tests. */
  public Kind kind() {
    return kind;
  }

  /** The tokens as iptables-save prints them, quotes included. */
  public List<String> tokens() {
    return tokens;
  }

  /** The protocol a port match needs the rule to match with {@code -p}; empty otherwise. */
  public Optional<String> requiredProtocol() {
    return kind == Kind.PORT || kind == Kind.MULTIPORT ? Optional.of(protocol) : Optional.empty();
  }

  /**
   * Position among the basic options iptables-save prints first ({@code -s -d -i -o -p -f}), or
   * {@code -1} for a module match.
   */
  int basicRank() {
    int first = tokens.get(0).equals("!") && tokens.size() > 1 ? 1 : 0;
    return BASIC.indexOf(tokens.get(first));
  }

  /** The tokens joined with single spaces, as in a rule line. */
  @Override
  public String toString() {
    return String.join(" ", tokens);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Match
        && ((Match) other).kind == kind
        && ((Match) other).tokens.equals(tokens);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + tokens.hashCode();
  }
}
