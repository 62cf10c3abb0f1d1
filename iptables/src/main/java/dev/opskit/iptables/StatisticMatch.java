package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * {@code -m statistic}: a random share of packets ({@code --mode random --probability P}, how
 * kube-proxy spreads a Service over its endpoints) or every n-th packet ({@code --mode nth}).
 *
 * <pre>{@code
 * StatisticMatch third = StatisticMatch.random(1.0 / 3);
 * StatisticMatch everyFifth = StatisticMatch.nth(5, 0);
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class StatisticMatch implements MatchExtension {
  private static final double SCALE = 0x80000000L;

  StatisticMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Matches each packet with {@code probability} (0 to 1), as the kernel rounds it. */
  public static StatisticMatch random(double probability) {
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("probability " + probability + " must be 0 to 1");
    }
    return builder().probabilityScaled(Math.round(SCALE * probability)).build();
  }

  /** Matches packet {@code packet} (0-based) of every {@code every}. */
  public static StatisticMatch nth(int every, int packet) {
    return builder().every(every).packet(packet).build();
  }

  /** Random mode: the probability in the kernel's units of 2^-31; empty in nth mode. */
  public abstract Optional<Long> probabilityScaled();

  /** Random mode: the probability, 0 to 1. */
  public Optional<Double> probability() {
    return probabilityScaled().map(p -> p / SCALE);
  }

  /** Nth mode: the cycle length; empty in random mode. */
  public abstract Optional<Integer> every();

  /** Nth mode: which packet of the cycle matches, 0-based. */
  @Value.Default
  public int packet() {
    return 0;
  }

  /** {@code !}: the packets the test would not pick. */
  @Value.Default
  public boolean negated() {
    return false;
  }

  /** Parses the options of {@code -m statistic}. */
  public static StatisticMatch parse(List<String> options) {
    Builder b = builder();
    for (Options.Option o : Options.read(options)) {
      switch (o.name()) {
        case "--mode" -> {
          if (!List.of("random", "nth").contains(o.plain().value())) {
            throw new IllegalArgumentException("--mode " + o.value() + " must be random or nth");
          }
        }
        case "--probability" ->
            b.probabilityScaled(Math.round(SCALE * Double.parseDouble(o.value())))
                .negated(o.negated());
        case "--every" -> b.every(Integer.parseInt(o.value())).negated(o.negated());
        case "--packet" -> b.packet(Integer.parseInt(o.plain().value()));
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  @Override
  public String module() {
    return "statistic";
  }

  @Override
  public List<String> options() {
    if (probabilityScaled().isPresent()) {
      String p =
          new BigDecimal(probabilityScaled().get() / SCALE)
              .setScale(11, RoundingMode.HALF_EVEN)
              .toPlainString();
      return Options.writer().add("--mode", "random").add(negated(), "--probability", p).tokens();
    }
    return Options.writer()
        .add("--mode", "nth")
        .add(negated(), "--every", every().orElseThrow().toString())
        .add("--packet", Integer.toString(packet()))
        .tokens();
  }

  @Override
  public String describe() {
    String what =
        probability().isPresent()
            ? "randomly, probability " + Math.round(probability().get() * 10000) / 10000.0
            : "packet " + packet() + " of every " + every().orElseThrow();
    return (negated() ? "not " : "") + what;
  }

  @Value.Check
  void check() {
    if (probabilityScaled().isPresent() == every().isPresent()) {
      throw new IllegalArgumentException(
          "a statistic match needs a probability or every, not both");
    }
    if (probabilityScaled().orElse(0L) < 0 || probabilityScaled().orElse(0L) > 0x80000000L) {
      throw new IllegalArgumentException("probability " + probability() + " must be 0 to 1");
    }
    if (every().isPresent() && (every().get() < 1 || packet() < 0 || packet() >= every().get())) {
      throw new IllegalArgumentException(
          "nth: packet " + packet() + " must be 0 to every-1 (every " + every().get() + ")");
    }
  }

  /** Builds a {@link StatisticMatch}. */
  public static final class Builder extends ImmutableStatisticMatch.Builder {
    Builder() {}
  }
}
