package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.iptables.NodePortAllowlist.Mode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real TCP connections through a miniature node: who gets through a NodePort allowlist behind a
 * kube-proxy-like DNAT (pod behind the node, FORWARD path) and a local REDIRECT (host-network
 * listener), for every mode.
 */
@Privileged(tools = {"ip", "iptables", "socat", "ss"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodePortAllowlistTopologyIT {
  private NodeTopology topology;
  private IptablesApplier applier;

  @BeforeAll
  void createTopology() {
    topology = new NodeTopology();
    applier = TestAppliers.create(topology.nodeExecutor());
  }

  @AfterAll
  void deleteTopology() {
    if (topology != null) {
      topology.close();
    }
  }

  @AfterEach
  void removeAllowlist() throws Exception {
    applier.remove("np");
  }

  private static NodePortAllowlist allowlist(Mode mode, int... ports) {
    NodePortAllowlist.Builder builder =
        NodePortAllowlist.builder()
            .name("np")
            .mode(mode)
            .addAllowedCidrs(NodeTopology.ALLOWED_IP + "/32", NodeTopology.ALLOWED_IP6);
    for (int port : ports) {
      builder.addPorts(PortRange.of(port));
    }
    return builder.build();
  }

  @Test
  void withoutAllowlistEveryoneGetsThrough() {
    assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.DNAT_PORT)).isEqualTo("pod");
    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.DNAT_PORT)).isEqualTo("pod");
    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.REDIRECT_PORT))
        .isEqualTo("node");
    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.HOST_PORT)).isEqualTo("host");
  }

  @ParameterizedTest
  @EnumSource(
      value = Mode.class,
      names = {"RAW_PREROUTING", "CONNTRACK"})
  void allowlistHoldsBehindDnatToAPod(Mode mode) throws Exception {
    IptablesApplyResult result = applier.apply(allowlist(mode, NodeTopology.DNAT_PORT));
    assertThat(result.changed()).isTrue();

    assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.DNAT_PORT)).isEqualTo("pod");
    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.DNAT_PORT)).isNull();
    // other ports are not affected
    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.HOST_PORT)).isEqualTo("host");
  }

  @ParameterizedTest
  @EnumSource(
      value = Mode.class,
      names = {"RAW_PREROUTING", "CONNTRACK"})
  void allowlistHoldsBehindALocalRedirect(Mode mode) throws Exception {
    applier.apply(allowlist(mode, NodeTopology.REDIRECT_PORT));

    assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.REDIRECT_PORT))
        .isEqualTo("node");
    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.REDIRECT_PORT)).isNull();
  }

  @ParameterizedTest
  @EnumSource(Mode.class)
  void everyModeHoldsForAPlainHostNetworkListener(Mode mode) throws Exception {
    applier.apply(allowlist(mode, NodeTopology.HOST_PORT));

    assertThat(topology.connect(NodeTopology.ALLOWED_IP, NodeTopology.HOST_PORT)).isEqualTo("host");
    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.HOST_PORT)).isNull();
  }

  /**
   * The trap of the seed notes: INPUT rules on the NodePort never see it after DNAT or REDIRECT, so
   * a denied source gets straight through. This test documents it; the allowlist warns.
   */
  @Test
  void inputModeFailsBehindDnatAndRedirect() throws Exception {
    NodePortAllowlist trap =
        allowlist(Mode.INPUT, NodeTopology.DNAT_PORT, NodeTopology.REDIRECT_PORT);
    IptablesApplyResult result = applier.apply(trap);
    assertThat(result.warnings()).anyMatch(w -> w.contains("does not hold behind kube-proxy"));

    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.DNAT_PORT)).isEqualTo("pod");
    assertThat(topology.connect(NodeTopology.DENIED_IP, NodeTopology.REDIRECT_PORT))
        .isEqualTo("node");
  }

  @ParameterizedTest
  @EnumSource(
      value = Mode.class,
      names = {"RAW_PREROUTING", "INPUT"})
  void ipv6AllowlistHolds(Mode mode) throws Exception {
    assertThat(topology.connect(NodeTopology.DENIED_IP6, NodeTopology.HOST_PORT))
        .isEqualTo("host6");
    applier.apply(allowlist(mode, NodeTopology.HOST_PORT));

    assertThat(topology.connect(NodeTopology.ALLOWED_IP6, NodeTopology.HOST_PORT))
        .isEqualTo("host6");
    assertThat(topology.connect(NodeTopology.DENIED_IP6, NodeTopology.HOST_PORT)).isNull();
    assertThat(topology.save("ip6tables-save"))
        .contains("-A OPSKIT-np -s fd00:198:18::2/128 -j RETURN");
    assertThat(List.of(topology.save("iptables-save"))).allMatch(s -> s.contains("OPSKIT-np"));
  }
}
