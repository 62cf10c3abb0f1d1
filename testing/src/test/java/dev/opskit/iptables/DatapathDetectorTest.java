package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.testing.FakeHost;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Detection on nodes in memory: each test sets up what a node of one datapath has for the
 * detector's reads (interfaces, pinned BPF maps, nft tables, the nat tables, Felix's environment);
 * a read the node cannot answer fails as it would there (a missing folder or program).
 */
class DatapathDetectorTest {
  private static final String BARE_INTERFACES = "eth0\nlo\n";
  private static final String NAT_EMPTY =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
          + ":POSTROUTING ACCEPT [0:0]\nCOMMIT\n";
  private static final String NAT_KUBE_PROXY =
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
          + ":POSTROUTING ACCEPT [0:0]\n:KUBE-MARK-MASQ - [0:0]\n:KUBE-NODEPORTS - [0:0]\n"
          + ":KUBE-POSTROUTING - [0:0]\n:KUBE-SERVICES - [0:0]\n"
          + "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
          + "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must"
          + " be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n"
          + "COMMIT\n";

  /** What one node prints; null means the read fails there. */
  private static final class Node {
    String interfaces = BARE_INTERFACES;
    String bpfGlobals;
    String nftTables;
    String nat4 = NAT_EMPTY;
    String nat6 = NAT_EMPTY;
    String felix = "";

    FakeHost fake() {
      FakeHost node = FakeHost.create();
      if (interfaces == null) {
        node.failWhen(List.of("ls", "/sys/class/net")::equals, 2, "not here");
      } else {
        node.withInterfaces(interfaces.split("\n"));
      }
      if (bpfGlobals != null) {
        for (String map : bpfGlobals.split("\n")) {
          node.withFile("/sys/fs/bpf/tc/globals/" + map, "");
        }
      }
      if (nftTables == null) {
        node.withoutProgram("nft");
      } else {
        node.withNftTables(nftTables.split("\n"));
      }
      seedNat(node, IpFamily.IPV4, nat4);
      seedNat(node, IpFamily.IPV6, nat6);
      if (!felix.isEmpty()) {
        node.withProcess("calico-node", felix.split("\n"));
      }
      return node;
    }

    private static void seedNat(FakeHost node, IpFamily family, String nat) {
      if (nat == null) {
        String save = family == IpFamily.IPV4 ? "iptables-save" : "ip6tables-save";
        node.failWhen(List.of(save, "-t", "nat")::equals, 1, "not here");
      } else {
        node.withIptables(family, nat);
      }
    }

    Datapath detect() throws Exception {
      return DatapathDetector.on(fake()).detect();
    }
  }

  @Test
  void readsEverythingInOneBatchedCall() throws Exception {
    FakeHost fake = new Node().fake();
    DatapathDetector.on(fake).detect();

    assertThat(fake.calls()).hasSize(1);
    assertThat(fake.calls().get(0).argvs())
        .hasSize(6)
        .startsWith(
            List.of("ls", "/sys/class/net"),
            List.of("ls", "/sys/fs/bpf/tc/globals"),
            List.of("nft", "list", "tables"),
            List.of("iptables-save", "-t", "nat"),
            List.of("ip6tables-save", "-t", "nat"));
  }

  @Test
  void kubeProxyInIptablesModeByItsNatChains() throws Exception {
    Node node = new Node();
    node.nat4 = NAT_KUBE_PROXY;

    Datapath datapath = node.detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPTABLES);
    assertThat(datapath.evidence())
        .containsExactly("iptables-save nat chains KUBE-NODEPORTS, KUBE-SERVICES");
    assertThat(datapath.bypassesNetfilter()).isFalse();
  }

  @Test
  void anIpv6OnlyKubeProxyIsFoundInIp6tables() throws Exception {
    Node node = new Node();
    node.nat6 = NAT_KUBE_PROXY;

    assertThat(node.detect().kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPTABLES);
  }

  @Test
  void kubeProxyInIpvsModeByItsDummyInterface() throws Exception {
    Node node = new Node();
    node.interfaces = "eth0\nkube-ipvs0\nlo\n";
    node.nat4 = NAT_KUBE_PROXY; // IPVS mode keeps KUBE-SERVICES in nat too

    Datapath datapath = node.detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPVS);
    assertThat(datapath.evidence()).contains("interface kube-ipvs0");
  }

  @Test
  void kubeProxyInNftablesModeByItsTable() throws Exception {
    Node node = new Node();
    node.nftTables = "table ip filter\ntable ip kube-proxy\ntable ip6 kube-proxy\n";

    Datapath datapath = node.detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_NFTABLES);
    assertThat(datapath.evidence())
        .containsExactly("nft table ip kube-proxy", "nft table ip6 kube-proxy");
  }

  @Test
  void aTableNamedLikeKubeProxyInAnotherFamilyOrWithAPrefixIsNotIt() throws Exception {
    Node node = new Node();
    node.nftTables = "table inet kube-proxy-test\ntable ip kube-proxyish\n";

    assertThat(node.detect().kind()).isEqualTo(Datapath.Kind.NONE);
  }

  @Test
  void ciliumWithoutKubeProxyIsItsEbpfReplacement() throws Exception {
    Node node = new Node();
    node.interfaces = "cilium_host\ncilium_net\ncilium_vxlan\neth0\nlo\nlxc_health\n";
    node.bpfGlobals = "cilium_calls_hostns\ncilium_ct4_global\ncilium_lb4_services_v2\n";

    Datapath datapath = node.detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.CILIUM_EBPF);
    assertThat(datapath.bypassesNetfilter()).isTrue();
    assertThat(datapath.evidence())
        .containsExactly(
            "interface cilium_host, cilium_net, cilium_vxlan",
            "pinned BPF maps /sys/fs/bpf/tc/globals/cilium_*");
    assertThat(datapath.nativePolicy())
        .hasValueSatisfying(p -> assertThat(p).contains("CiliumClusterwideNetworkPolicy"));
  }

  @Test
  void ciliumPinnedMapsAloneAreEnough() throws Exception {
    Node node = new Node();
    node.bpfGlobals = "cilium_lb4_services_v2\n";

    assertThat(node.detect().kind()).isEqualTo(Datapath.Kind.CILIUM_EBPF);
  }

  @Test
  void ciliumBesideKubeProxyLeavesNodePortsToKubeProxy() throws Exception {
    Node node = new Node();
    node.interfaces = "cilium_host\ncilium_net\neth0\nlo\n";
    node.nat4 = NAT_KUBE_PROXY;

    Datapath datapath = node.detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPTABLES);
    assertThat(datapath.evidence()).anyMatch(e -> e.startsWith("Cilium runs beside kube-proxy"));
  }

  @Test
  void calicoEbpfByItsInterfacesAndMapsEvenWithKubeProxyLeftovers() throws Exception {
    Node node = new Node();
    node.interfaces = "bpfin.cali\nbpfout.cali\ncali12ab34cd\neth0\nlo\nvxlan.calico\n";
    node.bpfGlobals = "cali_v4_ct3\ncali_v4_nat_fe3\ncali_v4_routes\n";
    node.nat4 = NAT_KUBE_PROXY;

    Datapath datapath = node.detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.CALICO_EBPF);
    assertThat(datapath.evidence())
        .contains(
            "interface bpfin.cali, bpfout.cali", "pinned BPF maps /sys/fs/bpf/tc/globals/cali_*");
    assertThat(datapath.nativePolicy())
        .hasValueSatisfying(p -> assertThat(p).contains("preDNAT", "CalicoNodePortPolicy"));
  }

  @Test
  void felixEnvironmentDecidesCalico() throws Exception {
    Node enabled = new Node();
    enabled.felix = "FELIX_BPFENABLED=true\n";
    assertThat(enabled.detect().kind()).isEqualTo(Datapath.Kind.CALICO_EBPF);
    assertThat(enabled.detect().evidence()).containsExactly("Felix FELIX_BPFENABLED=true");

    // leftovers of an earlier eBPF run do not count once Felix says it is off
    Node disabled = new Node();
    disabled.interfaces = "bpfin.cali\nbpfout.cali\neth0\nlo\n";
    disabled.felix = "FELIX_BPFENABLED=false\n";
    disabled.nat4 = NAT_KUBE_PROXY;
    assertThat(disabled.detect().kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPTABLES);
  }

  @Test
  void calicoIptablesDataplaneIsNotEbpf() throws Exception {
    Node node = new Node();
    node.interfaces = "cali12ab34cd\neth0\nlo\ntunl0\nvxlan.calico\n";
    node.nat4 =
        NAT_KUBE_PROXY.replace(":KUBE-NODEPORTS", ":cali-PREROUTING - [0:0]\n:KUBE-NODEPORTS");

    assertThat(node.detect().kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPTABLES);
  }

  @Test
  void aNodeWhereEveryReadFailsHasNoDatapath() throws Exception {
    Node node = new Node();
    node.interfaces = null;
    node.nat4 = null;
    node.nat6 = null;

    Datapath datapath = node.detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.NONE);
    assertThat(datapath.evidence()).isEmpty();
    assertThat(datapath.summary()).isEqualTo("no kube-proxy or eBPF datapath found");
  }
}
