package dev.opskit.iptables;

import dev.opskit.core.CommandExecutor;
import dev.opskit.iptables.internal.DatapathProbe;
import dev.opskit.iptables.internal.ShellBatch;
import java.io.IOException;
import java.time.Duration;

/**
 * Finds out what translates NodePort traffic on a node, so that an allowlist is enforced where it
 * holds ({@link NodePortAllowlist.Mode#AUTO}) or refused where none does (an eBPF datapath).
 *
 * <p>{@link #on(CommandExecutor)} reads the node in one executor call: the network interfaces
 * ({@code cilium_host}, {@code bpfin.cali}, {@code kube-ipvs0}), the BPF maps pinned under {@code
 * /sys/fs/bpf/tc/globals} ({@code cilium_*}, {@code cali_*}), {@code nft list tables} (kube-proxy's
 * {@code kube-proxy} table), the nat table of {@code iptables-save} and {@code ip6tables-save}
 * ({@code KUBE-SERVICES}, {@code KUBE-NODEPORTS}), and Felix's {@code FELIX_BPFENABLED} where the
 * process environment is readable. What a node lacks (no nft, no bpffs) is simply not evidence.
 *
 * <p>One abstract method, so a lambda is a fake in tests:
 *
 * <pre>{@code
 * DatapathDetector nftables = () -> Datapath.of(Datapath.Kind.KUBE_PROXY_NFTABLES);
 * IptablesApplier applier = IptablesApplier.builder(executor).datapathDetector(nftables).build();
 * }</pre>
 *
 * <p>Implementations are safe for concurrent use.
 */
@FunctionalInterface
public interface DatapathDetector {

  /**
   * Reads the node and says what translates its NodePort traffic.
   *
   * @throws IOException when the node cannot be reached
   */
  Datapath detect() throws IOException, InterruptedException;

  /**
   * The detector that reads the node through {@code executor} (not closed by it), taking the host's
   * opskit lock in {@link IptablesApplier#DEFAULT_STATE_DIRECTORY} for its one read.
   */
  static DatapathDetector on(CommandExecutor executor) {
    return on(executor, IptablesApplier.DEFAULT_STATE_DIRECTORY);
  }

  /**
   * The detector that reads the node through {@code executor}, taking the host's opskit lock in
   * {@code stateDirectory} (as {@link IptablesApplier.Builder#stateDirectory} sets it for
   * appliers).
   *
   * @throws IllegalArgumentException when {@code stateDirectory} is not an absolute, plain path
   */
  static DatapathDetector on(CommandExecutor executor, String stateDirectory) {
    return new DatapathProbe(
        executor, ShellBatch.checkDirectory(stateDirectory), Duration.ofSeconds(20));
  }
}
