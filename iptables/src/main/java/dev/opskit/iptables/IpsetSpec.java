package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Cidrs;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * An ipset of type {@code hash:net} holding CIDRs of one family: one iptables rule matches any
 * number of addresses at O(1) cost per packet. Updates go through {@code ipset restore} into a
 * temporary set and an atomic {@code swap}, so a packet never sees a half-filled set.
 *
 * <pre>{@code
 * IpsetSpec set = IpsetSpec.of("opskit-web-v4", IpFamily.IPV4, List.of("198.18.1.0/24"));
 * String script = set.restoreInput(true); // for `ipset restore`
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class IpsetSpec {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,29}");

  IpsetSpec() {}

  /** A builder for an ipset. */
  public static Builder builder() {
    return new Builder();
  }

  /** A {@code hash:net} set of this family holding {@code cidrs}. */
  public static IpsetSpec of(String name, IpFamily family, List<String> cidrs) {
    return builder().name(name).family(family).addAllEntries(cidrs).build();
  }

  /** The set name: at most 29 characters (two are kept for the temporary set's suffix). */
  public abstract String name();

  /** The family of every entry. */
  public abstract IpFamily family();

  /** The CIDRs, normalised; /0 is not allowed ({@code hash:net} cannot store it). */
  public abstract List<String> entries();

  /** The name of the temporary set used for atomic updates: {@code NAME-t}. */
  public String temporaryName() {
    return name() + "-t";
  }

  /** {@code inet} or {@code inet6}. */
  public String ipsetFamily() {
    return family() == IpFamily.IPV4 ? "inet" : "inet6";
  }

  /** The maximum number of elements the set is created with. */
  public int maxElements() {
    return Math.max(65536, Integer.highestOneBit(Math.max(1, entries().size())) * 2);
  }

  /**
   * The number of hash buckets the set is created with: the entry count rounded up to a power of
   * two, at least 1024 ({@code ipset}'s default). A set created too small grows by rehashing while
   * it is filled, which makes filling 10,000 entries take about half as long again.
   */
  public int hashSize() {
    int size = entries().size();
    return size <= 1024 ? 1024 : Integer.highestOneBit(size - 1) * 2;
  }

  /**
   * The {@code ipset restore} input that makes the live set hold exactly {@link #entries()}: fill a
   * temporary set, swap it with the live one, destroy the temporary.
   *
   * @param createLive whether the live set must be created first (it does not exist yet)
   */
  public String restoreInput(boolean createLive) {
    return createLive ? createLine(name()) + fillInput() : fillInput();
  }

  /**
   * The part of {@link #restoreInput} that fills the temporary set and swaps it in; rendered once
   * per value, as an applier may render it while it reads the host.
   */
  @Value.Lazy
  String fillInput() {
    StringBuilder out = new StringBuilder(createLine(temporaryName()));
    for (String entry : entries()) {
      out.append("add ").append(temporaryName()).append(' ').append(entry).append('\n');
    }
    out.append("swap ").append(temporaryName()).append(' ').append(name()).append('\n');
    out.append("destroy ").append(temporaryName()).append('\n');
    return out.toString();
  }

  /** The {@code create} line of a set named {@code setName} with this set's type and sizes. */
  String createLine(String setName) {
    return "create "
        + setName
        + " hash:net family "
        + ipsetFamily()
        + " hashsize "
        + hashSize()
        + " maxelem "
        + maxElements()
        + "\n";
  }

  @Value.Check
  IpsetSpec check() {
    if (!NAME.matcher(name()).matches()) {
      throw new IllegalArgumentException(
          "ipset name '" + name() + "' must match " + NAME.pattern());
    }
    Set<String> normal = new LinkedHashSet<>();
    for (String entry : entries()) {
      String cidr = Cidrs.normalize(entry);
      if (Cidrs.family(cidr) != family()) {
        throw new IllegalArgumentException(
            "entry '" + entry + "' does not belong in " + family() + " set " + name());
      }
      if (cidr.endsWith("/0")) {
        throw new IllegalArgumentException(
            "entry '" + entry + "': hash:net cannot hold a /0; use a rule without an ipset");
      }
      normal.add(cidr);
    }
    if (!List.copyOf(normal).equals(entries())) {
      return builder().from(this).entries(normal).build();
    }
    return this;
  }

  /** Builds an {@link IpsetSpec}; {@code build()} validates and normalises it. */
  public static final class Builder extends ImmutableIpsetSpec.Builder {
    Builder() {}
  }
}
