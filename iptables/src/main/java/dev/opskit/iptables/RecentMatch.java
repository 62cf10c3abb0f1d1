package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * {@code -m recent}: a list of recently seen addresses ({@code /proc/net/xt_recent/NAME}), to set,
 * check, update or remove the packet's address; kube-proxy's session affinity uses it.
 *
 * <pre>{@code
 * RecentMatch remember = RecentMatch.builder().action(RecentMatch.Action.SET)
 *     .name("KUBE-SEP-ABC").mask("255.255.255.255").build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class RecentMatch implements MatchExtension {
  /** What to do with the list. */
  public enum Action {
    /** {@code --set}: add the address. */
    SET("--set"),
    /** {@code --rcheck}: is the address in the list. */
    CHECK("--rcheck"),
    /** {@code --update}: check and refresh the last-seen time. */
    UPDATE("--update"),
    /** {@code --remove}: check and remove. */
    REMOVE("--remove");

    private final String option;

    Action(String option) {
      this.option = option;
    }
  }

  RecentMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The action. */
  public abstract Action action();

  /** {@code !}: the opposite result. */
  @Value.Default
  public boolean negated() {
    return false;
  }

  /** {@code --seconds}: only entries seen within this many seconds. */
  public abstract Optional<Integer> seconds();

  /** {@code --reap}: purge entries older than {@link #seconds()}. */
  @Value.Default
  public boolean reap() {
    return false;
  }

  /** {@code --hitcount}: only entries seen at least this often. */
  public abstract Optional<Integer> hitCount();

  /** {@code --rttl}: the TTL must also match. */
  @Value.Default
  public boolean rttl() {
    return false;
  }

  /** {@code --name}: the list, {@code DEFAULT} unless named. */
  @Value.Default
  public String name() {
    return "DEFAULT";
  }

  /**
   * {@code --mask}: the netmask applied to the address; iptables-save prints it, so state it
   * ({@code 255.255.255.255} or {@code ffff:…:ffff}) to compare equal with a read-back rule.
   */
  public abstract Optional<String> mask();

  /** {@code --rdest}: use the destination address instead of the source ({@code --rsource}). */
  @Value.Default
  public boolean destination() {
    return false;
  }

  /** Parses the options of {@code -m recent}; a missing mask becomes the family's full mask. */
  public static RecentMatch parse(IpFamily family, List<String> options) {
    Builder b = builder();
    boolean masked = false;
    for (Options.Option o : Options.read(options)) {
      switch (o.name()) {
        case "--set" -> b.action(Action.SET).negated(o.flag().negated());
        case "--rcheck" -> b.action(Action.CHECK).negated(o.flag().negated());
        case "--update" -> b.action(Action.UPDATE).negated(o.flag().negated());
        case "--remove" -> b.action(Action.REMOVE).negated(o.flag().negated());
        case "--seconds" -> b.seconds(Integer.parseInt(o.plain().value()));
        case "--reap" -> b.reap(o.plain().flag() != null);
        case "--hitcount" -> b.hitCount(Integer.parseInt(o.plain().value()));
        case "--rttl" -> b.rttl(o.plain().flag() != null);
        case "--name" -> b.name(o.plain().value());
        case "--mask" -> {
          b.mask(o.plain().value());
          masked = true;
        }
        case "--rsource" -> b.destination(o.plain().flag() == null);
        case "--rdest" -> b.destination(o.plain().flag() != null);
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    if (!masked) {
      b.mask(
          family == IpFamily.IPV6 ? "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" : "255.255.255.255");
    }
    return b.build();
  }

  @Override
  public String module() {
    return "recent";
  }

  @Override
  public List<String> options() {
    Options out = Options.writer().add(negated(), action().option);
    seconds().ifPresent(s -> out.add("--seconds", s.toString()));
    out.flag(reap(), "--reap");
    hitCount().ifPresent(h -> out.add("--hitcount", h.toString()));
    out.flag(rttl(), "--rttl").add("--name", name());
    mask().ifPresent(m -> out.add("--mask", m));
    return out.add(destination() ? "--rdest" : "--rsource").tokens();
  }

  @Override
  public String describe() {
    String what = (destination() ? "destination" : "source") + " in recent list " + name();
    String verb =
        switch (action()) {
          case SET ->
              "add " + (destination() ? "destination" : "source") + " to recent list " + name();
          case CHECK -> what;
          case UPDATE -> what + " (refreshed)";
          case REMOVE -> what + " (removed)";
        };
    return (negated() ? "not " : "")
        + verb
        + seconds().map(s -> ", seen within " + s + "s").orElse("")
        + hitCount().map(h -> ", at least " + h + " times").orElse("");
  }

  @Value.Check
  void check() {
    if (name().isEmpty()
        || name().length() > 200
        || !name().matches("[\\x21-\\x7e]+")
        || name().contains("\"")) {
      throw new IllegalArgumentException(
          "recent list name '" + name() + "' must be 1-200 printable characters");
    }
  }

  /** Builds a {@link RecentMatch}. */
  public static final class Builder extends ImmutableRecentMatch.Builder {
    Builder() {}
  }
}
