package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.immutables.value.Value;

/**
 * One iptables table ({@code filter}, {@code nat}, {@code mangle}, {@code raw} or {@code security})
 * and its chains in the order iptables-save prints them.
 *
 * <pre>{@code
 * Table raw = Table.of("raw", Chain.of("PREROUTING", jumpRule), Chain.of("OPSKIT-web", rules));
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class Table {
  private static final Map<String, List<String>> BUILTIN =
      Map.of(
          "filter", List.of("INPUT", "FORWARD", "OUTPUT"),
          "nat", List.of("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
          "mangle", List.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
          "raw", List.of("PREROUTING", "OUTPUT"),
          "security", List.of("INPUT", "FORWARD", "OUTPUT"));
  private static final Set<String> ALL_BUILTIN =
      Set.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING");

  Table() {}

  /** A builder for a table. */
  public static Builder builder() {
    return new Builder();
  }

  /** A table with these chains. */
  public static Table of(String name, Chain... chains) {
    return builder().name(name).addChains(chains).build();
  }

  /** A table with these chains. */
  public static Table of(String name, List<Chain> chains) {
    return builder().name(name).addAllChains(chains).build();
  }

  /** The table name. */
  public abstract String name();

  /** The chains, built-in and user-defined. */
  public abstract List<Chain> chains();

  /** The chain named {@code name}, if present. */
  public Optional<Chain> chain(String name) {
    return chains().stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /** True when {@code chain} is a built-in chain of this table. */
  public boolean isBuiltin(String chain) {
    return builtinChains(name()).contains(chain);
  }

  /**
   * The built-in chains of a table, in the order iptables-save prints them.
   *
   * @throws IllegalArgumentException for an unknown table name
   */
  public static List<String> builtinChains(String table) {
    List<String> chains = BUILTIN.get(table);
    if (chains == null) {
      throw new IllegalArgumentException(
          "table '" + table + "' must be one of filter, nat, mangle, raw, security");
    }
    return chains;
  }

  @Value.Check
  Table check() {
    List<String> builtin = builtinChains(name());
    Set<String> names = new HashSet<>();
    for (Chain chain : chains()) {
      if (!names.add(chain.name())) {
        throw new IllegalArgumentException(
            "table " + name() + " lists chain '" + chain.name() + "' twice");
      }
      boolean isBuiltin = builtin.contains(chain.name());
      if (!isBuiltin && ALL_BUILTIN.contains(chain.name())) {
        throw new IllegalArgumentException(
            "chain '" + chain.name() + "' is not a built-in chain of table " + name());
      }
      if (!isBuiltin && chain.policy().isPresent()) {
        throw new IllegalArgumentException(
            "user chain '" + chain.name() + "' cannot have a policy");
      }
    }
    List<Chain> ordered = new ArrayList<>(chains());
    ordered.sort(
        Comparator.comparingInt(
            c -> builtin.contains(c.name()) ? builtin.indexOf(c.name()) : builtin.size()));
    if (!ordered.equals(chains())) {
      return builder().from(this).chains(ordered).build();
    }
    return this;
  }

  /** Builds a {@link Table}; {@code build()} validates it. */
  public static final class Builder extends ImmutableTable.Builder {
    Builder() {}
  }
}
