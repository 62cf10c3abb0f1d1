package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.immutables.value.Value;

/**
 * {@code -m hashlimit}: a rate limit kept per source and/or destination (address or port), in
 * packets ({@code 40/sec}) or bytes ({@code 4kb/s}). State the rate and burst as iptables-save
 * prints them (packet rates keep a burst, 5 by default, which is filled in).
 *
 * <pre>{@code
 * HashlimitMatch perSource = HashlimitMatch.builder().rate("40/sec").burst("20")
 *     .addModes("srcip").name("syn-flood").build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class HashlimitMatch implements MatchExtension {
  private static final Set<String> MODES = Set.of("srcip", "srcport", "dstip", "dstport");

  HashlimitMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code --hashlimit-above} (true: match over the rate) or {@code --hashlimit-upto}. */
  @Value.Default
  public boolean above() {
    return false;
  }

  /** The rate: {@code N/sec|min|hour|day} in packets, or {@code N[b|kb|mb]/s} in bytes. */
  public abstract String rate();

  /** {@code --hashlimit-burst}: packets, or bytes with a unit ({@code 400kb}). */
  public abstract Optional<String> burst();

  /** {@code --hashlimit-mode}: which of srcip, srcport, dstip, dstport key the buckets. */
  public abstract List<String> modes();

  /** {@code --hashlimit-name}: the table's name in {@code /proc/net/ipt_hashlimit}. */
  public abstract String name();

  /** {@code --hashlimit-htable-size}: buckets. */
  public abstract Optional<Long> htableSize();

  /** {@code --hashlimit-htable-max}: entries. */
  public abstract Optional<Long> htableMax();

  /** {@code --hashlimit-htable-gcinterval}: milliseconds. */
  public abstract Optional<Long> htableGcInterval();

  /** {@code --hashlimit-htable-expire}: milliseconds. */
  public abstract Optional<Long> htableExpire();

  /** {@code --hashlimit-srcmask}: prefix length the source is grouped by. */
  public abstract Optional<Integer> sourceMask();

  /** {@code --hashlimit-dstmask}: prefix length the destination is grouped by. */
  public abstract Optional<Integer> destinationMask();

  /** {@code --hashlimit-rate-match}: match on the flow's rate instead of limiting. */
  @Value.Default
  public boolean rateMatch() {
    return false;
  }

  /** {@code --hashlimit-rate-interval}: seconds between rate samples. */
  public abstract Optional<Integer> rateInterval();

  /** True when the rate counts bytes ({@code 4kb/s}), false for packets. */
  public boolean inBytes() {
    return rate().endsWith("/s");
  }

  /** Parses the options of {@code -m hashlimit}. */
  public static HashlimitMatch parse(List<String> options) {
    Builder b = builder();
    for (Options.Option o : Options.read(options)) {
      o.plain();
      switch (o.name()) {
        case "--hashlimit-upto", "--hashlimit" -> b.rate(o.value()).above(false);
        case "--hashlimit-above" -> b.rate(o.value()).above(true);
        case "--hashlimit-burst" -> b.burst(o.value());
        case "--hashlimit-mode" -> b.modes(List.of(o.value().split(",", -1)));
        case "--hashlimit-name" -> b.name(o.value());
        case "--hashlimit-htable-size" -> b.htableSize(Long.parseLong(o.value()));
        case "--hashlimit-htable-max" -> b.htableMax(Long.parseLong(o.value()));
        case "--hashlimit-htable-gcinterval" -> b.htableGcInterval(Long.parseLong(o.value()));
        case "--hashlimit-htable-expire" -> b.htableExpire(Long.parseLong(o.value()));
        case "--hashlimit-srcmask" -> b.sourceMask(Integer.parseInt(o.value()));
        case "--hashlimit-dstmask" -> b.destinationMask(Integer.parseInt(o.value()));
        case "--hashlimit-rate-match" -> b.rateMatch(o.flag() != null);
        case "--hashlimit-rate-interval" -> b.rateInterval(Integer.parseInt(o.value()));
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  @Override
  public String module() {
    return "hashlimit";
  }

  @Override
  public List<String> options() {
    Options out = Options.writer().add(above() ? "--hashlimit-above" : "--hashlimit-upto", rate());
    burst().ifPresent(v -> out.add("--hashlimit-burst", v));
    if (!modes().isEmpty()) {
      out.add("--hashlimit-mode", String.join(",", modes()));
    }
    out.add("--hashlimit-name", name());
    htableSize().ifPresent(v -> out.add("--hashlimit-htable-size", v.toString()));
    htableMax().ifPresent(v -> out.add("--hashlimit-htable-max", v.toString()));
    htableGcInterval().ifPresent(v -> out.add("--hashlimit-htable-gcinterval", v.toString()));
    htableExpire().ifPresent(v -> out.add("--hashlimit-htable-expire", v.toString()));
    sourceMask().ifPresent(v -> out.add("--hashlimit-srcmask", v.toString()));
    destinationMask().ifPresent(v -> out.add("--hashlimit-dstmask", v.toString()));
    out.flag(rateMatch(), "--hashlimit-rate-match");
    rateInterval().ifPresent(v -> out.add("--hashlimit-rate-interval", v.toString()));
    return out.tokens();
  }

  @Override
  public String describe() {
    return (above() ? "over " : "at most ")
        + rate()
        + (modes().isEmpty() ? "" : " per " + String.join(",", modes()))
        + " (hashlimit "
        + name()
        + ")";
  }

  @Value.Check
  HashlimitMatch check() {
    if (!rate().matches("[1-9][0-9]*/(sec|min|hour|day)|[1-9][0-9]*(b|kb|mb)/s")) {
      throw new IllegalArgumentException(
          "hashlimit rate '" + rate() + "' must be N/sec|min|hour|day or N[b|kb|mb]/s");
    }
    burst()
        .ifPresent(
            v -> {
              if (!v.matches(inBytes() ? "[1-9][0-9]*(b|kb|mb)?" : "[1-9][0-9]*")) {
                throw new IllegalArgumentException("hashlimit burst '" + v + "' is not valid");
              }
            });
    for (String mode : modes()) {
      if (!MODES.contains(mode)) {
        throw new IllegalArgumentException("hashlimit mode '" + mode + "' must be one of " + MODES);
      }
    }
    if (!name().matches("[A-Za-z0-9_.:-]{1,31}")) {
      throw new IllegalArgumentException("hashlimit name '" + name() + "' must be 1-31 characters");
    }
    if (!inBytes() && burst().isEmpty()) {
      return builder().from(this).burst("5").build();
    }
    return this;
  }

  /** Builds a {@link HashlimitMatch}. */
  public static final class Builder extends ImmutableHashlimitMatch.Builder {
    Builder() {}
  }
}
