package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.List;
import org.immutables.value.Value;

/**
 * {@code -m limit --limit N/UNIT --limit-burst B}: a token bucket; matches until the rate is
 * exceeded. The rate is kept as the kernel keeps it and printed as iptables-save prints it ({@code
 * 60/min} reads back as {@code 1/sec}).
 *
 * <pre>{@code
 * LimitMatch fivePerMinute = LimitMatch.of(5, "min", 5);
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class LimitMatch implements MatchExtension {
  private static final long SCALE = 10000;
  private static final List<String> UNITS = List.of("day", "hour", "min", "sec");
  private static final long[] MULT = {SCALE * 86400, SCALE * 3600, SCALE * 60, SCALE};

  LimitMatch() {}

  /**
   * {@code --limit COUNT/UNIT --limit-burst BURST}.
   *
   * @param unit {@code sec}, {@code min}, {@code hour} or {@code day} (or {@code second}, …)
   */
  public static LimitMatch of(int count, String unit, int burst) {
    return ImmutableLimitMatch.builder().period(period(count, unit)).burst(burst).build();
  }

  /** The kernel's interval between tokens, in 1/10000 s. */
  public abstract long period();

  /** {@code --limit-burst}: the bucket size, 5 by default. */
  @Value.Default
  public int burst() {
    return 5;
  }

  /** The rate as iptables-save prints it, for example {@code 5/min}. */
  public String rate() {
    int i = 1;
    for (; i < MULT.length; i++) {
      if (period() > MULT[i] || MULT[i] / period() < MULT[i] % period()) {
        break;
      }
    }
    return MULT[i - 1] / period() + "/" + UNITS.get(i - 1);
  }

  /** Parses the options of {@code -m limit}. */
  public static LimitMatch parse(List<String> options) {
    long period = period(3, "hour");
    int burst = 5;
    for (Options.Option o : Options.read(options)) {
      o.plain();
      switch (o.name()) {
        case "--limit" -> {
          String[] rate = o.value().split("/", -1);
          period = period(Integer.parseInt(rate[0]), rate.length > 1 ? rate[1] : "sec");
        }
        case "--limit-burst" -> burst = Integer.parseInt(o.value());
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return ImmutableLimitMatch.builder().period(period).burst(burst).build();
  }

  private static long period(int count, String unit) {
    int index =
        switch (unit) {
          case "d", "day" -> 0;
          case "h", "hour" -> 1;
          case "m", "min", "minute" -> 2;
          case "s", "sec", "second" -> 3;
          default ->
              throw new IllegalArgumentException(
                  "limit unit '" + unit + "' must be sec, min, hour or day");
        };
    if (count < 1) {
      throw new IllegalArgumentException("limit " + count + "/" + unit + " must be at least 1");
    }
    return MULT[index] / count;
  }

  @Override
  public String module() {
    return "limit";
  }

  @Override
  public List<String> options() {
    Options out = Options.writer().add("--limit", rate());
    if (burst() != 5) {
      out.add("--limit-burst", Integer.toString(burst()));
    }
    return out.tokens();
  }

  @Override
  public String describe() {
    return "at most " + rate() + " (burst " + burst() + ")";
  }

  @Value.Check
  void check() {
    if (period() < 1) {
      throw new IllegalArgumentException("limit rate is too fast (period " + period() + ")");
    }
    if (burst() < 1 || burst() > 10000) {
      throw new IllegalArgumentException("limit burst " + burst() + " must be 1 to 10000");
    }
  }
}
