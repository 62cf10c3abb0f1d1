package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.immutables.value.Value;

/**
 * A chain of a table: a name, a policy for built-in chains read from the kernel, and ordered rules.
 * In a rule set opskit applies, a built-in chain carries no policy (opskit never changes policies)
 * and holds only the jump rules into opskit's own chains.
 *
 * <pre>{@code
 * Chain allow = Chain.of("OPSKIT-web",
 *     Rule.of(List.of(Match.source("198.18.1.0/24")), Target.returnToCaller()),
 *     Rule.of(Target.drop()));
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class Chain {
  private static final Set<String> POLICIES = Set.of("ACCEPT", "DROP");

  Chain() {}

  /** A builder for a chain. */
  public static Builder builder() {
    return new Builder();
  }

  /** A chain without policy holding these rules. */
  public static Chain of(String name, Rule... rules) {
    return builder().name(name).addRules(rules).build();
  }

  /** A chain without policy holding these rules. */
  public static Chain of(String name, List<Rule> rules) {
    return builder().name(name).addAllRules(rules).build();
  }

  /** The chain name: at most 28 characters, no whitespace or quotes, not starting with - or !. */
  public abstract String name();

  /** ACCEPT or DROP for a built-in chain read from the kernel; empty otherwise. */
  public abstract Optional<String> policy();

  /** The rules in evaluation order. */
  public abstract List<Rule> rules();

  /**
   * Validates a chain name.
   *
   * @throws IllegalArgumentException naming the bad value and the rule it broke
   */
  public static String checkName(String name) {
    Objects.requireNonNull(name, "chain name");
    if (name.isEmpty() || name.length() > 28) {
      throw new IllegalArgumentException(
          "chain name '" + name + "' must be 1-28 characters, was " + name.length());
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isWhitespace(c) || c == '"' || c == '\'' || c < 0x21 || c > 0x7e) {
        throw new IllegalArgumentException(
            "chain name '" + name + "' must be printable ASCII without whitespace or quotes");
      }
    }
    if (name.startsWith("-") || name.startsWith("!")) {
      throw new IllegalArgumentException("chain name '" + name + "' must not start with - or !");
    }
    return name;
  }

  @Value.Check
  void check() {
    checkName(name());
    policy()
        .ifPresent(
            p -> {
              if (!POLICIES.contains(p)) {
                throw new IllegalArgumentException(
                    "policy '" + p + "' of chain " + name() + " must be ACCEPT or DROP");
              }
            });
  }

  /** Builds a {@link Chain}; {@code build()} validates it. */
  public static final class Builder extends ImmutableChain.Builder {
    Builder() {}
  }
}
