package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.iptables.NodePortAllowlist.Mode;
import dev.opskit.testing.FakeHost;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** How an allowlist's mode is chosen for a datapath, and how the applier resolves AUTO. */
class ModeChoiceTest {
  private static NodePortAllowlist.Builder web(Mode mode, int port) {
    return NodePortAllowlist.builder()
        .name("web")
        .mode(mode)
        .addPorts(PortRange.of(port))
        .addAllowedCidrs("198.18.1.0/24")
        .ipv6(false);
  }

  @ParameterizedTest
  @EnumSource(
      value = Datapath.Kind.class,
      names = {"KUBE_PROXY_IPTABLES", "KUBE_PROXY_IPVS", "KUBE_PROXY_NFTABLES", "NONE"})
  void autoPicksRawPreroutingBehindEveryKubeProxyMode(Datapath.Kind kind) {
    ModeChoice choice = web(Mode.AUTO, 30001).build().chooseMode(Datapath.of(kind));

    assertThat(choice.mode()).isEqualTo(Mode.RAW_PREROUTING);
    assertThat(choice.holds()).isTrue();
    assertThat(choice.reason()).contains("raw PREROUTING (priority -300) drops before any DNAT");
    assertThat(choice.summary()).startsWith("mode RAW_PREROUTING: ");
  }

  @Test
  void theReasonNamesKubeProxysHook() {
    ModeChoice choice =
        web(Mode.AUTO, 30001).build().chooseMode(Datapath.of(Datapath.Kind.KUBE_PROXY_NFTABLES));

    assertThat(choice.reason())
        .startsWith("kube-proxy in nftables mode DNATs NodePorts in its own table at the dstnat");
  }

  @Test
  void autoPicksConntrackForAPortInTheEphemeralRange() {
    ModeChoice choice =
        web(Mode.AUTO, 40000).build().chooseMode(Datapath.of(Datapath.Kind.KUBE_PROXY_IPTABLES));

    assertThat(choice.mode()).isEqualTo(Mode.CONNTRACK);
    assertThat(choice.reason()).contains("[40000]").contains("32768-60999");
  }

  @ParameterizedTest
  @EnumSource(
      value = Datapath.Kind.class,
      names = {"CILIUM_EBPF", "CALICO_EBPF"})
  void everyModeIsRefusedOnAnEbpfDatapath(Datapath.Kind kind) {
    Datapath datapath = Datapath.of(kind, "interface x");
    for (Mode mode : Mode.values()) {
      assertThatThrownBy(() -> web(mode, 30001).build().chooseMode(datapath))
          .isInstanceOf(UnsupportedDatapathException.class)
          .hasMessageContaining("refusing allowlist 'web'")
          .hasMessageContaining(datapath.nativePolicy().orElseThrow())
          .hasMessageNotContaining("\n");
    }
  }

  @Test
  void forcedOnEbpfItIsAppliedButSaidNotToHold() {
    ModeChoice choice =
        web(Mode.AUTO, 30001)
            .allowUnsupportedDatapath(true)
            .build()
            .chooseMode(Datapath.of(Datapath.Kind.CILIUM_EBPF));

    assertThat(choice.mode()).isEqualTo(Mode.RAW_PREROUTING);
    assertThat(choice.holds()).isFalse();
    assertThat(choice.reason()).startsWith("forced on Cilium's eBPF kube-proxy replacement");
  }

  @Test
  void anExplicitModeIsKeptAndSaysWhetherItHolds() {
    ModeChoice input =
        web(Mode.INPUT, 30001).build().chooseMode(Datapath.of(Datapath.Kind.KUBE_PROXY_NFTABLES));
    assertThat(input.mode()).isEqualTo(Mode.INPUT);
    assertThat(input.holds()).isFalse();
    assertThat(input.reason()).contains("does not hold");

    ModeChoice ipvs =
        web(Mode.INPUT, 30001).build().chooseMode(Datapath.of(Datapath.Kind.KUBE_PROXY_IPVS));
    assertThat(ipvs.holds()).isTrue();

    ModeChoice conntrack =
        web(Mode.CONNTRACK, 30001)
            .build()
            .chooseMode(Datapath.of(Datapath.Kind.KUBE_PROXY_IPTABLES));
    assertThat(conntrack.mode()).isEqualTo(Mode.CONNTRACK);
    assertThat(conntrack.holds()).isTrue();
  }

  @Test
  void anAutoAllowlistHasNoRulesUntilItsModeIsChosen() {
    NodePortAllowlist auto = web(Mode.AUTO, 30001).build();

    assertThatThrownBy(() -> auto.ruleSet(IpFamily.IPV4))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mode AUTO");
    assertThat(auto.inMode(Mode.RAW_PREROUTING).ruleSet(IpFamily.IPV4).render()).contains("*raw");
  }

  @Test
  void aModeChoiceNeverNamesAuto() {
    assertThatThrownBy(
            () ->
                ModeChoice.builder()
                    .mode(Mode.AUTO)
                    .datapath(Datapath.of(Datapath.Kind.NONE))
                    .holds(true)
                    .reason("x")
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theApplierResolvesAutoOnceAndReportsTheChoice() throws Exception {
    FakeHost host = FakeHost.create();
    AtomicInteger detections = new AtomicInteger();
    IptablesApplier applier =
        IptablesApplier.builder(host)
            .verifyAfterApply(false)
            .datapathDetector(
                () -> {
                  detections.incrementAndGet();
                  return Datapath.of(Datapath.Kind.KUBE_PROXY_NFTABLES, "nft table ip kube-proxy");
                })
            .build();

    IptablesApplyResult result = applier.apply(web(Mode.AUTO, 30001).build());

    assertThat(detections).hasValue(1);
    assertThat(result.modeChoice())
        .hasValueSatisfying(
            c -> {
              assertThat(c.mode()).isEqualTo(Mode.RAW_PREROUTING);
              assertThat(c.datapath().kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_NFTABLES);
            });
    assertThat(result.warnings()).isEmpty();
    List<String> restores =
        host.steps().stream()
            .filter(c -> c.argv().get(0).equals("iptables-restore"))
            .map(c -> new String(c.stdin(), StandardCharsets.UTF_8))
            .toList();
    assertThat(restores).singleElement().asString().startsWith("*raw");
  }

  @Test
  void anExplicitModeIsAppliedWithoutDetection() throws Exception {
    FakeHost host = FakeHost.create();
    IptablesApplier applier =
        IptablesApplier.builder(host)
            .verifyAfterApply(false)
            .datapathDetector(
                () -> {
                  throw new AssertionError("an explicit mode needs no detection");
                })
            .build();

    IptablesApplyResult result = applier.apply(web(Mode.RAW_PREROUTING, 30001).build());

    assertThat(result.changed()).isTrue();
    assertThat(result.modeChoice()).isEmpty();
    assertThat(host.iptablesSave(IpFamily.IPV4)).contains("-j OPSKIT-web");
  }

  @Test
  void theApplierRefusesOnEbpfBeforeTouchingTheHost() throws Exception {
    FakeHost host = FakeHost.create();
    IptablesApplier applier =
        IptablesApplier.builder(host)
            .verifyAfterApply(false)
            .datapathDetector(() -> Datapath.of(Datapath.Kind.CALICO_EBPF, "interface bpfin.cali"))
            .build();

    assertThatThrownBy(() -> applier.apply(web(Mode.AUTO, 30001).build()))
        .isInstanceOf(UnsupportedDatapathException.class)
        .hasMessageContaining("Calico's eBPF dataplane (interface bpfin.cali)")
        .hasMessageContaining("GlobalNetworkPolicy");
    assertThat(host.calls()).isEmpty();

    IptablesApplyResult forced =
        applier.apply(web(Mode.AUTO, 30001).allowUnsupportedDatapath(true).build());
    assertThat(forced.changed()).isTrue();
    assertThat(forced.warnings()).anyMatch(w -> w.startsWith("forced on Calico's eBPF dataplane"));
  }
}
