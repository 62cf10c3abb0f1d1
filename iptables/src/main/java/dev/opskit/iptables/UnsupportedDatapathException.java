package dev.opskit.iptables;

import dev.opskit.core.OpskitException;

/**
 * Refusal to write an iptables NodePort allowlist on a node whose NodePort traffic bypasses
 * netfilter (Cilium's kube-proxy replacement, Calico's eBPF dataplane), where it would not hold.
 * The message names the tool that does hold there; {@code
 * NodePortAllowlist.Builder#allowUnsupportedDatapath(true)} applies the allowlist anyway.
 */
public final class UnsupportedDatapathException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final transient Datapath datapath;

  /** Creates the refusal of allowlist {@code owner} on {@code datapath}. */
  public UnsupportedDatapathException(String owner, Datapath datapath) {
    super(
        "refusing allowlist '"
            + owner
            + "': NodePorts on this node are translated by "
            + datapath.summary()
            + " before netfilter, so no iptables allowlist holds for them; use "
            + datapath.nativePolicy().orElse("the datapath's own policy")
            + " instead");
    this.datapath = datapath;
  }

  /** The datapath that was detected. */
  public Datapath datapath() {
    return datapath;
  }
}
