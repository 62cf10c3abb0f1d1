package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.immutables.value.Value;

/**
 * One rule of a chain: ordered {@link Match}es and an optional {@link Target}. Basic matches
 * ({@code -s -d -i -o -p}) are kept first in the order iptables-save prints them; module matches
 * keep the order they were given, which is the order the kernel evaluates them.
 *
 * <pre>{@code
 * Rule allowOffice = Rule.builder()
 *     .addMatches(Match.source("198.18.1.0/24"), Match.comment("office"))
 *     .target(Target.returnToCaller())
 *     .build();
 * Rule dropRest = Rule.of(Target.drop());
 * }</pre>
 *
 * <p>A port match needs the rule to match the same protocol ({@code -p tcp -m tcp --dport 80}).
 */
@Value.Immutable
@OpskitStyle
public abstract class Rule {
  private static final Set<Match.Kind> SINGLE =
      EnumSet.of(
          Match.Kind.SOURCE,
          Match.Kind.DESTINATION,
          Match.Kind.IN_INTERFACE,
          Match.Kind.OUT_INTERFACE,
          Match.Kind.PROTOCOL);

  Rule() {}

  /** A builder for a rule. */
  public static Builder builder() {
    return new Builder();
  }

  /** A rule with only a target: it applies to every packet that reaches it. */
  public static Rule of(Target target) {
    return builder().target(target).build();
  }

  /** A rule with these matches and target. */
  public static Rule of(List<Match> matches, Target target) {
    return builder().addAllMatches(matches).target(target).build();
  }

  /** The matches, all of which must hold for the target to apply. */
  public abstract List<Match> matches();

  /** What happens to a matching packet; empty for a counting-only rule. */
  public abstract Optional<Target> target();

  /** The rule specification tokens (matches, then target), as iptables-save prints them. */
  public List<String> tokens() {
    List<String> tokens = new ArrayList<>();
    matches().forEach(m -> tokens.addAll(m.tokens()));
    target().ifPresent(t -> tokens.addAll(t.tokens()));
    return tokens;
  }

  /** The rule specification (everything after {@code -A CHAIN}) as one line. */
  @Value.Lazy
  public String spec() {
    return String.join(" ", tokens());
  }

  /** The protocol of the {@code -p} match, if any and not negated. */
  public Optional<String> protocol() {
    return matches().stream()
        .filter(m -> m.kind() == Match.Kind.PROTOCOL && !m.isNegated())
        .flatMap(m -> m.value().stream())
        .findFirst();
  }

  /**
   * A short human-readable description of the rule, for example {@code "from 198.18.1.0/24, tcp
   * port 30001: accept"}.
   */
  public String describe() {
    String matched =
        matches().isEmpty()
            ? "every packet"
            : String.join(", ", matches().stream().map(Match::describe).toList());
    return matched + ": " + target().map(Target::describe).orElse("count only");
  }

  @Override
  public String toString() {
    return "Rule{" + spec() + "}";
  }

  @Value.Check
  Rule check() {
    Set<Match.Kind> seen = EnumSet.noneOf(Match.Kind.class);
    for (Match match : matches()) {
      if (SINGLE.contains(match.kind()) && !seen.add(match.kind())) {
        throw new IllegalArgumentException(
            "rule '" + spec() + "' has more than one " + match.kind() + " match");
      }
      Optional<String> needed = match.requiredProtocol();
      if (needed.isPresent() && !needed.equals(protocol())) {
        throw new IllegalArgumentException(
            "match '"
                + match
                + "' needs the rule to match -p "
                + needed.get()
                + ", but it matches "
                + protocol().map(p -> "-p " + p).orElse("no protocol"));
      }
    }
    if (isOrdered(matches())) {
      return this;
    }
    List<Match> ordered = new ArrayList<>(matches());
    ordered.sort(Comparator.comparingInt(Rule::rank));
    return builder().from(this).matches(ordered).build();
  }

  private static boolean isOrdered(List<Match> matches) {
    int last = -1;
    for (Match match : matches) {
      if (rank(match) < last) {
        return false;
      }
      last = rank(match);
    }
    return true;
  }

  /** Basic matches first in iptables-save order, then module matches in the order given. */
  private static int rank(Match match) {
    return match.basicRank() < 0 ? 100 : match.basicRank();
  }

  /** Builds a {@link Rule}; {@code build()} validates it and orders basic matches first. */
  public static final class Builder extends ImmutableRule.Builder {
    Builder() {}
  }
}
