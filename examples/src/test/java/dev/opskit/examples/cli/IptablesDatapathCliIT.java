package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.Command;
import dev.opskit.core.test.Privileged;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code allow-nodeport} on nodes of each datapath, in a namespace that carries that datapath's
 * marks on the real kernel: Cilium's {@code cilium_host}/{@code cilium_net} veth pair, Calico
 * eBPF's {@code bpfin.cali}/{@code bpfout.cali} pair, or kube-proxy's nftables table.
 */
@Privileged(tools = {"ip", "iptables", "iptables-save", "nft"})
class IptablesDatapathCliIT {
  @RegisterExtension final CliNamespace node = new CliNamespace("dp");

  private CliRun allow(String... extra) {
    String[] args = {
      "allow-nodeport", "--name", "web", "--port", "30001", "--allow", "198.18.1.0/24"
    };
    return node.iptables(CliNamespace.plus(args, extra));
  }

  private void vethPair(String a, String b) {
    node.exec("ip", "link", "add", a, "type", "veth", "peer", "name", b);
  }

  @Test
  void ciliumKubeProxyReplacementIsRefusedInOneLineUnlessForced() {
    vethPair("cilium_host", "cilium_net");

    CliRun refused = allow();

    assertThat(refused.exitCode).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err.strip())
        .doesNotContain("\n")
        .startsWith("opskit: refusing allowlist 'web'")
        .contains("Cilium's eBPF kube-proxy replacement (interface cilium_host, cilium_net)")
        .contains("CiliumClusterwideNetworkPolicy")
        .endsWith("--force applies it anyway");
    assertThat(node.save()).doesNotContain("OPSKIT-web");

    CliRun forced = allow("--force");

    assertThat(forced.exitCode).as(forced.toString()).isZero();
    assertThat(forced.out).contains("mode RAW_PREROUTING: forced on Cilium");
    assertThat(forced.err).contains("warning: forced on Cilium");
    assertThat(node.save()).contains("-A OPSKIT-web -s 198.18.1.0/24 -j RETURN");
  }

  @Test
  void calicoEbpfIsRefusedForAnExplicitModeToo() {
    vethPair("bpfin.cali", "bpfout.cali");

    CliRun refused = allow("--mode", "conntrack");

    assertThat(refused.exitCode).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err.strip())
        .doesNotContain("\n")
        .contains("Calico's eBPF dataplane (interface bpfin.cali, bpfout.cali)")
        .contains("GlobalNetworkPolicy with preDNAT: true");
    assertThat(node.save()).doesNotContain("OPSKIT-web");
  }

  @Test
  void autoSaysWhichModeItPicksBehindNftablesKubeProxyAndWhy() throws Exception {
    node.executor()
        .execute(
            Command.of("nft", "-f", "-")
                .withStdin(
                    "table ip kube-proxy {\n"
                        + "  chain nat-prerouting {\n"
                        + "    type nat hook prerouting priority dstnat; policy accept;\n"
                        + "  }\n"
                        + "}\n")
                .withTimeout(Duration.ofSeconds(30)))
        .requireSuccess();

    CliRun run = allow("--dry-run");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out)
        .contains("datapath: kube-proxy in nftables mode (nft table ip kube-proxy)")
        .contains("mode RAW_PREROUTING: kube-proxy in nftables mode DNATs NodePorts")
        .contains("raw: create chain OPSKIT-web");
  }

  @Test
  void anUnknownModeNamesTheChoices() {
    CliRun run = allow("--mode", "prerouting");

    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.err).contains("'prerouting' must be auto, raw, conntrack or input");
  }
}
