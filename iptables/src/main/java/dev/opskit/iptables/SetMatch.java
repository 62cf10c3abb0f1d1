package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import java.util.List;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * {@code -m set [!] --match-set NAME FLAGS}: the packet's address (or address and port…) is in an
 * ipset, with the module's optional flags.
 *
 * <pre>{@code
 * SetMatch allowed = SetMatch.builder().name("opskit-web-v4").addFlags("src").build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class SetMatch implements MatchExtension {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,31}");

  SetMatch() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The ipset name. */
  public abstract String name();

  /** {@code src} or {@code dst} per dimension of the set, for example {@code [src, dst]}. */
  public abstract List<String> flags();

  /** {@code !}: the packet is not in the set. */
  @Value.Default
  public boolean negated() {
    return false;
  }

  /** {@code --return-nomatch}: an entry marked nomatch counts as a match. */
  @Value.Default
  public boolean returnNomatch() {
    return false;
  }

  /** False for {@code ! --update-counters}: leave the set's packet counters alone. */
  @Value.Default
  public boolean updateCounters() {
    return true;
  }

  /** False for {@code ! --update-subcounters}. */
  @Value.Default
  public boolean updateSubcounters() {
    return true;
  }

  /** Parses the options of {@code -m set} (without counter comparisons). */
  public static SetMatch parse(List<String> options) {
    Builder b = builder();
    for (Options.Option o : Options.read(options)) {
      switch (o.name()) {
        case "--match-set" -> {
          if (o.values().size() != 2) {
            throw new IllegalArgumentException("--match-set needs NAME FLAGS");
          }
          b.name(o.values().get(0)).flags(List.of(o.values().get(1).split(",", -1)));
          b.negated(o.negated());
        }
        case "--return-nomatch" -> b.returnNomatch(o.plain().flag() != null);
        case "--update-counters" -> b.updateCounters(!o.flag().negated());
        case "--update-subcounters" -> b.updateSubcounters(!o.flag().negated());
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  @Override
  public String module() {
    return "set";
  }

  @Override
  public List<String> options() {
    Options out = Options.writer().add(negated(), "--match-set", name(), String.join(",", flags()));
    out.flag(returnNomatch(), "--return-nomatch");
    if (!updateCounters()) {
      out.add(true, "--update-counters");
    }
    if (!updateSubcounters()) {
      out.add(true, "--update-subcounters");
    }
    return out.tokens();
  }

  @Override
  public String describe() {
    return String.join(",", flags()) + (negated() ? " not" : "") + " in ipset " + name();
  }

  @Value.Check
  void check() {
    if (!NAME.matcher(name()).matches()) {
      throw new IllegalArgumentException(
          "ipset name '" + name() + "' must match " + NAME.pattern());
    }
    if (flags().isEmpty() || flags().size() > 6) {
      throw new IllegalArgumentException(
          "ipset flags " + flags() + " must list 1 to 6 of src, dst");
    }
    for (String flag : flags()) {
      if (!flag.equals("src") && !flag.equals("dst")) {
        throw new IllegalArgumentException(
            "ipset flags '" + String.join(",", flags()) + "' must be src or dst, comma-separated");
      }
    }
  }

  /** Builds a {@link SetMatch}. */
  public static final class Builder extends ImmutableSetMatch.Builder {
    Builder() {}
  }
}
