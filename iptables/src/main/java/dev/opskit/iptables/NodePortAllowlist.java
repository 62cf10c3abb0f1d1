package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Cidrs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * Only the allowed source CIDRs may reach one or more NodePorts; everyone else is dropped, in a way
 * that still holds behind kube-proxy's DNAT.
 *
 * <p>Why not {@code iptables -A INPUT -p tcp --dport 30001 -s … -j ACCEPT} plus a DROP? With
 * kube-proxy in iptables mode the NodePort is rewritten to {@code podIP:targetPort} in nat
 * PREROUTING, before filter INPUT runs; INPUT (or FORWARD, for a pod on the node or elsewhere) then
 * never sees port 30001 and lets everyone in. The {@link Mode}s:
 *
 * <ul>
 *   <li>{@link Mode#RAW_PREROUTING} (default): a jump in raw PREROUTING on {@code -p tcp --dport
 *       PORT -m addrtype --dst-type LOCAL}, before conntrack and any DNAT. Works with kube-proxy in
 *       iptables, IPVS and nftables mode, and dropping before conntrack is the cheapest. Caveat:
 *       raw has no connection state, so a NodePort inside the node's ephemeral port range ({@code
 *       net.ipv4.ip_local_port_range}) would also drop replies to the node's own outgoing
 *       connections from non-allowed addresses; see {@link #warnings()}.
 *   <li>{@link Mode#CONNTRACK}: jumps in filter INPUT and FORWARD on {@code -m conntrack --ctstate
 *       DNAT --ctorigdstport PORT --ctdir ORIGINAL}: the original destination port survives DNAT
 *       (without {@code --ctdir ORIGINAL} the pod's replies would be dropped too). INPUT also gets
 *       a plain {@code --dport PORT} jump, for a listener on the port itself without NAT.
 *   <li>{@link Mode#INPUT}: the plain filter INPUT way; only right for kube-proxy in IPVS mode or
 *       host-network listeners, and {@link #warnings()} says so.
 *   <li>{@link Mode#AUTO}: the applier detects the node's datapath ({@link DatapathDetector}) and
 *       picks the mode that holds there ({@link #chooseMode(Datapath)}).
 * </ul>
 *
 * <p>On an eBPF datapath (Cilium's kube-proxy replacement, Calico's eBPF dataplane) NodePorts are
 * translated before netfilter and no mode holds: {@link #chooseMode(Datapath)} refuses with an
 * {@link UnsupportedDatapathException} naming the tool that does, unless {@link
 * #allowUnsupportedDatapath()}.
 *
 * <p>With {@link #useIpset()} the addresses live in {@code hash:net} ipsets ({@code
 * opskit-NAME-v4}, {@code opskit-NAME-v6}) matched by one rule, updated atomically by swap.
 *
 * <pre>{@code
 * NodePortAllowlist allowlist = NodePortAllowlist.builder()
 *     .name("web")
 *     .addPorts(PortRange.of(30001))
 *     .addAllowedCidrs("198.18.1.0/24", "fd00:198:18::/64")
 *     .build();
 * IptablesApplyResult result = IptablesApplier.on(executor).apply(allowlist);
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class NodePortAllowlist {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]{1,16}");
  private static final int EPHEMERAL_FIRST = 32768;
  private static final int EPHEMERAL_LAST = 60999;

  /** Where the allowlist is enforced; see the class documentation. */
  public enum Mode {
    /** raw PREROUTING, before conntrack and DNAT (default; works in every kube-proxy mode). */
    RAW_PREROUTING,
    /** filter INPUT and FORWARD, matching the conntrack original destination port. */
    CONNTRACK,
    /** filter INPUT on the destination port: only for IPVS mode or host-network listeners. */
    INPUT,
    /**
     * Chosen on the node: the applier detects the datapath and picks the mode that holds there,
     * saying which and why ({@link IptablesApplyResult#modeChoice()}). See {@link
     * NodePortAllowlist#chooseMode(Datapath)}.
     */
    AUTO
  }

  NodePortAllowlist() {}

  /** A builder for an allowlist. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The name ({@code [A-Za-z0-9_]{1,16}}): owner of chain {@code OPSKIT-NAME} and ipsets {@code
   * opskit-NAME-v4}/{@code -v6}.
   */
  public abstract String name();

  /** The NodePorts (or ranges) to protect; at least one. */
  public abstract List<PortRange> ports();

  /** The protocols to protect: {@code tcp} by default; {@code udp} and {@code sctp} too. */
  public abstract List<String> protocols();

  /** Source CIDRs (IPv4 and IPv6, normalised) that may connect; everyone else is dropped. */
  public abstract List<String> allowedCidrs();

  /** Where the allowlist is enforced; {@link Mode#RAW_PREROUTING} by default. */
  @Value.Default
  public Mode mode() {
    return Mode.RAW_PREROUTING;
  }

  /** Match sources against ipsets instead of one rule per CIDR; false by default. */
  @Value.Default
  public boolean useIpset() {
    return false;
  }

  /** Also write the IPv6 rule set (dropping all IPv6 without IPv6 CIDRs); true by default. */
  @Value.Default
  public boolean ipv6() {
    return true;
  }

  /**
   * Apply even on a datapath that bypasses netfilter (Cilium's kube-proxy replacement, Calico's
   * eBPF dataplane), where the allowlist does not hold for NodePort traffic; false by default.
   */
  @Value.Default
  public boolean allowUnsupportedDatapath() {
    return false;
  }

  /** Apply even when it would drop the executor's own SSH connection; false by default. */
  @Value.Default
  public boolean allowSelfLockout() {
    return false;
  }

  /**
   * Apply even when a port is the one the executor's own connection uses (such as SSH's 22 over an
   * {@code SshExecutor}): every source not on the list would lose it; false by default.
   */
  @Value.Default
  public boolean allowConnectionPort() {
    return false;
  }

  /**
   * Accept CIDRs with host bits set ({@code 1.2.3.4/8}) and clear them ({@code 1.0.0.0/8}); false
   * by default, when such a CIDR is refused: it usually means a typo or a wrong prefix length.
   */
  @Value.Default
  public boolean normalizeCidrs() {
    return false;
  }

  /** The chain the allowlist owns: {@code OPSKIT-NAME}. */
  public String chainName() {
    return IptablesRuleSet.chainPrefix(name());
  }

  /** The families this allowlist writes rules for. */
  public Set<IpFamily> families() {
    return ipv6() ? EnumSet.allOf(IpFamily.class) : EnumSet.of(IpFamily.IPV4);
  }

  /** The allowed CIDRs of one family. */
  public List<String> allowedCidrs(IpFamily family) {
    return allowedCidrs().stream().filter(c -> Cidrs.family(c) == family).toList();
  }

  /** The ipset name for a family: {@code opskit-NAME-v4} or {@code opskit-NAME-v6}. */
  public String ipsetName(IpFamily family) {
    return ipsetName(name(), family);
  }

  /** The ipset name of allowlist {@code name} for a family. */
  static String ipsetName(String name, IpFamily family) {
    return "opskit-" + name + (family == IpFamily.IPV4 ? "-v4" : "-v6");
  }

  /** The ipsets this allowlist needs (empty unless {@link #useIpset()}); built once per value. */
  @Value.Lazy
  public List<IpsetSpec> ipsets() {
    if (!useIpset()) {
      return List.of();
    }
    List<IpsetSpec> sets = new ArrayList<>();
    for (IpFamily family : families()) {
      sets.add(IpsetSpec.of(ipsetName(family), family, allowedCidrs(family)));
    }
    return List.copyOf(sets);
  }

  /**
   * The owned rule set for one family, ready for {@link IptablesPlan#of} or an applier; built once
   * per value for the allowlist's {@link #families()}.
   *
   * @throws IllegalStateException in {@link Mode#AUTO}, whose rules depend on the node: choose the
   *     mode first ({@link IptablesApplier#chooseMode}, then {@link #inMode})
   */
  public IptablesRuleSet ruleSet(IpFamily family) {
    if (mode() == Mode.AUTO) {
      throw new IllegalStateException(
          "allowlist '"
              + name()
              + "' is in mode AUTO: its rules depend on the node; choose the mode first");
    }
    IptablesRuleSet built = ruleSets().get(family);
    return built != null ? built : buildRuleSet(family);
  }

  /** The rule sets of {@link #families()}, built on first use. */
  @Value.Lazy
  Map<IpFamily, IptablesRuleSet> ruleSets() {
    Map<IpFamily, IptablesRuleSet> sets = new EnumMap<>(IpFamily.class);
    families().forEach(family -> sets.put(family, buildRuleSet(family)));
    return Collections.unmodifiableMap(sets);
  }

  private IptablesRuleSet buildRuleSet(IpFamily family) {
    String chain = chainName();
    List<Rule> rules = new ArrayList<>();
    if (mode() != Mode.RAW_PREROUTING) {
      rules.add(
          Rule.of(
              List.of(
                  Match.conntrackState(
                      EnumSet.of(ConntrackState.RELATED, ConntrackState.ESTABLISHED))),
              Target.returnToCaller()));
    }
    if (useIpset()) {
      rules.add(
          Rule.of(List.of(Match.matchSet(ipsetName(family), "src")), Target.returnToCaller()));
    } else {
      for (String cidr : allowedCidrs(family)) {
        // iptables prints no source for "everyone": the rule reads back without it
        boolean everyone = cidr.endsWith("/0");
        rules.add(
            everyone
                ? Rule.of(Target.returnToCaller())
                : Rule.of(List.of(Match.source(cidr)), Target.returnToCaller()));
      }
    }
    rules.add(Rule.of(Target.drop()));
    Target jump = Target.jump(chain);
    Table.Builder table = Table.builder().addChains(Chain.of(chain, rules));
    switch (mode()) {
      case RAW_PREROUTING:
        table.name("raw").addChains(Chain.of("PREROUTING", portJumps(jump, true)));
        break;
      case CONNTRACK:
        List<Rule> jumps = new ArrayList<>();
        for (String protocol : protocols()) {
          for (PortRange port : ports()) {
            jumps.add(
                Rule.of(
                    List.of(Match.protocol(protocol), Match.conntrackOriginalDestinationPort(port)),
                    jump));
          }
        }
        List<Rule> input = new ArrayList<>(jumps);
        input.addAll(portJumps(jump, false));
        table.name("filter").addChains(Chain.of("INPUT", input), Chain.of("FORWARD", jumps));
        break;
      default:
        table.name("filter").addChains(Chain.of("INPUT", portJumps(jump, false)));
    }
    return IptablesRuleSet.builder().family(family).owner(name()).addTables(table.build()).build();
  }

  private List<Rule> portJumps(Target jump, boolean localOnly) {
    List<Rule> jumps = new ArrayList<>();
    for (String protocol : protocols()) {
      for (List<PortRange> group : multiportGroups()) {
        List<Match> matches = new ArrayList<>();
        matches.add(Match.protocol(protocol));
        matches.add(
            group.size() == 1
                ? Match.destinationPort(protocol, group.get(0))
                : Match.destinationPorts(protocol, group));
        if (localOnly) {
          matches.add(Match.destinationAddressType("LOCAL"));
        }
        jumps.add(Rule.of(matches, jump));
      }
    }
    return jumps;
  }

  private List<List<PortRange>> multiportGroups() {
    List<List<PortRange>> groups = new ArrayList<>();
    List<PortRange> current = new ArrayList<>();
    int slots = 0;
    for (PortRange port : ports()) {
      int need = port.isSinglePort() ? 1 : 2;
      if (slots + need > 15) {
        groups.add(current);
        current = new ArrayList<>();
        slots = 0;
      }
      current.add(port);
      slots += need;
    }
    groups.add(current);
    return groups;
  }

  /** This allowlist in another mode. */
  public NodePortAllowlist inMode(Mode mode) {
    return mode == mode() ? this : builder().from(this).mode(mode).build();
  }

  /**
   * Chooses the mode that holds on {@code datapath}: in {@link Mode#AUTO}, {@link
   * Mode#RAW_PREROUTING} behind any kube-proxy mode (raw PREROUTING runs before the DNAT of
   * iptables and nftables mode and before IPVS), or {@link Mode#CONNTRACK} when a port overlaps the
   * ephemeral port range (where raw, having no connection state, would drop replies to the node's
   * own connections); any other mode is kept, with whether it holds there.
   *
   * @throws UnsupportedDatapathException when the datapath bypasses netfilter and {@link
   *     #allowUnsupportedDatapath()} is false
   */
  public ModeChoice chooseMode(Datapath datapath) {
    ModeChoice.Builder choice = ModeChoice.builder().datapath(datapath);
    Datapath.Kind kind = datapath.kind();
    if (datapath.bypassesNetfilter()) {
      if (!allowUnsupportedDatapath()) {
        throw new UnsupportedDatapathException(name(), datapath);
      }
      return choice
          .mode(mode() == Mode.AUTO ? Mode.RAW_PREROUTING : mode())
          .holds(false)
          .reason(
              "forced on "
                  + kind.description()
                  + ": NodePorts are translated in eBPF before netfilter, so only traffic that"
                  + " still reaches netfilter untranslated is filtered")
          .build();
    }
    if (mode() != Mode.AUTO) {
      boolean holds =
          mode() != Mode.INPUT
              || kind == Datapath.Kind.KUBE_PROXY_IPVS
              || kind == Datapath.Kind.NONE;
      return choice
          .mode(mode())
          .holds(holds)
          .reason(
              "set explicitly"
                  + (holds
                      ? ""
                      : "; it does not hold for NodePorts on "
                          + kind.description()
                          + ", whose DNAT runs before filter INPUT"))
          .build();
    }
    if (overlapsEphemeralPorts()) {
      return choice
          .mode(Mode.CONNTRACK)
          .holds(true)
          .reason(
              "port(s) "
                  + ports()
                  + " overlap the ephemeral range "
                  + EPHEMERAL_FIRST
                  + "-"
                  + EPHEMERAL_LAST
                  + ", where raw PREROUTING would also drop replies to the node's own connections;"
                  + " CONNTRACK matches the original destination port after the DNAT and keeps"
                  + " connection state")
          .build();
    }
    String why;
    switch (kind) {
      case KUBE_PROXY_IPTABLES:
        why = "kube-proxy in iptables mode DNATs NodePorts in nat PREROUTING";
        break;
      case KUBE_PROXY_NFTABLES:
        why =
            "kube-proxy in nftables mode DNATs NodePorts in its own table at the dstnat hook"
                + " (priority -100)";
        break;
      case KUBE_PROXY_IPVS:
        why = "kube-proxy in IPVS mode translates NodePorts at the input hook";
        break;
      default:
        why = "no kube-proxy found";
    }
    return choice
        .mode(Mode.RAW_PREROUTING)
        .holds(true)
        .reason(why + "; raw PREROUTING (priority -300) drops before any DNAT and before conntrack")
        .build();
  }

  private boolean overlapsEphemeralPorts() {
    return ports().stream()
        .anyMatch(p -> p.last() >= EPHEMERAL_FIRST && p.first() <= EPHEMERAL_LAST);
  }

  /**
   * True when a new connection from {@code sourceAddress} to {@code port}/{@code protocol} on this
   * node would be dropped by this allowlist.
   */
  public boolean blocks(String sourceAddress, String protocol, int port) {
    if (!protocols().contains(protocol) || ports().stream().noneMatch(p -> p.contains(port))) {
      return false;
    }
    IpFamily family = Cidrs.family(sourceAddress);
    if (!families().contains(family)) {
      return false;
    }
    return allowedCidrs(family).stream().noneMatch(c -> Cidrs.contains(c, sourceAddress));
  }

  /** Cautions for this configuration, such as the INPUT-mode trap behind kube-proxy's DNAT. */
  public List<String> warnings() {
    List<String> warnings = new ArrayList<>();
    if (mode() == Mode.INPUT) {
      warnings.add(
          "INPUT mode does not hold behind kube-proxy in iptables mode: NodePort traffic is"
              + " DNAT-ed in nat PREROUTING before filter INPUT, so these rules never see port "
              + ports()
              + " and everyone gets through. Use it only for IPVS mode or host-network listeners;"
              + " prefer RAW_PREROUTING or CONNTRACK.");
    }
    if (mode() == Mode.RAW_PREROUTING && overlapsEphemeralPorts()) {
      warnings.add(
          "port(s) "
              + ports()
              + " overlap the usual ephemeral port range "
              + EPHEMERAL_FIRST
              + "-"
              + EPHEMERAL_LAST
              + ": raw PREROUTING has no connection state, so replies to the node's own outgoing"
              + " connections from non-allowed addresses on these ports are dropped too.");
    }
    if (allowedCidrs().isEmpty()) {
      warnings.add("no allowed CIDRs: every source is dropped");
    }
    for (String everything : List.of("0.0.0.0/0", "::/0")) {
      if (allowedCidrs().contains(everything)) {
        warnings.add(
            everything
                + " allows every "
                + Cidrs.family(everything)
                + " source: the allowlist drops nothing for "
                + Cidrs.family(everything));
      }
    }
    return warnings;
  }

  @Value.Check
  NodePortAllowlist check() {
    if (!NAME.matcher(name()).matches()) {
      throw new IllegalArgumentException(
          "allowlist name '" + name() + "' must match " + NAME.pattern());
    }
    if (ports().isEmpty()) {
      throw new IllegalArgumentException("allowlist '" + name() + "' needs at least one port");
    }
    for (String protocol : protocols()) {
      if (!Set.of("tcp", "udp", "sctp").contains(protocol)) {
        throw new IllegalArgumentException("protocol '" + protocol + "' must be tcp, udp or sctp");
      }
    }
    if (protocols().isEmpty()) {
      return builder().from(this).addProtocols("tcp").build();
    }
    Set<String> normal = new LinkedHashSet<>();
    for (String cidr : allowedCidrs()) {
      String network = Cidrs.normalize(cidr);
      if (!normalizeCidrs() && Cidrs.hasHostBits(cidr)) {
        throw new IllegalArgumentException(
            "CIDR '"
                + cidr
                + "' has host bits set (its network is "
                + network
                + "): write the network, or let opskit clear them with normalizeCidrs(true)");
      }
      normal.add(network);
    }
    if (!List.copyOf(normal).equals(allowedCidrs())) {
      return builder().from(this).allowedCidrs(normal).build();
    }
    return this;
  }

  /** The optional IPv4 or IPv6 ipset backing, when used. */
  public Optional<IpsetSpec> ipset(IpFamily family) {
    return ipsets().stream().filter(s -> s.family() == family).findFirst();
  }

  /** Builds a {@link NodePortAllowlist}; {@code build()} validates and normalises it. */
  public static final class Builder extends ImmutableNodePortAllowlist.Builder {
    Builder() {}
  }
}
