package dev.opskit.iptables;

import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.Tokens;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One match of a rule, such as {@code -s 198.18.0.0/24} or {@code -m tcp --dport 30001}. Typed
 * factories validate their input and produce exactly the tokens {@code iptables-save} prints, so a
 * rule opskit writes compares equal to the rule it reads back. A module match carries its typed
 * form, a {@link MatchExtension} such as {@link ConntrackMatch} ({@link #of(MatchExtension)},
 * {@link #extension(Class)}); basic matches may be negated ({@link #negate()}). Matches opskit does
 * not model (an unusual module or option) parse as {@link Kind#OTHER} and keep their tokens as
 * written.
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
    /** {@code -m tcp|udp|sctp ...}: a {@link PortMatch}. */
    PORT,
    /** {@code -m multiport --dports|--sports|--ports LIST}: a {@link MultiportMatch}. */
    MULTIPORT,
    /** {@code -m conntrack ...}: a {@link ConntrackMatch}. */
    CONNTRACK,
    /** {@code -m addrtype ...}: an {@link AddrtypeMatch}. */
    ADDRTYPE,
    /** {@code -m set --match-set NAME FLAGS}: a {@link SetMatch}. */
    SET,
    /** {@code -m comment --comment TEXT}. */
    COMMENT,
    /** {@code -m state --state STATES}: a {@link StateMatch}. */
    STATE,
    /** {@code -m mark --mark VALUE/MASK}: a {@link MarkMatch}. */
    MARK,
    /** {@code -m connmark --mark VALUE/MASK}: a {@link MarkMatch}. */
    CONNMARK,
    /** {@code -m statistic}: a {@link StatisticMatch}. */
    STATISTIC,
    /** {@code -m recent}: a {@link RecentMatch}. */
    RECENT,
    /** {@code -m physdev}: a {@link PhysdevMatch}. */
    PHYSDEV,
    /** {@code -m limit}: a {@link LimitMatch}. */
    LIMIT,
    /** {@code -m nfacct}: a {@link NfacctMatch}. */
    NFACCT,
    /** {@code -m hashlimit}: a {@link HashlimitMatch}. */
    HASHLIMIT,
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
  private static final Map<String, Kind> MODULE_KINDS =
      Map.ofEntries(
          Map.entry("tcp", Kind.PORT),
          Map.entry("udp", Kind.PORT),
          Map.entry("sctp", Kind.PORT),
          Map.entry("udplite", Kind.PORT),
          Map.entry("dccp", Kind.PORT),
          Map.entry("multiport", Kind.MULTIPORT),
          Map.entry("conntrack", Kind.CONNTRACK),
          Map.entry("addrtype", Kind.ADDRTYPE),
          Map.entry("set", Kind.SET),
          Map.entry("state", Kind.STATE),
          Map.entry("mark", Kind.MARK),
          Map.entry("connmark", Kind.CONNMARK),
          Map.entry("statistic", Kind.STATISTIC),
          Map.entry("recent", Kind.RECENT),
          Map.entry("physdev", Kind.PHYSDEV),
          Map.entry("limit", Kind.LIMIT),
          Map.entry("nfacct", Kind.NFACCT),
          Map.entry("hashlimit", Kind.HASHLIMIT));

  private final Kind kind;
  private final List<String> tokens;
  private final String protocol;
  private final MatchExtension extension;

  private Match(Kind kind, List<String> tokens, String protocol) {
    this(kind, tokens, protocol, null);
  }

  private Match(Kind kind, List<String> tokens, String protocol, MatchExtension extension) {
    this.kind = kind;
    this.tokens = List.copyOf(tokens);
    this.protocol = protocol;
    this.extension = extension;
  }

  /**
   * {@code -m MODULE OPTIONS} from its typed form, for example {@code
   * Match.of(MarkMatch.packet(0x4000, 0x4000))}.
   */
  public static Match of(MatchExtension extension) {
    Objects.requireNonNull(extension, "extension");
    Kind kind = MODULE_KINDS.getOrDefault(extension.module(), Kind.OTHER);
    List<String> tokens = new ArrayList<>(List.of("-m", extension.module()));
    tokens.addAll(extension.options());
    if (kind == Kind.OTHER) {
      return other(tokens);
    }
    return new Match(kind, tokens, extension.requiredProtocol().orElse(null), extension);
  }

  /**
   * This basic match negated ({@code ! -s CIDR}, {@code ! -p tcp}, {@code ! -i IFACE}…); negating
   * twice gives the match back. Module options carry their own negation in their typed form.
   *
   * @throws IllegalArgumentException for a module match
   */
  public Match negate() {
    if (basicRank() < 0 || kind == Kind.OTHER) {
      throw new IllegalArgumentException(
          "'" + this + "' is not a basic match; negate options in its typed form");
    }
    if (isNegated()) {
      return new Match(kind, tokens.subList(1, tokens.size()), protocol);
    }
    List<String> negated = new ArrayList<>(List.of("!"));
    negated.addAll(tokens);
    return new Match(kind, negated, protocol);
  }

  /** True for a negated basic match such as {@code ! -s 10.0.0.0/8}. */
  public boolean isNegated() {
    return extension == null && kind != Kind.OTHER && tokens.get(0).equals("!");
  }

  /** The typed form of a module match; empty for basic matches, comments and {@code OTHER}. */
  public Optional<MatchExtension> extension() {
    return Optional.ofNullable(extension);
  }

  /**
   * The typed form if it is a {@code type}, for example {@code extension(ConntrackMatch.class)}.
   */
  public <T extends MatchExtension> Optional<T> extension(Class<T> type) {
    return extension().filter(type::isInstance).map(type::cast);
  }

  /** The value of a basic match ({@code -s}, {@code -d}, {@code -i}, {@code -o}, {@code -p}). */
  public Optional<String> value() {
    return basicRank() >= 0 && kind != Kind.OTHER
        ? Optional.of(tokens.get(tokens.size() - 1))
        : Optional.empty();
  }

  /** A short human-readable description, for example {@code "from 198.18.0.0/15"}. */
  public String describe() {
    String not = isNegated() ? "not " : "";
    return switch (kind) {
      case SOURCE -> "from " + not + value().orElseThrow();
      case DESTINATION -> "to " + not + value().orElseThrow();
      case IN_INTERFACE -> "in on " + not + value().orElseThrow();
      case OUT_INTERFACE -> "out on " + not + value().orElseThrow();
      case PROTOCOL -> "protocol " + not + value().orElseThrow();
      case COMMENT -> "comment '" + Tokens.unquote(tokens.get(3)) + "'";
      case OTHER -> "untyped '" + this + "'";
      default -> extension.describe();
    };
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
    Objects.requireNonNull(ports, "ports");
    return of(PortMatch.builder().protocol(protocol).destinationPort(ports).build());
  }

  /** {@code -m PROTO --sport PORT[:PORT]}; the rule must also match {@code -p PROTO}. */
  public static Match sourcePort(String protocol, PortRange ports) {
    Objects.requireNonNull(ports, "ports");
    return of(PortMatch.builder().protocol(protocol).sourcePort(ports).build());
  }

  /**
   * {@code -m multiport --dports LIST} (at most 15 entries, a range counts as two); the rule must
   * also match {@code -p PROTO}.
   */
  public static Match destinationPorts(String protocol, List<PortRange> ports) {
    return multiport(protocol, MultiportMatch.Direction.DESTINATION, ports);
  }

  /** {@code -m multiport --sports LIST}; the rule must also match {@code -p PROTO}. */
  public static Match sourcePorts(String protocol, List<PortRange> ports) {
    return multiport(protocol, MultiportMatch.Direction.SOURCE, ports);
  }

  private static Match multiport(
      String protocol, MultiportMatch.Direction direction, List<PortRange> ports) {
    return of(
        MultiportMatch.builder()
            .protocol(protocol)
            .direction(direction)
            .addAllPorts(ports)
            .build());
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
   * in the order iptables-save prints them; {@link ConntrackMatch} has every other option.
   */
  public static Match conntrack(
      Collection<ConntrackState> states,
      Optional<PortRange> originalDestinationPort,
      Optional<ConntrackDirection> direction) {
    return of(
        ConntrackMatch.builder()
            .addAllStates(states)
            .originalDestinationPort(originalDestinationPort)
            .direction(direction)
            .build());
  }

  /**
   * {@code -m addrtype --dst-type TYPE}, for example {@code LOCAL} for the node's own addresses.
   */
  public static Match destinationAddressType(String type) {
    return of(AddrtypeMatch.builder().destinationTypes(AddrtypeMatch.types(type)).build());
  }

  /** {@code -m addrtype --src-type TYPE}. */
  public static Match sourceAddressType(String type) {
    return of(AddrtypeMatch.builder().sourceTypes(AddrtypeMatch.types(type)).build());
  }

  /**
   * {@code -m set --match-set NAME FLAGS}: the packet's address is in an ipset.
   *
   * @param flags {@code src}, {@code dst} or a comma list such as {@code src,dst}
   */
  public static Match matchSet(String setName, String flags) {
    return of(SetMatch.builder().name(setName).flags(List.of(flags.split(",", -1))).build());
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
    return extension == null ? Optional.empty() : extension.requiredProtocol();
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
