package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What translates NodePort traffic on a node, as {@link DatapathDetector} found it, with the
 * evidence it saw. The kind decides which {@link NodePortAllowlist.Mode} holds there: kube-proxy in
 * iptables, IPVS or nftables mode DNATs after raw PREROUTING, so an iptables allowlist can catch
 * the NodePort first; an eBPF datapath (Cilium's kube-proxy replacement, Calico's eBPF dataplane)
 * translates it before netfilter, where no iptables allowlist holds.
 *
 * <pre>{@code
 * Datapath datapath = DatapathDetector.on(executor).detect();
 * if (datapath.bypassesNetfilter()) {
 *   System.out.println("use " + datapath.nativePolicy().orElseThrow());
 * }
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class Datapath {

  /** The NodePort datapaths opskit tells apart. */
  public enum Kind {
    /** kube-proxy in iptables mode: DNAT in nat PREROUTING ({@code KUBE-NODEPORTS}). */
    KUBE_PROXY_IPTABLES("kube-proxy in iptables mode"),
    /** kube-proxy in IPVS mode: NodePorts translated by IPVS at the input hook. */
    KUBE_PROXY_IPVS("kube-proxy in IPVS mode"),
    /** kube-proxy in nftables mode: DNAT in its own {@code kube-proxy} table at the dstnat hook. */
    KUBE_PROXY_NFTABLES("kube-proxy in nftables mode"),
    /**
     * Cilium's kube-proxy replacement: NodePorts translated in eBPF at the device, no netfilter.
     */
    CILIUM_EBPF("Cilium's eBPF kube-proxy replacement"),
    /** Calico's eBPF dataplane: NodePorts translated in eBPF at the device, no netfilter. */
    CALICO_EBPF("Calico's eBPF dataplane"),
    /** No kube-proxy or eBPF datapath found: host-network listeners, or an unknown proxy. */
    NONE("no kube-proxy or eBPF datapath found");

    private final String description;

    Kind(String description) {
      this.description = description;
    }

    /** A short human description, such as {@code kube-proxy in nftables mode}. */
    public String description() {
      return description;
    }
  }

  Datapath() {}

  /** A builder for a datapath. */
  public static Builder builder() {
    return new Builder();
  }

  /** A datapath of this kind with this evidence, for example in tests. */
  public static Datapath of(Kind kind, String... evidence) {
    return builder().kind(kind).addEvidence(evidence).build();
  }

  /** What translates NodePort traffic. */
  public abstract Kind kind();

  /**
   * What was seen on the node, one finding per entry ({@code interface cilium_host}, {@code nft
   * table ip kube-proxy}, …), including findings that did not decide the kind.
   */
  public abstract List<String> evidence();

  /**
   * True when NodePort traffic is translated before netfilter (an eBPF datapath): then no iptables
   * allowlist, in any mode, holds for it.
   */
  public boolean bypassesNetfilter() {
    return kind() == Kind.CILIUM_EBPF || kind() == Kind.CALICO_EBPF;
  }

  /**
   * For a datapath that bypasses netfilter, the tool that does hold there: Calico's pre-DNAT
   * GlobalNetworkPolicy or a Cilium clusterwide host policy.
   */
  public Optional<String> nativePolicy() {
    switch (kind()) {
      case CALICO_EBPF:
        return Optional.of(
            "a Calico GlobalNetworkPolicy with preDNAT: true and applyOnForward: true on the"
                + " nodes' HostEndpoints (opskit renders it: CalicoNodePortPolicy)");
      case CILIUM_EBPF:
        return Optional.of(
            "a CiliumClusterwideNetworkPolicy host policy (nodeSelector, ingress fromCIDR with"
                + " toPorts on the NodePort; needs Cilium's host firewall enabled)");
      default:
        return Optional.empty();
    }
  }

  /** One line: the kind and its evidence, such as {@code kube-proxy in nftables mode (…)}. */
  public String summary() {
    return kind().description()
        + (evidence().isEmpty() ? "" : " (" + String.join(", ", evidence()) + ")");
  }

  @Override
  public String toString() {
    return summary();
  }

  /** Builds a {@link Datapath}. */
  public static final class Builder extends ImmutableDatapath.Builder {
    Builder() {}
  }
}
