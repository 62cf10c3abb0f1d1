package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.Options;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * An address-translating target: {@code DNAT --to-destination}, {@code SNAT --to-source}, {@code
 * MASQUERADE} or {@code REDIRECT --to-ports}, with {@code --random}, {@code --random-fully} and
 * {@code --persistent}.
 *
 * <pre>{@code
 * NatTarget toPod = NatTarget.dnat("198.18.2.2", PortRange.of(8080));
 * NatTarget masquerade = NatTarget.builder().kind(NatTarget.Kind.MASQUERADE).randomFully(true).build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class NatTarget implements TargetExtension {
  /** The target. */
  public enum Kind {
    /** Rewrite the destination address (and port). */
    DNAT,
    /** Rewrite the source address (and port). */
    SNAT,
    /** Rewrite the source to the outgoing interface's address. */
    MASQUERADE,
    /** Rewrite the destination to this host (and port). */
    REDIRECT
  }

  NatTarget() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code -j DNAT --to-destination ADDRESS:PORT}, as kube-proxy sends a Service to a pod. */
  public static NatTarget dnat(String address, PortRange port) {
    return builder().kind(Kind.DNAT).addresses(address).ports(port).build();
  }

  /** Which target. */
  public abstract Kind kind();

  /**
   * DNAT/SNAT: the new address or an inclusive range {@code FIRST-LAST}; empty keeps the address
   * (DNAT/SNAT with ports only) and for MASQUERADE/REDIRECT.
   */
  public abstract Optional<String> addresses();

  /** The new port or port range, if any (printed {@code FIRST-LAST}). */
  public abstract Optional<PortRange> ports();

  /** The base port of a shifted range ({@code :1000-2000/3000}); DNAT only. */
  public abstract Optional<Integer> portBase();

  /** {@code --random}. */
  @Value.Default
  public boolean random() {
    return false;
  }

  /** {@code --random-fully}. */
  @Value.Default
  public boolean randomFully() {
    return false;
  }

  /** {@code --persistent}. */
  @Value.Default
  public boolean persistent() {
    return false;
  }

  /** Parses the options of {@code -j DNAT|SNAT|MASQUERADE|REDIRECT}. */
  public static NatTarget parse(Kind kind, List<String> options) {
    Builder b = builder().kind(kind);
    for (Options.Option o : Options.read(options)) {
      o.plain();
      switch (o.name()) {
        case "--to-destination", "--to-source" -> {
          if (!o.name().equals(kind == Kind.DNAT ? "--to-destination" : "--to-source")) {
            throw new IllegalArgumentException(o.name() + " does not belong to " + kind);
          }
          range(b, o.value());
        }
        case "--to-ports" -> b.ports(ports(o.value()));
        case "--random" -> b.random(o.flag() != null);
        case "--random-fully" -> b.randomFully(o.flag() != null);
        case "--persistent" -> b.persistent(o.flag() != null);
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  private static void range(Builder b, String text) {
    String addresses = text;
    String ports = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      addresses = text.substring(1, close);
      ports = text.substring(close + 1).startsWith(":") ? text.substring(close + 2) : null;
    } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
      addresses = text.substring(0, text.indexOf(':'));
      ports = text.substring(text.indexOf(':') + 1);
    }
    if (!addresses.isEmpty()) {
      b.addresses(addresses);
    }
    if (ports != null) {
      int slash = ports.indexOf('/');
      if (slash >= 0) {
        b.portBase(Integer.parseInt(ports.substring(slash + 1)));
        ports = ports.substring(0, slash);
      }
      b.ports(ports(ports));
    }
  }

  private static PortRange ports(String text) {
    return PortRange.parseMatch(text.replace('-', ':'));
  }

  @Override
  public String name() {
    return kind().name();
  }

  @Override
  public List<String> options() {
    Options out = Options.writer();
    String ports =
        ports().map(p -> p.isSinglePort() ? "" + p.first() : p.first() + "-" + p.last()).orElse("");
    ports += portBase().map(base -> "/" + base).orElse("");
    if (kind() == Kind.DNAT || kind() == Kind.SNAT) {
      String address = addresses().orElse("");
      boolean v6 = address.contains(":");
      String to =
          ports.isEmpty() ? address : v6 ? "[" + address + "]:" + ports : address + ":" + ports;
      out.add(kind() == Kind.DNAT ? "--to-destination" : "--to-source", to);
    } else if (!ports.isEmpty()) {
      out.add("--to-ports", ports);
    }
    return out.flag(random(), "--random")
        .flag(randomFully(), "--random-fully")
        .flag(persistent(), "--persistent")
        .tokens();
  }

  @Override
  public String describe() {
    String where = addresses().orElse("") + ports().map(p -> " port " + p).orElse("");
    return switch (kind()) {
      case DNAT -> "DNAT to " + where.strip();
      case SNAT -> "SNAT to " + where.strip();
      case MASQUERADE -> "masquerade" + (where.isBlank() ? "" : " to" + where);
      case REDIRECT -> "redirect to this host" + (where.isBlank() ? "" : where);
    };
  }

  @Value.Check
  void check() {
    boolean dnatOrSnat = kind() == Kind.DNAT || kind() == Kind.SNAT;
    if (dnatOrSnat && addresses().isEmpty() && ports().isEmpty()) {
      throw new IllegalArgumentException(kind() + " needs an address or ports");
    }
    if (!dnatOrSnat && addresses().isPresent()) {
      throw new IllegalArgumentException(kind() + " takes ports, not an address");
    }
    addresses()
        .ifPresent(
            range -> {
              for (String address : range.split("-", 2)) {
                if (address.contains("/") || !Cidrs.compact(address).equals(address)) {
                  throw new IllegalArgumentException(
                      "NAT address '"
                          + address
                          + "' must be a plain address, as iptables prints it");
                }
              }
            });
    if (portBase().isPresent() && kind() != Kind.DNAT) {
      throw new IllegalArgumentException("a shifted port range is for DNAT only");
    }
  }

  /** Builds a {@link NatTarget}. */
  public static final class Builder extends ImmutableNatTarget.Builder {
    Builder() {}
  }
}
