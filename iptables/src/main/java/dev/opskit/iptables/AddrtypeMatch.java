package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.immutables.value.Value;

/**
 * {@code -m addrtype}: the routing type of the source and/or destination address ({@code LOCAL} for
 * the node's own addresses), optionally limited to the packet's interface.
 *
 * <pre>{@code
 * AddrtypeMatch toNode = AddrtypeMatch.builder().addDestinationTypes(AddrtypeMatch.Type.LOCAL).build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class AddrtypeMatch implements MatchExtension {
  /** An address type, in the order iptables prints them. */
  public enum Type {
    /** UNSPEC. */
    UNSPEC,
    /** UNICAST. */
    UNICAST,
    /** LOCAL: an address of this host. */
    LOCAL,
    /** BROADCAST. */
    BROADCAST,
    /** ANYCAST. */
    ANYCAST,
    /** MULTICAST. */
    MULTICAST,
    /** BLACKHOLE. */
    BLACKHOLE,
    /** UNREACHABLE. */
    UNREACHABLE,
    /** PROHIBIT. */
    PROHIBIT,
    /** THROW. */
    THROW,
    /** NAT. */
    NAT,
    /** XRESOLVE. */
    XRESOLVE
  }

  AddrtypeMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code --src-type}: the source address has one of these types. */
  public abstract Set<Type> sourceTypes();

  /** {@code ! --src-type}. */
  @Value.Default
  public boolean sourceTypesNegated() {
    return false;
  }

  /** {@code --dst-type}: the destination address has one of these types. */
  public abstract Set<Type> destinationTypes();

  /** {@code ! --dst-type}. */
  @Value.Default
  public boolean destinationTypesNegated() {
    return false;
  }

  /** {@code --limit-iface-in}: look the type up for the incoming interface only. */
  @Value.Default
  public boolean limitInterfaceIn() {
    return false;
  }

  /** {@code --limit-iface-out}: look the type up for the outgoing interface only. */
  @Value.Default
  public boolean limitInterfaceOut() {
    return false;
  }

  /** Parses the options of {@code -m addrtype}. */
  public static AddrtypeMatch parse(List<String> options) {
    Builder b = builder();
    for (Options.Option o : Options.read(options)) {
      switch (o.name()) {
        case "--src-type" -> b.sourceTypes(types(o.value())).sourceTypesNegated(o.negated());
        case "--dst-type" ->
            b.destinationTypes(types(o.value())).destinationTypesNegated(o.negated());
        case "--limit-iface-in" -> b.limitInterfaceIn(o.plain().flag() != null);
        case "--limit-iface-out" -> b.limitInterfaceOut(o.plain().flag() != null);
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  static Set<Type> types(String list) {
    Set<Type> types = EnumSet.noneOf(Type.class);
    for (String name : list.split(",", -1)) {
      try {
        types.add(Type.valueOf(name));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "address type '" + name + "' must be one of " + EnumSet.allOf(Type.class), e);
      }
    }
    return types;
  }

  private static String list(Set<Type> types) {
    return EnumSet.copyOf(types).stream().map(Enum::name).collect(Collectors.joining(","));
  }

  @Override
  public String module() {
    return "addrtype";
  }

  @Override
  public List<String> options() {
    Options out = Options.writer();
    if (!sourceTypes().isEmpty()) {
      out.add(sourceTypesNegated(), "--src-type", list(sourceTypes()));
    }
    if (!destinationTypes().isEmpty()) {
      out.add(destinationTypesNegated(), "--dst-type", list(destinationTypes()));
    }
    return out.flag(limitInterfaceIn(), "--limit-iface-in")
        .flag(limitInterfaceOut(), "--limit-iface-out")
        .tokens();
  }

  @Override
  public String describe() {
    List<String> parts = new ArrayList<>();
    if (!sourceTypes().isEmpty()) {
      parts.add("source " + (sourceTypesNegated() ? "not " : "") + list(sourceTypes()));
    }
    if (!destinationTypes().isEmpty()) {
      parts.add(
          "destination " + (destinationTypesNegated() ? "not " : "") + list(destinationTypes()));
    }
    String limit = limitInterfaceIn() ? " on the input interface" : "";
    limit += limitInterfaceOut() ? " on the output interface" : "";
    return "address type " + String.join(", ", parts) + limit;
  }

  @Value.Check
  void check() {
    if (sourceTypes().isEmpty() && destinationTypes().isEmpty()) {
      throw new IllegalArgumentException("an addrtype match needs a source or destination type");
    }
    if (limitInterfaceIn() && limitInterfaceOut()) {
      throw new IllegalArgumentException(
          "--limit-iface-in and --limit-iface-out exclude each other");
    }
  }

  /** Builds an {@link AddrtypeMatch}. */
  public static final class Builder extends ImmutableAddrtypeMatch.Builder {
    Builder() {}
  }
}
