package dev.opskit.iptables;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a rule does with a matching packet: {@code -j ACCEPT}, {@code -j DROP}, {@code -j REJECT
 * --reject-with TYPE}, {@code -j RETURN}, {@code -j LOG}, a jump ({@code -j CHAIN}) or a goto
 * ({@code -g CHAIN}), and typed extensions ({@link TargetExtension}: {@link NatTarget}, {@link
 * MarkTarget}, {@link LogTarget}, {@link CtTarget}). Targets opskit does not model parse as {@link
 * Kind#OTHER} and keep their tokens as written.
 *
 * <pre>{@code
 * Target.drop();
 * Target.jump("OPSKIT-web");
 * Target.log("opskit drop: ", 4);
 * }</pre>
 *
 * <p>Values are immutable; equality is by kind and tokens.
 */
public final class Target {
  /** The kind of target. */
  public enum Kind {
    /** Let the packet through. */
    ACCEPT,
    /** Discard the packet silently. */
    DROP,
    /** Discard the packet and answer with an ICMP error or TCP reset. */
    REJECT,
    /** Continue in the calling chain. */
    RETURN,
    /** Log the packet and continue. */
    LOG,
    /** Jump to a user chain and come back on RETURN. */
    JUMP,
    /** Go to a user chain without coming back. */
    GOTO,
    /** Rewrite the destination: a {@link NatTarget}. */
    DNAT,
    /** Rewrite the source: a {@link NatTarget}. */
    SNAT,
    /** Rewrite the source to the outgoing address: a {@link NatTarget}. */
    MASQUERADE,
    /** Rewrite the destination to this host: a {@link NatTarget}. */
    REDIRECT,
    /** Set the packet mark: a {@link MarkTarget}. */
    MARK,
    /** Set, save or restore the connection mark: a {@link MarkTarget}. */
    CONNMARK,
    /** Connection tracking settings: a {@link CtTarget}. */
    CT,
    /** Exempt from connection tracking: a {@link CtTarget}. */
    NOTRACK,
    /** Anything else, kept as written. */
    OTHER
  }

  /** Reject types for IPv4 rules. */
  static final Set<String> REJECT_TYPES_V4 =
      Set.of(
          "icmp-net-unreachable",
          "icmp-host-unreachable",
          "icmp-port-unreachable",
          "icmp-proto-unreachable",
          "icmp-net-prohibited",
          "icmp-host-prohibited",
          "icmp-admin-prohibited",
          "tcp-reset");

  /** Reject types for IPv6 rules. */
  static final Set<String> REJECT_TYPES_V6 =
      Set.of(
          "icmp6-no-route",
          "icmp6-adm-prohibited",
          "icmp6-addr-unreachable",
          "icmp6-port-unreachable",
          "icmp6-policy-fail",
          "icmp6-reject-route",
          "tcp-reset");

  /** Target names that are extensions, never user chains. */
  static final Set<String> EXTENSION_TARGETS =
      Set.of(
          "ACCEPT",
          "DROP",
          "RETURN",
          "QUEUE",
          "REJECT",
          "LOG",
          "DNAT",
          "SNAT",
          "MASQUERADE",
          "REDIRECT",
          "MARK",
          "CONNMARK",
          "CT",
          "NOTRACK",
          "TRACE",
          "TPROXY",
          "NFLOG",
          "NFQUEUE",
          "TCPMSS",
          "CLASSIFY",
          "DSCP",
          "TOS",
          "TTL",
          "HL",
          "AUDIT",
          "CHECKSUM",
          "SET",
          "SECMARK",
          "CONNSECMARK",
          "IDLETIMER",
          "LED",
          "RATEEST",
          "TEE",
          "ULOG",
          "CLUSTERIP",
          "NETMAP",
          "SYNPROXY",
          "HMARK",
          "TCPOPTSTRIP");

  private static final Target ACCEPT = new Target(Kind.ACCEPT, List.of("-j", "ACCEPT"));
  private static final Target DROP = new Target(Kind.DROP, List.of("-j", "DROP"));
  private static final Target RETURN = new Target(Kind.RETURN, List.of("-j", "RETURN"));

  private final Kind kind;
  private final List<String> tokens;
  private final TargetExtension extension;

  private Target(Kind kind, List<String> tokens) {
    this(kind, tokens, null);
  }

  private Target(Kind kind, List<String> tokens, TargetExtension extension) {
    this.kind = kind;
    this.tokens = List.copyOf(tokens);
    this.extension = extension;
  }

  /**
   * {@code -j NAME OPTIONS} from its typed form, for example {@code
   * Target.of(MarkTarget.orMark(0x4000))}.
   */
  public static Target of(TargetExtension extension) {
    Kind kind = Kind.valueOf(extension.name());
    List<String> tokens = new ArrayList<>(List.of("-j", extension.name()));
    tokens.addAll(extension.options());
    return new Target(kind, tokens, extension);
  }

  /** The typed form of an extension target; empty for the others. */
  public Optional<TargetExtension> extension() {
    return Optional.ofNullable(extension);
  }

  /** The typed form if it is a {@code type}, for example {@code extension(NatTarget.class)}. */
  public <T extends TargetExtension> Optional<T> extension(Class<T> type) {
    return extension().filter(type::isInstance).map(type::cast);
  }

  /** A short human-readable description, for example {@code "jump to KUBE-SVC-X"}. */
  public String describe() {
    return switch (kind) {
      case ACCEPT -> "accept";
      case DROP -> "drop";
      case REJECT -> "reject with " + tokens.get(3);
      case RETURN -> "return";
      case JUMP -> "jump to " + tokens.get(1);
      case GOTO -> "go to " + tokens.get(1);
      case OTHER -> "untyped '" + this + "'";
      default -> extension.describe();
    };
  }

  /** {@code -j ACCEPT}. */
  public static Target accept() {
    return ACCEPT;
  }

  /** {@code -j DROP}. */
  public static Target drop() {
    return DROP;
  }

  /** {@code -j RETURN}: back to the calling chain (or the built-in chain's policy). */
  public static Target returnToCaller() {
    return RETURN;
  }

  /** {@code -j REJECT --reject-with icmp-port-unreachable} (IPv4). */
  public static Target reject() {
    return reject("icmp-port-unreachable");
  }

  /**
   * {@code -j REJECT --reject-with TYPE}, for example {@code tcp-reset}, {@code
   * icmp-admin-prohibited} (IPv4) or {@code icmp6-port-unreachable} (IPv6).
   */
  public static Target reject(String type) {
    if (!REJECT_TYPES_V4.contains(type) && !REJECT_TYPES_V6.contains(type)) {
      throw new IllegalArgumentException(
          "reject type '"
              + type
              + "' must be one of "
              + REJECT_TYPES_V4
              + " or "
              + REJECT_TYPES_V6);
    }
    return new Target(Kind.REJECT, List.of("-j", "REJECT", "--reject-with", type));
  }

  /**
   * {@code -j LOG --log-prefix PREFIX --log-level LEVEL}; an empty prefix is left out, and so is
   * level 4 (the default), as iptables-save does.
   *
   * @param prefix at most 29 characters, no newline
   * @param level syslog level 0-7
   */
  public static Target log(String prefix, int level) {
    Objects.requireNonNull(prefix, "prefix");
    return of(LogTarget.builder().prefix(prefix).level(level).build());
  }

  /** {@code -j CHAIN}: continue in a user chain, and come back when it returns. */
  public static Target jump(String chain) {
    return new Target(Kind.JUMP, List.of("-j", checkChainTarget(chain)));
  }

  /** {@code -g CHAIN}: continue in a user chain; its RETURN goes back past this rule's chain. */
  public static Target goTo(String chain) {
    return new Target(Kind.GOTO, List.of("-g", checkChainTarget(chain)));
  }

  /**
   * A target opskit does not model, as iptables-save prints it, for example {@code other("-j",
   * "DNAT", "--to-destination", "198.18.2.2:8080")}.
   */
  public static Target other(List<String> tokens) {
    if (tokens.size() < 2 || !(tokens.get(0).equals("-j") || tokens.get(0).equals("-g"))) {
      throw new IllegalArgumentException(
          "target tokens " + tokens + " must start with -j or -g and a name");
    }
    for (String token : tokens) {
      if (token.isEmpty() || token.indexOf('\n') >= 0 || token.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "target token '" + token.replace("\n", "\\n") + "' must be non-empty, one line");
      }
    }
    return new Target(Kind.OTHER, tokens);
  }

  /** Same as {@link #other(List)}. */
  public static Target other(String... tokens) {
    return other(List.of(tokens));
  }

  private static String checkChainTarget(String chain) {
    Chain.checkName(chain);
    if (EXTENSION_TARGETS.contains(chain)) {
      throw new IllegalArgumentException(
          "'" + chain + "' is a target extension, not a chain; use its own factory or other()");
    }
    return chain;
  }

  /** The kind of target. */
  public Kind kind() {
    return kind;
  }

  /** The chain a {@link Kind#JUMP} or {@link Kind#GOTO} goes to; empty for other kinds. */
  public Optional<String> chain() {
    return kind == Kind.JUMP || kind == Kind.GOTO ? Optional.of(tokens.get(1)) : Optional.empty();
  }

  /** The tokens as iptables-save prints them, quotes included. */
  public List<String> tokens() {
    return tokens;
  }

  /** The tokens joined with single spaces. */
  @Override
  public String toString() {
    return String.join(" ", tokens);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Target
        && ((Target) other).kind == kind
        && ((Target) other).tokens.equals(tokens);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + tokens.hashCode();
  }
}
