package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * {@code -m tcp|udp|sctp|udplite|dccp}: source and destination ports, each optionally negated, and
 * for tcp the flags ({@code --tcp-flags}, {@code --syn}).
 *
 * <pre>{@code
 * PortMatch ssh = PortMatch.builder().protocol("tcp").destinationPort(PortRange.of(22)).build();
 * PortMatch notFromLow = PortMatch.builder().protocol("udp")
 *     .sourcePort(PortRange.of(1, 1023)).sourcePortNegated(true).build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class PortMatch implements MatchExtension {
  /** A TCP flag, in the order iptables prints them. */
  public enum TcpFlag {
    /** FIN. */
    FIN,
    /** SYN. */
    SYN,
    /** RST. */
    RST,
    /** PSH. */
    PSH,
    /** ACK. */
    ACK,
    /** URG. */
    URG
  }

  private static final Set<String> PROTOCOLS = Set.of("tcp", "udp", "sctp", "udplite", "dccp");
  private static final Set<TcpFlag> SYN_MASK =
      EnumSet.of(TcpFlag.FIN, TcpFlag.SYN, TcpFlag.RST, TcpFlag.ACK);

  PortMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code tcp}, {@code udp}, {@code sctp}, {@code udplite} or {@code dccp}. */
  public abstract String protocol();

  /** {@code --sport}. */
  public abstract Optional<PortRange> sourcePort();

  /** {@code ! --sport}. */
  @Value.Default
  public boolean sourcePortNegated() {
    return false;
  }

  /** {@code --dport}. */
  public abstract Optional<PortRange> destinationPort();

  /** {@code ! --dport}. */
  @Value.Default
  public boolean destinationPortNegated() {
    return false;
  }

  /** The flags examined by {@code --tcp-flags MASK SET}; empty when the option is absent. */
  public abstract Set<TcpFlag> tcpFlagsMask();

  /** The flags of {@link #tcpFlagsMask()} that must be set. */
  public abstract Set<TcpFlag> tcpFlagsSet();

  /** {@code ! --tcp-flags}. */
  @Value.Default
  public boolean tcpFlagsNegated() {
    return false;
  }

  /** {@code --tcp-flags FIN,SYN,RST,ACK SYN}, which is what {@code --syn} means. */
  public boolean isSyn() {
    return tcpFlagsMask().equals(SYN_MASK) && tcpFlagsSet().equals(EnumSet.of(TcpFlag.SYN));
  }

  /**
   * Parses the options of {@code -m PROTOCOL} as iptables-save prints them or iptables-restore
   * accepts them ({@code --syn}, {@code --source-port}, {@code 1024:}).
   */
  public static PortMatch parse(String protocol, List<String> options) {
    Builder builder = builder().protocol(protocol);
    for (Options.Option option : Options.read(options)) {
      switch (option.name()) {
        case "--sport", "--source-port" -> {
          PortRange range = PortRange.parseMatch(option.value());
          if (option.negated() || !range.isEveryPort()) {
            builder.sourcePort(range).sourcePortNegated(option.negated());
          }
        }
        case "--dport", "--destination-port" -> {
          PortRange range = PortRange.parseMatch(option.value());
          if (option.negated() || !range.isEveryPort()) {
            builder.destinationPort(range).destinationPortNegated(option.negated());
          }
        }
        case "--tcp-flags" -> {
          if (option.values().size() != 2) {
            throw new IllegalArgumentException("--tcp-flags needs MASK and SET");
          }
          builder
              .tcpFlagsMask(flags(option.values().get(0)))
              .tcpFlagsSet(flags(option.values().get(1)))
              .tcpFlagsNegated(option.negated());
        }
        case "--syn" ->
            builder
                .tcpFlagsMask(SYN_MASK)
                .tcpFlagsSet(EnumSet.of(TcpFlag.SYN))
                .tcpFlagsNegated(option.flag().negated());
        default -> throw new IllegalArgumentException("unknown option " + option.name());
      }
    }
    return builder.build();
  }

  private static Set<TcpFlag> flags(String text) {
    Set<TcpFlag> flags = EnumSet.noneOf(TcpFlag.class);
    for (String name : text.split(",", -1)) {
      if (name.equals("ALL")) {
        flags.addAll(EnumSet.allOf(TcpFlag.class));
      } else if (!name.equals("NONE")) {
        flags.add(TcpFlag.valueOf(name));
      }
    }
    return flags;
  }

  private static String flagList(Set<TcpFlag> flags) {
    return flags.isEmpty()
        ? "NONE"
        : EnumSet.copyOf(flags).stream().map(Enum::name).collect(Collectors.joining(","));
  }

  @Override
  public String module() {
    return protocol();
  }

  @Override
  public Optional<String> requiredProtocol() {
    return Optional.of(protocol());
  }

  @Override
  public List<String> options() {
    Options out = Options.writer();
    sourcePort().ifPresent(p -> out.add(sourcePortNegated(), "--sport", p.toString()));
    destinationPort().ifPresent(p -> out.add(destinationPortNegated(), "--dport", p.toString()));
    if (!tcpFlagsMask().isEmpty()) {
      out.add(tcpFlagsNegated(), "--tcp-flags", flagList(tcpFlagsMask()), flagList(tcpFlagsSet()));
    }
    return out.tokens();
  }

  @Override
  public String describe() {
    List<String> parts = new ArrayList<>();
    sourcePort()
        .ifPresent(p -> parts.add((sourcePortNegated() ? "source port not " : "source port ") + p));
    destinationPort()
        .ifPresent(p -> parts.add((destinationPortNegated() ? "port not " : "port ") + p));
    if (!tcpFlagsMask().isEmpty()) {
      parts.add(
          (tcpFlagsNegated() ? "not " : "")
              + (isSyn()
                  ? "SYN"
                  : "flags " + flagList(tcpFlagsSet()) + " of " + flagList(tcpFlagsMask())));
    }
    return protocol() + (parts.isEmpty() ? "" : " " + String.join(", ", parts));
  }

  @Value.Check
  void check() {
    if (!PROTOCOLS.contains(protocol())) {
      throw new IllegalArgumentException(
          "port match protocol '" + protocol() + "' must be tcp, udp, sctp, udplite or dccp");
    }
    if (!tcpFlagsMask().isEmpty() && !protocol().equals("tcp")) {
      throw new IllegalArgumentException("--tcp-flags needs protocol tcp, not " + protocol());
    }
    if (!tcpFlagsMask().containsAll(tcpFlagsSet())) {
      throw new IllegalArgumentException(
          "tcp flags " + tcpFlagsSet() + " must be among the examined " + tcpFlagsMask());
    }
    if (tcpFlagsMask().isEmpty() && tcpFlagsNegated()) {
      throw new IllegalArgumentException("tcpFlagsNegated needs tcp flags");
    }
  }

  /** Builds a {@link PortMatch}. */
  public static final class Builder extends ImmutablePortMatch.Builder {
    Builder() {}
  }
}
