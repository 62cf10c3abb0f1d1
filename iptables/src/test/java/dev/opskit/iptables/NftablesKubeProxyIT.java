package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.iptables.NodePortAllowlist.Mode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which allowlist modes hold behind kube-proxy's nftables mode, proven with real TCP connections
 * from an allowed and a denied source, IPv4 and IPv6, through a node whose NodePort is DNAT-ed to a
 * pod by a native nftables table at the dstnat hook (see {@link NftablesKubeProxyNode}).
 *
 * <p>What it shows: RAW_PREROUTING holds (raw PREROUTING, priority -300, drops before the dstnat
 * hook at -100); CONNTRACK holds (the nft DNAT marks the conntrack entry DNAT and keeps the
 * original destination port, which filter FORWARD matches); INPUT fails (after the DNAT the
 * connection to the pod crosses FORWARD, never INPUT, so the denied source gets through). Rule list
 * and ipset behave the same.
 */
@Privileged(
    tools = {"ip", "iptables", "ip6tables", "iptables-legacy", "ipset", "nft", "socat", "ss"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NftablesKubeProxyIT {
  private NftablesKubeProxyNode topology;
  private IptablesApplier applier;

  @BeforeAll
  void createTopology() {
    topology = new NftablesKubeProxyNode();
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

  private static NodePortAllowlist allowlist(Mode mode, boolean ipset) {
    return NodePortAllowlist.builder()
        .name("np")
        .mode(mode)
        .useIpset(ipset)
        .addPorts(PortRange.of(NftablesKubeProxyNode.NODE_PORT))
        .addAllowedCidrs(NftablesKubeProxyNode.ALLOWED_IP, NftablesKubeProxyNode.ALLOWED_IP6)
        .build();
  }

  /** Who got through: each source address with the reply it got ("blocked" when none). */
  private List<String> outcome() {
    List<String> outcome = new ArrayList<>();
    for (String source :
        List.of(
            NftablesKubeProxyNode.ALLOWED_IP,
            NftablesKubeProxyNode.DENIED_IP,
            NftablesKubeProxyNode.ALLOWED_IP6,
            NftablesKubeProxyNode.DENIED_IP6)) {
      String reply = topology.connect(source);
      outcome.add(source + " " + (reply == null ? "blocked" : reply));
    }
    return outcome;
  }

  private static final List<String> HOLDS =
      List.of(
          "198.18.0.2 pod", "198.18.0.3 blocked", "2001:db8:18::2 pod6", "2001:db8:18::3 blocked");
  private static final List<String> OPEN =
      List.of("198.18.0.2 pod", "198.18.0.3 pod", "2001:db8:18::2 pod6", "2001:db8:18::3 pod6");

  @Test
  void theNftablesDnatAloneLetsEveryoneThrough() {
    assertThat(outcome()).isEqualTo(OPEN);
    assertThat(topology.ruleset())
        .contains("table ip kube-proxy", "table ip6 kube-proxy", "priority dstnat");
  }

  static Stream<Arguments> modes() {
    return Stream.of(
        Arguments.of(Mode.RAW_PREROUTING, false, true),
        Arguments.of(Mode.RAW_PREROUTING, true, true),
        Arguments.of(Mode.CONNTRACK, false, true),
        Arguments.of(Mode.CONNTRACK, true, true),
        Arguments.of(Mode.INPUT, false, false),
        Arguments.of(Mode.INPUT, true, false));
  }

  @ParameterizedTest(name = "{0}, ipset {1}: holds {2}")
  @MethodSource("modes")
  void eachModeBehindTheNftablesDnat(Mode mode, boolean ipset, boolean holds) throws Exception {
    IptablesApplyResult result = applier.apply(allowlist(mode, ipset));
    assertThat(result.changed()).isTrue();

    assertThat(outcome()).isEqualTo(holds ? HOLDS : OPEN);
  }

  /** The legacy backend's raw and filter tables hook in at the same priorities as the nft ones. */
  @ParameterizedTest
  @EnumSource(
      value = Mode.class,
      names = {"RAW_PREROUTING", "CONNTRACK"})
  void theLegacyBackendHoldsToo(Mode mode) throws Exception {
    IptablesApplier legacy =
        TestAppliers.builder(topology.nodeExecutor()).backend(IptablesBackend.LEGACY).build();
    try {
      legacy.apply(allowlist(mode, false));

      assertThat(outcome()).isEqualTo(HOLDS);
    } finally {
      legacy.remove("np");
    }
  }

  @Test
  void theDetectorFindsKubeProxysTableAndAutoPicksAModeThatHolds() throws Exception {
    Datapath datapath = TestAppliers.detector(topology.nodeExecutor()).detect();
    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_NFTABLES);
    assertThat(datapath.evidence()).contains("nft table ip kube-proxy", "nft table ip6 kube-proxy");

    IptablesApplyResult result = applier.apply(allowlist(Mode.AUTO, false));

    assertThat(result.modeChoice())
        .hasValueSatisfying(
            choice -> {
              assertThat(choice.mode()).isEqualTo(Mode.RAW_PREROUTING);
              assertThat(choice.datapath().kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_NFTABLES);
            });
    assertThat(outcome()).isEqualTo(HOLDS);
  }
}
