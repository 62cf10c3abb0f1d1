package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * {@code -m multiport [!] --sports|--dports|--ports LIST}: up to 15 ports (a range counts as two);
 * the rule must match the protocol with {@code -p}.
 *
 * <pre>{@code
 * MultiportMatch web = MultiportMatch.builder().protocol("tcp")
 *     .direction(MultiportMatch.Direction.DESTINATION)
 *     .addPorts(PortRange.of(80), PortRange.of(443)).build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class MultiportMatch implements MatchExtension {
  /** Which port the list applies to. */
  public enum Direction {
    /** {@code --sports}. */
    SOURCE("--sports"),
    /** {@code --dports}. */
    DESTINATION("--dports"),
    /** {@code --ports}: source or destination. */
    EITHER("--ports");

    private final String option;

    Direction(String option) {
      this.option = option;
    }
  }

  MultiportMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The protocol of the rule's {@code -p}: tcp, udp, sctp, udplite or dccp. */
  public abstract String protocol();

  /** Which port the list applies to. */
  public abstract Direction direction();

  /** {@code !}: none of the ports. */
  @Value.Default
  public boolean negated() {
    return false;
  }

  /** The ports and ranges, in order. */
  public abstract List<PortRange> ports();

  /**
   * Parses {@code [!] --sports|--dports|--ports LIST} (or the singular forms) of {@code protocol}.
   */
  public static MultiportMatch parse(String protocol, List<String> options) {
    List<Options.Option> read = Options.read(options);
    if (read.size() != 1) {
      throw new IllegalArgumentException("multiport takes one port list, got " + options);
    }
    Options.Option option = read.get(0);
    Direction direction =
        switch (option.name()) {
          case "--sports", "--source-ports" -> Direction.SOURCE;
          case "--dports", "--destination-ports" -> Direction.DESTINATION;
          case "--ports" -> Direction.EITHER;
          default -> throw new IllegalArgumentException("unknown option " + option.name());
        };
    Builder builder =
        builder()
            .protocol(protocol == null ? "" : protocol)
            .direction(direction)
            .negated(option.negated());
    for (String part : option.value().split(",", -1)) {
      builder.addPorts(PortRange.parseMatch(part));
    }
    return builder.build();
  }

  @Override
  public String module() {
    return "multiport";
  }

  @Override
  public Optional<String> requiredProtocol() {
    return Optional.of(protocol());
  }

  @Override
  public List<String> options() {
    String list = ports().stream().map(PortRange::toString).collect(Collectors.joining(","));
    return Options.writer().add(negated(), direction().option, list).tokens();
  }

  @Override
  public String describe() {
    String what =
        switch (direction()) {
          case SOURCE -> "source ports ";
          case DESTINATION -> "ports ";
          case EITHER -> "source or destination ports ";
        };
    return protocol() + " " + (negated() ? "not " : "") + what + new ArrayList<>(ports());
  }

  @Value.Check
  void check() {
    if (!List.of("tcp", "udp", "sctp", "udplite", "dccp").contains(protocol())) {
      throw new IllegalArgumentException(
          "multiport protocol '" + protocol() + "' must be tcp, udp, sctp, udplite or dccp");
    }
    if (ports().isEmpty()) {
      throw new IllegalArgumentException("multiport needs at least one port");
    }
    int slots = 0;
    for (PortRange range : ports()) {
      slots += range.isSinglePort() ? 1 : 2;
    }
    if (slots > 15) {
      throw new IllegalArgumentException(
          "multiport " + ports() + " uses " + slots + " slots, at most 15 are allowed");
    }
  }

  /** Builds a {@link MultiportMatch}. */
  public static final class Builder extends ImmutableMultiportMatch.Builder {
    Builder() {}
  }
}
