package dev.opskit.iptables;

import dev.opskit.core.LocalExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * The client a crash test kills: applies {@link #allowlist(int)} to a network namespace from a JVM
 * of its own. Arguments: the namespace, the applier's state directory, the allowlist's variant.
 */
final class ApplyInAnotherJvm {
  private ApplyInAnotherJvm() {}

  /** Rules per family: enough that each family's restore takes a while. */
  static final int SIZE = 1_200;

  /**
   * Variant {@code v} of allowlist "crash": IPv4 and IPv6 rule lists of {@link #SIZE} sources each,
   * distinct per variant, so that a state mixing two variants is told apart from either.
   */
  static NodePortAllowlist allowlist(int variant) {
    List<String> cidrs = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      cidrs.add("198.18." + (variant * 20 + i / 250) + "." + (i % 250 + 1));
      cidrs.add("2001:db8:" + Integer.toHexString(variant + 1) + "::" + Integer.toHexString(i + 1));
    }
    return NodePortAllowlist.builder()
        .name("crash")
        .addPorts(PortRange.of(30001))
        .addAllAllowedCidrs(cidrs)
        .build();
  }

  /** Applies the variant named by the arguments, then says so. */
  public static void main(String[] args) throws Exception {
    IptablesApplier applier =
        IptablesApplier.builder(LocalExecutor.create().inNetworkNamespace(args[0]))
            .stateDirectory(args[1])
            .build();
    System.out.println(applier.apply(allowlist(Integer.parseInt(args[2]))).summary());
  }
}
