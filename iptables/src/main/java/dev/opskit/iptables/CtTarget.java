package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * Connection-tracking targets of the raw table: {@code -j NOTRACK}, or {@code -j CT} with {@code
 * --notrack}, a helper, a timeout policy, event masks or a zone.
 *
 * <pre>{@code
 * CtTarget untracked = CtTarget.ofNotrack();
 * CtTarget zoned = CtTarget.builder().zone(7).build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class CtTarget implements TargetExtension {
  private static final List<String> EVENTS =
      List.of(
          "new",
          "related",
          "destroy",
          "reply",
          "assured",
          "protoinfo",
          "helper",
          "mark",
          "natseqinfo",
          "secmark");

  CtTarget() {}

  /** A builder for {@code -j CT}. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code -j NOTRACK}. */
  public static CtTarget ofNotrack() {
    return builder().alias(true).notrack(true).build();
  }

  /** True for the {@code NOTRACK} target name, false for {@code CT}. */
  @Value.Default
  public boolean alias() {
    return false;
  }

  /** {@code --notrack}: exempt the packet from tracking. */
  @Value.Default
  public boolean notrack() {
    return false;
  }

  /** {@code --helper NAME}. */
  public abstract Optional<String> helper();

  /** {@code --timeout NAME}: a timeout policy. */
  public abstract Optional<String> timeout();

  /** {@code --ctevents}: the conntrack events to generate. */
  public abstract List<String> events();

  /** {@code --expevents}: the expectation events to generate. */
  public abstract List<String> expectationEvents();

  /** {@code --zone ID}; 0 (the default zone) is not printed. */
  @Value.Default
  public int zone() {
    return 0;
  }

  /** Parses the options of {@code -j CT} (or {@code -j NOTRACK} when {@code alias}). */
  public static CtTarget parse(boolean alias, List<String> options) {
    Builder b = builder().alias(alias).notrack(alias);
    for (Options.Option o : Options.read(options)) {
      o.plain();
      switch (o.name()) {
        case "--notrack" -> b.notrack(o.flag() != null);
        case "--helper" -> b.helper(o.value());
        case "--timeout" -> b.timeout(o.value());
        case "--ctevents" -> b.events(List.of(o.value().split(",", -1)));
        case "--expevents" -> b.expectationEvents(List.of(o.value().split(",", -1)));
        case "--zone" -> b.zone(Integer.parseInt(o.value()));
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  @Override
  public String name() {
    return alias() ? "NOTRACK" : "CT";
  }

  @Override
  public List<String> options() {
    if (alias()) {
      return List.of();
    }
    Options out = Options.writer().flag(notrack(), "--notrack");
    helper().ifPresent(h -> out.add("--helper", h));
    timeout().ifPresent(t -> out.add("--timeout", t));
    if (!events().isEmpty()) {
      out.add("--ctevents", sorted(events()));
    }
    if (!expectationEvents().isEmpty()) {
      out.add("--expevents", sorted(expectationEvents()));
    }
    if (zone() != 0) {
      out.add("--zone", Integer.toString(zone()));
    }
    return out.tokens();
  }

  private static String sorted(List<String> events) {
    List<String> copy = new ArrayList<>(events);
    copy.sort(Comparator.comparingInt(EVENTS::indexOf));
    return String.join(",", copy);
  }

  @Override
  public String describe() {
    List<String> parts = new ArrayList<>();
    if (notrack()) {
      parts.add("do not track");
    }
    helper().ifPresent(h -> parts.add("helper " + h));
    timeout().ifPresent(t -> parts.add("timeout policy " + t));
    if (zone() != 0) {
      parts.add("zone " + zone());
    }
    if (!events().isEmpty()) {
      parts.add("events " + sorted(events()));
    }
    return parts.isEmpty() ? "conntrack defaults" : String.join(", ", parts);
  }

  @Value.Check
  void check() {
    for (String event : events()) {
      if (!EVENTS.contains(event)) {
        throw new IllegalArgumentException("ct event '" + event + "' must be one of " + EVENTS);
      }
    }
    for (String event : expectationEvents()) {
      if (!event.equals("new")) {
        throw new IllegalArgumentException("expectation event '" + event + "' must be new");
      }
    }
    if (zone() < 0 || zone() > 65535) {
      throw new IllegalArgumentException("ct zone " + zone() + " must be 0-65535");
    }
    for (Optional<String> name : List.of(helper(), timeout())) {
      name.ifPresent(
          n -> {
            if (!n.matches("[A-Za-z0-9_.-]{1,31}")) {
              throw new IllegalArgumentException("ct helper or timeout '" + n + "' is not a name");
            }
          });
    }
    if (alias()
        && (!notrack()
            || helper().isPresent()
            || timeout().isPresent()
            || !events().isEmpty()
            || !expectationEvents().isEmpty()
            || zone() != 0)) {
      throw new IllegalArgumentException("NOTRACK takes no options");
    }
  }

  /** Builds a {@link CtTarget}. */
  public static final class Builder extends ImmutableCtTarget.Builder {
    Builder() {}
  }
}
