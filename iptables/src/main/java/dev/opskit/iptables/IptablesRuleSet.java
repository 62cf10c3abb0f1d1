package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Cidrs;
import dev.opskit.iptables.internal.RuleSetParser;
import dev.opskit.iptables.internal.RuleSetRenderer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * A set of iptables tables for one address family: either the state read from a host ({@link
 * #parse(String)} of {@code iptables-save} output) or the state opskit should own ({@link #owner()}
 * set).
 *
 * <p>An <em>owned</em> rule set names an owner such as {@code web}; it may only hold chains whose
 * names start with {@code OPSKIT-web} ({@code OPSKIT-web} itself or {@code OPSKIT-web-…}) and, in
 * built-in chains, jump rules into those chains. A set that would edit {@code KUBE-*}, {@code
 * cali-*} or any other chain is rejected at construction, so opskit can never rewrite what
 * kube-proxy or Calico own.
 *
 * <pre>{@code
 * IptablesRuleSet observed = IptablesRuleSet.parse(executor.execute("iptables-save").stdoutUtf8());
 * IptablesRuleSet desired = IptablesRuleSet.builder()
 *     .family(IpFamily.IPV4)
 *     .owner("web")
 *     .addTables(Table.of("raw",
 *         Chain.of("PREROUTING", Rule.of(List.of(Match.protocol("tcp"),
 *             Match.destinationPort("tcp", PortRange.of(30001))), Target.jump("OPSKIT-web"))),
 *         Chain.of("OPSKIT-web", Rule.of(Target.drop()))))
 *     .build();
 * IptablesPlan plan = IptablesPlan.of(observed, desired);
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class IptablesRuleSet {
  /** Prefix of every chain opskit owns. */
  public static final String CHAIN_PREFIX = "OPSKIT-";

  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9_]{1,16}");

  IptablesRuleSet() {}

  /** A builder for a rule set; {@code family} defaults to IPv4. */
  public static Builder builder() {
    return new Builder();
  }

  /** An owned rule set with no tables: applying it removes everything {@code owner} had. */
  public static IptablesRuleSet empty(IpFamily family, String owner) {
    return builder().family(family).owner(owner).build();
  }

  /**
   * Parses {@code iptables-save} or {@code ip6tables-save} output (either backend, with or without
   * counters). The family comes from the header comment or, failing that, from the addresses; use
   * {@link #parse(IpFamily, String)} to state it.
   *
   * @throws IptablesParseException carrying the line number when the text is not valid
   */
  public static IptablesRuleSet parse(String text) {
    return RuleSetParser.parse(null, text);
  }

  /**
   * Parses {@code iptables-save} output of a known family.
   *
   * @throws IptablesParseException carrying the line number when the text is not valid
   */
  public static IptablesRuleSet parse(IpFamily family, String text) {
    return RuleSetParser.parse(family, text);
  }

  /** IPv4 or IPv6. */
  @Value.Default
  public IpFamily family() {
    return IpFamily.IPV4;
  }

  /**
   * The owner name of an opskit-owned set ({@code [A-Za-z0-9_]{1,16}}); empty for a set read from a
   * host.
   */
  public abstract Optional<String> owner();

  /** The tables, in order. */
  public abstract List<Table> tables();

  /** The table named {@code name}, if present. */
  public Optional<Table> table(String name) {
    return tables().stream().filter(t -> t.name().equals(name)).findFirst();
  }

  /** The prefix of the chains {@code owner} owns: {@code OPSKIT-owner}. */
  public static String chainPrefix(String owner) {
    checkOwner(owner);
    return CHAIN_PREFIX + owner;
  }

  /**
   * True when {@code chain} belongs to {@code owner}: {@code OPSKIT-owner} or {@code
   * OPSKIT-owner-…}.
   */
  public static boolean ownsChain(String owner, String chain) {
    String prefix = chainPrefix(owner);
    return chain.equals(prefix) || chain.startsWith(prefix + "-");
  }

  /**
   * The part of this set that {@code owner} owns: its chains and, in built-in chains, only the
   * rules that jump or go to them. Useful to snapshot what an owner had before a change.
   */
  public IptablesRuleSet ownedPart(String owner) {
    List<Table> tables = new ArrayList<>();
    for (Table table : tables()) {
      List<Chain> chains = new ArrayList<>();
      for (Chain chain : table.chains()) {
        if (table.isBuiltin(chain.name())) {
          List<Rule> jumps = new ArrayList<>();
          for (Rule rule : chain.rules()) {
            if (rule.target().flatMap(Target::chain).filter(c -> ownsChain(owner, c)).isPresent()) {
              jumps.add(rule);
            }
          }
          if (!jumps.isEmpty()) {
            chains.add(Chain.of(chain.name(), jumps));
          }
        } else if (ownsChain(owner, chain.name())) {
          chains.add(Chain.of(chain.name(), chain.rules()));
        }
      }
      if (!chains.isEmpty()) {
        tables.add(Table.of(table.name(), chains));
      }
    }
    return builder().family(family()).owner(owner).addAllTables(tables).build();
  }

  /**
   * This set as {@code iptables-restore} input: for each table, {@code *table}, the declared
   * chains, the rules, {@code COMMIT}. Built-in chains without policy (as in owned sets) are not
   * declared, so {@code --noflush} leaves their other rules alone.
   */
  public String render() {
    return RuleSetRenderer.render(this);
  }

  /**
   * This set as one argv per change, for example {@code [iptables, -w, -t, raw, -N, OPSKIT-web]}
   * then {@code [iptables, -w, -t, raw, -A, OPSKIT-web, -j, DROP]}: what one would type by hand.
   * Quoted values are passed unquoted. Prefer {@link #render()} with {@code iptables-restore},
   * which is atomic and much faster.
   */
  public List<List<String>> renderCommands() {
    return RuleSetRenderer.commands(this);
  }

  @Override
  public String toString() {
    return "IptablesRuleSet{"
        + family()
        + owner().map(o -> ", owner=" + o).orElse("")
        + ", tables="
        + tables().stream().map(Table::name).toList()
        + "}";
  }

  private static void checkOwner(String owner) {
    if (!OWNER.matcher(owner).matches()) {
      throw new IllegalArgumentException(
          "owner '"
              + owner
              + "' must match "
              + OWNER.pattern()
              + " (it becomes part of chain names)");
    }
  }

  /**
   * The rule lines this set reads back as, mapped to their rules, so that a read-back need not
   * parse them again; built on first use.
   */
  @Value.Lazy
  Map<String, Rule> knownLines() {
    return Collections.unmodifiableMap(RuleSetParser.knownLines(List.of(this)));
  }

  @Value.Check
  void check() {
    Set<String> names = new HashSet<>();
    for (Table table : tables()) {
      if (!names.add(table.name())) {
        throw new IllegalArgumentException("rule set lists table '" + table.name() + "' twice");
      }
      for (Chain chain : table.chains()) {
        for (Rule rule : chain.rules()) {
          checkFamily(rule);
        }
      }
    }
    owner().ifPresent(this::checkOwnership);
  }

  private void checkFamily(Rule rule) {
    for (Match match : rule.matches()) {
      if (match.kind() == Match.Kind.SOURCE || match.kind() == Match.Kind.DESTINATION) {
        String address = match.value().orElseThrow();
        if (Cidrs.family(address) != family()) {
          throw new IllegalArgumentException(
              "address '" + address + "' does not belong in an " + family() + " set");
        }
      }
    }
    Optional<Target> target = rule.target().filter(t -> t.kind() == Target.Kind.REJECT);
    if (target.isPresent()) {
      String type = target.get().tokens().get(3);
      Set<String> allowed =
          family() == IpFamily.IPV4 ? Target.REJECT_TYPES_V4 : Target.REJECT_TYPES_V6;
      if (!allowed.contains(type)) {
        throw new IllegalArgumentException(
            "reject type '" + type + "' does not belong in an " + family() + " set");
      }
    }
  }

  private void checkOwnership(String owner) {
    checkOwner(owner);
    for (Table table : tables()) {
      Set<String> owned = new HashSet<>();
      for (Chain chain : table.chains()) {
        if (table.isBuiltin(chain.name())) {
          continue;
        }
        if (!ownsChain(owner, chain.name())) {
          throw new IllegalArgumentException(
              "chain '"
                  + chain.name()
                  + "' in table "
                  + table.name()
                  + " is not owned by '"
                  + owner
                  + "': an owned set may only define chains named "
                  + chainPrefix(owner)
                  + " or "
                  + chainPrefix(owner)
                  + "-*");
        }
        owned.add(chain.name());
      }
      for (Chain chain : table.chains()) {
        if (!table.isBuiltin(chain.name())) {
          continue;
        }
        if (chain.policy().isPresent()) {
          throw new IllegalArgumentException(
              "built-in chain " + chain.name() + " in an owned set must not set a policy");
        }
        for (Rule rule : chain.rules()) {
          Optional<String> target = rule.target().flatMap(Target::chain);
          if (target.isEmpty() || !owned.contains(target.get())) {
            throw new IllegalArgumentException(
                "rule '"
                    + rule.spec()
                    + "' in built-in chain "
                    + chain.name()
                    + " must jump or go to a chain this set defines in table "
                    + table.name());
          }
        }
      }
    }
  }

  /** Builds an {@link IptablesRuleSet}; {@code build()} validates it. */
  public static final class Builder extends ImmutableIptablesRuleSet.Builder {
    Builder() {}
  }
}
