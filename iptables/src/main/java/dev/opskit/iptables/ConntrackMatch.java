package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.Options;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * {@code -m conntrack}: what connection tracking knows about the packet's connection. Each test is
 * optional and may be negated; at least one is needed.
 *
 * <pre>{@code
 * ConntrackMatch nodePort = ConntrackMatch.builder()
 *     .addStates(ConntrackState.DNAT)
 *     .originalDestinationPort(PortRange.of(30001))
 *     .direction(Match.ConntrackDirection.ORIGINAL)
 *     .build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class ConntrackMatch implements MatchExtension {
  /** A {@code --ctstatus} flag, in the order iptables prints them. */
  public enum Status {
    /** No status flag set. */
    NONE,
    /** An expected connection. */
    EXPECTED,
    /** Packets have been seen both ways. */
    SEEN_REPLY,
    /** The entry is never expired early. */
    ASSURED,
    /** The connection left the host. */
    CONFIRMED
  }

  private static final Map<String, Integer> PROTOCOLS =
      Map.of(
          "icmp",
          1,
          "tcp",
          6,
          "udp",
          17,
          "gre",
          47,
          "esp",
          50,
          "ah",
          51,
          "icmpv6",
          58,
          "ipv6-icmp",
          58,
          "sctp",
          132,
          "udplite",
          136);

  ConntrackMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code --ctstate}. */
  public abstract Set<ConntrackState> states();

  /** {@code ! --ctstate}: none of {@link #states()}. */
  @Value.Default
  public boolean statesNegated() {
    return false;
  }

  /** {@code --ctproto}: the layer-4 protocol number (6 for tcp). */
  public abstract Optional<Integer> protocol();

  /** {@code ! --ctproto}. */
  @Value.Default
  public boolean protocolNegated() {
    return false;
  }

  /** {@code --ctorigsrc}: original source address or CIDR. */
  public abstract Optional<String> originalSource();

  /** {@code ! --ctorigsrc}. */
  @Value.Default
  public boolean originalSourceNegated() {
    return false;
  }

  /** {@code --ctorigdst}: original destination address or CIDR. */
  public abstract Optional<String> originalDestination();

  /** {@code ! --ctorigdst}. */
  @Value.Default
  public boolean originalDestinationNegated() {
    return false;
  }

  /** {@code --ctreplsrc}: reply source address or CIDR. */
  public abstract Optional<String> replySource();

  /** {@code ! --ctreplsrc}. */
  @Value.Default
  public boolean replySourceNegated() {
    return false;
  }

  /** {@code --ctrepldst}: reply destination address or CIDR. */
  public abstract Optional<String> replyDestination();

  /** {@code ! --ctrepldst}. */
  @Value.Default
  public boolean replyDestinationNegated() {
    return false;
  }

  /** {@code --ctorigsrcport}. */
  public abstract Optional<PortRange> originalSourcePort();

  /** {@code ! --ctorigsrcport}. */
  @Value.Default
  public boolean originalSourcePortNegated() {
    return false;
  }

  /** {@code --ctorigdstport}: the destination port before any DNAT (a NodePort). */
  public abstract Optional<PortRange> originalDestinationPort();

  /** {@code ! --ctorigdstport}. */
  @Value.Default
  public boolean originalDestinationPortNegated() {
    return false;
  }

  /** {@code --ctreplsrcport}. */
  public abstract Optional<PortRange> replySourcePort();

  /** {@code ! --ctreplsrcport}. */
  @Value.Default
  public boolean replySourcePortNegated() {
    return false;
  }

  /** {@code --ctrepldstport}. */
  public abstract Optional<PortRange> replyDestinationPort();

  /** {@code ! --ctrepldstport}. */
  @Value.Default
  public boolean replyDestinationPortNegated() {
    return false;
  }

  /** {@code --ctstatus}. */
  public abstract Set<Status> statuses();

  /** {@code ! --ctstatus}. */
  @Value.Default
  public boolean statusesNegated() {
    return false;
  }

  /** {@code --ctexpire MIN[:MAX]}: the lowest remaining lifetime in seconds. */
  public abstract Optional<Long> expireMin();

  /** The highest remaining lifetime; equal to {@link #expireMin()} when one value was given. */
  public abstract Optional<Long> expireMax();

  /** {@code ! --ctexpire}. */
  @Value.Default
  public boolean expireNegated() {
    return false;
  }

  /** {@code --ctdir}: only packets of this direction. */
  public abstract Optional<Match.ConntrackDirection> direction();

  /** Parses the options of {@code -m conntrack}. */
  public static ConntrackMatch parse(List<String> options) {
    Builder b = builder();
    for (Options.Option o : Options.read(options)) {
      boolean not = o.negated();
      switch (o.name()) {
        case "--ctstate" -> {
          for (String state : o.value().split(",", -1)) {
            b.addStates(ConntrackState.valueOf(state));
          }
          b.statesNegated(not);
        }
        case "--ctproto" -> b.protocol(protocolNumber(o.value())).protocolNegated(not);
        case "--ctorigsrc" -> b.originalSource(o.value()).originalSourceNegated(not);
        case "--ctorigdst" -> b.originalDestination(o.value()).originalDestinationNegated(not);
        case "--ctreplsrc" -> b.replySource(o.value()).replySourceNegated(not);
        case "--ctrepldst" -> b.replyDestination(o.value()).replyDestinationNegated(not);
        case "--ctorigsrcport" ->
            b.originalSourcePort(PortRange.parseMatch(o.value())).originalSourcePortNegated(not);
        case "--ctorigdstport" ->
            b.originalDestinationPort(PortRange.parseMatch(o.value()))
                .originalDestinationPortNegated(not);
        case "--ctreplsrcport" ->
            b.replySourcePort(PortRange.parseMatch(o.value())).replySourcePortNegated(not);
        case "--ctrepldstport" ->
            b.replyDestinationPort(PortRange.parseMatch(o.value()))
                .replyDestinationPortNegated(not);
        case "--ctstatus" -> {
          for (String status : o.value().split(",", -1)) {
            b.addStatuses(Status.valueOf(status));
          }
          b.statusesNegated(not);
        }
        case "--ctexpire" -> {
          String[] range = o.value().split(":", -1);
          if (range.length > 2) {
            throw new IllegalArgumentException("--ctexpire " + o.value() + " must be MIN[:MAX]");
          }
          long min = Options.checkU32(Long.parseLong(range[0]), "--ctexpire");
          b.expireMin(min)
              .expireMax(range.length == 1 ? min : Long.parseLong(range[1]))
              .expireNegated(not);
        }
        case "--ctdir" -> b.direction(Match.ConntrackDirection.valueOf(o.plain().value()));
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  private static int protocolNumber(String text) {
    Integer known = PROTOCOLS.get(text);
    int number = known != null ? known : Integer.parseInt(text);
    if (number < 0 || number > 255) {
      throw new IllegalArgumentException("--ctproto " + text + " must be 0-255 or a name");
    }
    return number;
  }

  @Override
  public String module() {
    return "conntrack";
  }

  @Override
  public List<String> options() {
    Options out = Options.writer();
    if (!states().isEmpty()) {
      out.add(statesNegated(), "--ctstate", names(EnumSet.copyOf(states())));
    }
    protocol().ifPresent(p -> out.add(protocolNegated(), "--ctproto", p.toString()));
    originalSource()
        .ifPresent(a -> out.add(originalSourceNegated(), "--ctorigsrc", Cidrs.compact(a)));
    originalDestination()
        .ifPresent(a -> out.add(originalDestinationNegated(), "--ctorigdst", Cidrs.compact(a)));
    replySource().ifPresent(a -> out.add(replySourceNegated(), "--ctreplsrc", Cidrs.compact(a)));
    replyDestination()
        .ifPresent(a -> out.add(replyDestinationNegated(), "--ctrepldst", Cidrs.compact(a)));
    originalSourcePort()
        .ifPresent(p -> out.add(originalSourcePortNegated(), "--ctorigsrcport", p.toString()));
    originalDestinationPort()
        .ifPresent(p -> out.add(originalDestinationPortNegated(), "--ctorigdstport", p.toString()));
    replySourcePort()
        .ifPresent(p -> out.add(replySourcePortNegated(), "--ctreplsrcport", p.toString()));
    replyDestinationPort()
        .ifPresent(p -> out.add(replyDestinationPortNegated(), "--ctrepldstport", p.toString()));
    if (!statuses().isEmpty()) {
      out.add(statusesNegated(), "--ctstatus", names(EnumSet.copyOf(statuses())));
    }
    expireMin()
        .ifPresent(
            min -> {
              long max = expireMax().orElse(min);
              out.add(expireNegated(), "--ctexpire", min == max ? "" + min : min + ":" + max);
            });
    direction().ifPresent(d -> out.add("--ctdir", d.name()));
    return out.tokens();
  }

  private static String names(Set<? extends Enum<?>> values) {
    return values.stream().map(Enum::name).collect(Collectors.joining(","));
  }

  @Override
  public String describe() {
    List<String> parts = new ArrayList<>();
    if (!states().isEmpty()) {
      parts.add("state " + (statesNegated() ? "not " : "") + names(EnumSet.copyOf(states())));
    }
    protocol().ifPresent(p -> parts.add("protocol " + (protocolNegated() ? "not " : "") + p));
    originalSource().ifPresent(a -> parts.add(not(originalSourceNegated()) + "from " + a));
    originalDestination()
        .ifPresent(a -> parts.add(not(originalDestinationNegated()) + "originally to " + a));
    replySource().ifPresent(a -> parts.add(not(replySourceNegated()) + "reply from " + a));
    replyDestination().ifPresent(a -> parts.add(not(replyDestinationNegated()) + "reply to " + a));
    originalSourcePort()
        .ifPresent(p -> parts.add(not(originalSourcePortNegated()) + "from port " + p));
    originalDestinationPort()
        .ifPresent(
            p -> parts.add(not(originalDestinationPortNegated()) + "originally to port " + p));
    replySourcePort()
        .ifPresent(p -> parts.add(not(replySourcePortNegated()) + "reply from port " + p));
    replyDestinationPort()
        .ifPresent(p -> parts.add(not(replyDestinationPortNegated()) + "reply to port " + p));
    if (!statuses().isEmpty()) {
      parts.add(not(statusesNegated()) + "status " + names(EnumSet.copyOf(statuses())));
    }
    expireMin().ifPresent(min -> parts.add(not(expireNegated()) + "expiring in " + min + "s+"));
    direction().ifPresent(d -> parts.add(d.name().toLowerCase() + " direction"));
    return "conntrack " + String.join(", ", parts);
  }

  private static String not(boolean negated) {
    return negated ? "not " : "";
  }

  @Value.Check
  ConntrackMatch check() {
    if (options().isEmpty()) {
      throw new IllegalArgumentException("a conntrack match needs a state, port or direction");
    }
    for (Optional<String> address :
        List.of(originalSource(), originalDestination(), replySource(), replyDestination())) {
      address.ifPresent(Cidrs::normalize);
    }
    if ((expireMax().isPresent() && expireMin().isEmpty())
        || expireMin().orElse(0L) > expireMax().orElse(expireMin().orElse(0L))) {
      throw new IllegalArgumentException(
          "--ctexpire " + expireMin() + ":" + expireMax() + " must be MIN[:MAX] with MIN <= MAX");
    }
    expireMax().ifPresent(max -> Options.checkU32(max, "--ctexpire"));
    return this;
  }

  /** Builds a {@link ConntrackMatch}. */
  public static final class Builder extends ImmutableConntrackMatch.Builder {
    Builder() {}
  }
}
