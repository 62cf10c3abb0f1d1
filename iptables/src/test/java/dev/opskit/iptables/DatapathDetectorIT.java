package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.Command;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detection against the real programs, each test in a fresh namespace that carries one datapath's
 * marks as the kernel shows them: kube-proxy's nat chains (iptables and ip6tables), its {@code
 * kube-ipvs0} interface, its nftables table, Cilium's and Calico eBPF's veth pairs.
 */
@Privileged(tools = {"ip", "iptables", "ip6tables", "iptables-save", "nft"})
class DatapathDetectorIT {
  private TestNetworks net;
  private String node;

  @BeforeEach
  void createNamespace() {
    net = TestNetworks.create();
    node = net.namespace("detect");
  }

  @AfterEach
  void deleteNamespace() {
    net.close();
  }

  private Datapath detect() throws Exception {
    return TestAppliers.detector(net.executor(node)).detect();
  }

  private void kubeProxyChains(String program) {
    net.exec(node, program, "-w", "-t", "nat", "-N", "KUBE-SERVICES");
    net.exec(node, program, "-w", "-t", "nat", "-N", "KUBE-NODEPORTS");
    net.exec(node, program, "-w", "-t", "nat", "-A", "PREROUTING", "-j", "KUBE-SERVICES");
  }

  @Test
  void aBareNamespaceHasNoDatapath() throws Exception {
    Datapath datapath = detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.NONE);
    assertThat(datapath.evidence()).isEmpty();
  }

  @Test
  void kubeProxyInIptablesMode() throws Exception {
    kubeProxyChains("iptables");

    Datapath datapath = detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPTABLES);
    assertThat(datapath.evidence())
        .containsExactly("iptables-save nat chains KUBE-NODEPORTS, KUBE-SERVICES");
  }

  @Test
  void kubeProxyInIptablesModeOnIpv6Only() throws Exception {
    kubeProxyChains("ip6tables");

    Datapath datapath = detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPTABLES);
    assertThat(datapath.evidence())
        .containsExactly("ip6tables-save nat chains KUBE-NODEPORTS, KUBE-SERVICES");
  }

  @Test
  void kubeProxyInIpvsMode() throws Exception {
    kubeProxyChains("iptables");
    // kube-proxy makes a dummy interface; the kind does not matter, and veth needs no module
    net.exec(node, "ip", "link", "add", "kube-ipvs0", "type", "veth", "peer", "name", "ipvs-peer");

    assertThat(detect().kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPVS);
  }

  @Test
  void kubeProxyInNftablesMode() throws Exception {
    net.executor(node)
        .execute(
            Command.of("nft", "-f", "-")
                .withStdin("table ip kube-proxy {\n}\ntable ip6 kube-proxy {\n}\n")
                .withTimeout(Duration.ofSeconds(30)))
        .requireSuccess();

    Datapath datapath = detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_NFTABLES);
    assertThat(datapath.evidence())
        .containsExactly("nft table ip kube-proxy", "nft table ip6 kube-proxy");
  }

  @Test
  void ciliumWithoutKubeProxy() throws Exception {
    net.exec(
        node, "ip", "link", "add", "cilium_host", "type", "veth", "peer", "name", "cilium_net");

    Datapath datapath = detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.CILIUM_EBPF);
    assertThat(datapath.evidence()).containsExactly("interface cilium_host, cilium_net");
  }

  @Test
  void ciliumBesideKubeProxy() throws Exception {
    net.exec(
        node, "ip", "link", "add", "cilium_host", "type", "veth", "peer", "name", "cilium_net");
    kubeProxyChains("iptables");

    assertThat(detect().kind()).isEqualTo(Datapath.Kind.KUBE_PROXY_IPTABLES);
  }

  /**
   * Felix's environment, read from {@code /proc}: a stand-in process named {@code calico-node} (a
   * copy of {@code sleep}) started with {@code FELIX_BPFENABLED=true} for the test's duration.
   */
  @Test
  void calicoEbpfByFelixEnvironment(@TempDir Path dir) throws Exception {
    Path felix = dir.resolve("calico-node");
    Files.copy(Path.of("/bin/sleep"), felix);
    Files.setPosixFilePermissions(felix, PosixFilePermissions.fromString("rwx------"));
    ProcessBuilder builder = new ProcessBuilder(felix.toString(), "30");
    builder.environment().put("FELIX_BPFENABLED", "true");
    Process process = builder.start();
    try {
      Path comm = Path.of("/proc", Long.toString(process.pid()), "comm");
      for (int i = 0; i < 50 && !Files.readString(comm).strip().equals("calico-node"); i++) {
        Thread.sleep(100);
      }
      Datapath datapath = detect();

      assertThat(datapath.kind()).isEqualTo(Datapath.Kind.CALICO_EBPF);
      assertThat(datapath.evidence()).containsExactly("Felix FELIX_BPFENABLED=true");
    } finally {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void calicoEbpf() throws Exception {
    net.exec(
        node, "ip", "link", "add", "bpfin.cali", "type", "veth", "peer", "name", "bpfout.cali");

    Datapath datapath = detect();

    assertThat(datapath.kind()).isEqualTo(Datapath.Kind.CALICO_EBPF);
    assertThat(datapath.evidence()).containsExactly("interface bpfin.cali, bpfout.cali");
  }
}
