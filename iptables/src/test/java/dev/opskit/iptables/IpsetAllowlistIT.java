package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An allowlist of 10,000 CIDRs backed by ipsets, with real TCP connections through it. */
@Privileged(tools = {"ip", "iptables", "ipset", "socat", "ss"})
class IpsetAllowlistIT {

  /** {@code count} distinct /32s from 198.19.0.0/16 (never the client's addresses). */
  static List<String> cidrs(int count) {
    List<String> cidrs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      cidrs.add("198.19." + (i / 250) + "." + (i % 250 + 1) + "/32");
    }
    return cidrs;
  }

  private static NodePortAllowlist allowlist(List<String> cidrs, NodePortAllowlist.Mode mode) {
    return NodePortAllowlist.builder()
        .name("big")
        .mode(mode)
        .useIpset(true)
        .addPorts(PortRange.of(NodeTopology.DNAT_PORT))
        .addAllAllowedCidrs(cidrs)
        .build();
  }

  private static int entries(NodeTopology topology, String set) {
    String header = topology.net.exec(topology.node, "ipset", "list", "-t", set).stdoutUtf8();
    return header
        .lines()
        .filter(l -> l.startsWith("Number of entries:"))
        .mapToInt(l -> Integer.parseInt(l.substring(l.indexOf(':') + 1).strip()))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void tenThousandCidrsInAnIpsetHoldAndUpdateAtomically() throws Exception {
    try (NodeTopology topology = new NodeTopology()) {
      IptablesApplier applier = TestAppliers.create(topology.nodeExecutor());
      List<String> cidrs = cidrs(10_000);
      cidrs.add(NodeTopology.ALLOWED_IP);
      NodePortAllowlist list = allowlist(cidrs, NodePortAllowlist.Mode.RAW_PREROUTING);

      IptablesApplyResult applied = applier.apply(list);
      assertThat(applied.changed()).isTrue();
      assertThat(entries(topology, "opskit-big-v4")).isEqualTo(10_001);
      assertThat(entries(topology, "opskit-big-v6")).isZero();
      String raw = topology.net.exec(topology.node, "iptables-save", "-t", "raw").stdoutUtf8();
      assertThat(raw).contains("-A OPSKIT-big -m set --match-set opskit-big-v4 src -j RETURN");
      assertThat(raw.lines().filter(l -> l.startsWith("-A OPSKIT-big"))).hasSize(2);

      assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.DNAT_PORT))
          .isEqualTo("pod");
      assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.DNAT_PORT)).isNull();

      IptablesApplyResult again = applier.apply(list);
      assertThat(again.changed()).isFalse();
      assertThat(again.commands()).isEmpty();

      // update: swap in a set without the allowed client, and with the denied one
      List<String> swapped = cidrs(10_000);
      swapped.add(NodeTopology.DENIED_IP);
      IptablesApplyResult updated =
          applier.apply(allowlist(swapped, NodePortAllowlist.Mode.RAW_PREROUTING));
      assertThat(updated.commands()).containsExactly("ipset restore");
      assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.DNAT_PORT)).isNull();
      assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.DNAT_PORT)).isEqualTo("pod");
      assertThat(topology.net.exec(topology.node, "ipset", "list", "-n").stdoutUtf8())
          .doesNotContain("-t\n");

      // the same ipset behind conntrack mode
      applier.apply(allowlist(swapped, NodePortAllowlist.Mode.CONNTRACK));
      assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.DNAT_PORT)).isNull();
      assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.DNAT_PORT)).isEqualTo("pod");

      applier.remove(list);
      assertThat(topology.net.exec(topology.node, "ipset", "list", "-n").stdoutUtf8()).isBlank();
      assertThat(topology.net.exec(topology.node, "iptables-save").stdoutUtf8())
          .doesNotContain("OPSKIT");
      assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.DNAT_PORT))
          .isEqualTo("pod");
    }
  }

  @Test
  void tenThousandCidrsAsARuleListApplyInOneRestorePerTable() throws Exception {
    try (NodeTopology topology = new NodeTopology()) {
      IptablesApplier applier = TestAppliers.create(topology.nodeExecutor());
      List<String> cidrs = cidrs(10_000);
      cidrs.add(NodeTopology.ALLOWED_IP);
      NodePortAllowlist list =
          NodePortAllowlist.builder()
              .name("big")
              .addPorts(PortRange.of(NodeTopology.DNAT_PORT))
              .addAllAllowedCidrs(cidrs)
              .build();
      IptablesApplyResult applied = applier.apply(list);
      assertThat(applied.commands())
          .containsExactly("iptables-restore --noflush -w", "ip6tables-restore --noflush -w");
      assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.DNAT_PORT))
          .isEqualTo("pod");
      assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.DNAT_PORT)).isNull();
      assertThat(applier.apply(list).changed()).isFalse();
    }
  }
}
