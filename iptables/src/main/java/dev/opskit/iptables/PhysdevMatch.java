package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * {@code -m physdev}: the bridge port a bridged packet came in or goes out through. Each test is
 * optional and may be negated.
 */
@Value.Immutable
@OpskitStyle
public abstract class PhysdevMatch implements MatchExtension {
  PhysdevMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code --physdev-in}: the bridge port it entered through ({@code +} ends a wildcard). */
  public abstract Optional<String> in();

  /** {@code ! --physdev-in}. */
  @Value.Default
  public boolean inNegated() {
    return false;
  }

  /** {@code --physdev-out}: the bridge port it leaves through. */
  public abstract Optional<String> out();

  /** {@code ! --physdev-out}. */
  @Value.Default
  public boolean outNegated() {
    return false;
  }

  /** {@code --physdev-is-in} (TRUE) or {@code ! --physdev-is-in} (FALSE). */
  public abstract Optional<Boolean> isIn();

  /** {@code --physdev-is-out} (TRUE) or {@code ! --physdev-is-out} (FALSE). */
  public abstract Optional<Boolean> isOut();

  /** {@code --physdev-is-bridged} (TRUE) or {@code ! --physdev-is-bridged} (FALSE). */
  public abstract Optional<Boolean> isBridged();

  /** Parses the options of {@code -m physdev}. */
  public static PhysdevMatch parse(List<String> options) {
    Builder b = builder();
    for (Options.Option o : Options.read(options)) {
      switch (o.name()) {
        case "--physdev-in" -> b.in(o.value()).inNegated(o.negated());
        case "--physdev-out" -> b.out(o.value()).outNegated(o.negated());
        case "--physdev-is-in" -> b.isIn(!o.flag().negated());
        case "--physdev-is-out" -> b.isOut(!o.flag().negated());
        case "--physdev-is-bridged" -> b.isBridged(!o.flag().negated());
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  @Override
  public String module() {
    return "physdev";
  }

  @Override
  public List<String> options() {
    Options w = Options.writer();
    isIn().ifPresent(v -> w.add(!v, "--physdev-is-in"));
    in().ifPresent(i -> w.add(inNegated(), "--physdev-in", i));
    isOut().ifPresent(v -> w.add(!v, "--physdev-is-out"));
    out().ifPresent(o -> w.add(outNegated(), "--physdev-out", o));
    isBridged().ifPresent(v -> w.add(!v, "--physdev-is-bridged"));
    return w.tokens();
  }

  @Override
  public String describe() {
    List<String> parts = new ArrayList<>();
    in().ifPresent(i -> parts.add("bridge port in " + (inNegated() ? "not " : "") + i));
    out().ifPresent(o -> parts.add("bridge port out " + (outNegated() ? "not " : "") + o));
    isIn().ifPresent(v -> parts.add(v ? "entered by a bridge" : "not entered by a bridge"));
    isOut().ifPresent(v -> parts.add(v ? "leaves by a bridge" : "not leaving by a bridge"));
    isBridged().ifPresent(v -> parts.add(v ? "bridged" : "not bridged"));
    return "physdev " + String.join(", ", parts);
  }

  @Value.Check
  void check() {
    if (options().isEmpty()) {
      throw new IllegalArgumentException("a physdev match needs at least one test");
    }
    for (Optional<String> name : List.of(in(), out())) {
      name.ifPresent(
          n -> {
            if (!n.matches("[^\\s/\"'!]{1,15}")) {
              throw new IllegalArgumentException(
                  "bridge port '" + n + "' must be 1-15 characters without whitespace or quotes");
            }
          });
    }
  }

  /** Builds a {@link PhysdevMatch}. */
  public static final class Builder extends ImmutablePhysdevMatch.Builder {
    Builder() {}
  }
}
