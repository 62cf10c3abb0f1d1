package dev.opskit.iptables;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.test.TestNetworks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node whose NodePort 30001 is DNAT-ed to a pod behind it by native nftables rules laid out as
 * kube-proxy's nftables mode lays them out: its own {@code ip}/{@code ip6} table {@code
 * kube-proxy}, a {@code nat-prerouting} chain at the prerouting hook with priority {@code dstnat},
 * a {@code service-nodeports} verdict map on protocol and port for local destinations, the DNAT in
 * an endpoint chain, and masquerading of the marked traffic at {@code srcnat}. No iptables nat rule
 * is involved. Addresses from 198.18.0.0/15 and 2001:db8::/32, in namespaces this test creates.
 */
final class NftablesKubeProxyNode implements AutoCloseable {
  static final String NODE_IP = "198.18.0.1";
  static final String ALLOWED_IP = "198.18.0.2";
  static final String DENIED_IP = "198.18.0.3";
  static final String POD_IP = "198.18.2.2";
  static final String NODE_IP6 = "2001:db8:18::1";
  static final String ALLOWED_IP6 = "2001:db8:18::2";
  static final String DENIED_IP6 = "2001:db8:18::3";
  static final String POD_IP6 = "2001:db8:19::2";
  static final int NODE_PORT = 30001;

  final TestNetworks net = TestNetworks.create();
  final String client;
  final String node;
  final String pod;
  private final List<Process> servers = new ArrayList<>();

  NftablesKubeProxyNode() {
    try {
      client = net.namespace("client");
      node = net.namespace("node");
      pod = net.namespace("pod");
      List<String> clientLink = net.link(client, ALLOWED_IP + "/24", node, NODE_IP + "/24");
      net.address(client, clientLink.get(0), DENIED_IP + "/24");
      net.address(client, clientLink.get(0), ALLOWED_IP6 + "/64");
      net.address(client, clientLink.get(0), DENIED_IP6 + "/64");
      net.address(node, clientLink.get(1), NODE_IP6 + "/64");
      List<String> podLink = net.link(node, "198.18.2.1/24", pod, POD_IP + "/24");
      net.address(node, podLink.get(0), "2001:db8:19::1/64");
      net.address(pod, podLink.get(1), POD_IP6 + "/64");
      net.exec(pod, "ip", "route", "add", "default", "via", "198.18.2.1");
      net.exec(pod, "ip", "-6", "route", "add", "default", "via", "2001:db8:19::1");
      net.exec(node, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
      net.exec(node, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
      nft(kubeProxyTable("ip", "ip daddr != 127.0.0.0/8", POD_IP));
      nft(kubeProxyTable("ip6", "ip6 daddr != ::1", "[" + POD_IP6 + "]"));
      start(pod, "TCP4-LISTEN:8080,fork,reuseaddr", "pod");
      start(pod, "TCP6-LISTEN:8080,fork,reuseaddr,ipv6only=1", "pod6");
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** The table kube-proxy's nftables mode writes for one NodePort service, trimmed to the NAT. */
  private static String kubeProxyTable(String family, String notLoopback, String endpoint) {
    return String.join(
        "\n",
        "table " + family + " kube-proxy {",
        "  map service-nodeports {",
        "    type inet_proto . inet_service : verdict",
        "    elements = { tcp . " + NODE_PORT + " : goto external-web }",
        "  }",
        "  chain nat-prerouting {",
        "    type nat hook prerouting priority dstnat; policy accept;",
        "    jump services",
        "  }",
        "  chain services {",
        "    fib daddr type local "
            + notLoopback
            + " meta l4proto . th dport vmap @service-nodeports",
        "  }",
        "  chain external-web {",
        "    meta mark set meta mark | 0x00004000",
        "    goto endpoint-web",
        "  }",
        "  chain endpoint-web {",
        "    meta l4proto tcp dnat to " + endpoint + ":8080",
        "  }",
        "  chain nat-postrouting {",
        "    type nat hook postrouting priority srcnat; policy accept;",
        "    jump masquerading",
        "  }",
        "  chain masquerading {",
        "    meta mark & 0x00004000 == 0 return",
        "    meta mark set meta mark ^ 0x00004000",
        "    masquerade fully-random",
        "  }",
        "}",
        "");
  }

  private void nft(String ruleset) {
    try {
      nodeExecutor()
          .execute(
              Command.of("nft", "-f", "-").withStdin(ruleset).withTimeout(Duration.ofSeconds(30)))
          .requireSuccess();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** An executor inside the node namespace. */
  CommandExecutor nodeExecutor() {
    return net.executor(node);
  }

  /** The node's nftables ruleset, as {@code nft list ruleset} prints it. */
  String ruleset() {
    return net.exec(node, "nft", "list", "ruleset").stdoutUtf8();
  }

  private void start(String namespace, String listen, String reply) {
    try {
      Process process =
          new ProcessBuilder(
                  "ip", "netns", "exec", namespace, "socat", listen, "SYSTEM:echo " + reply)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      servers.add(process);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String port = listen.replaceAll("^TCP[46]-LISTEN:([0-9]+).*", "$1");
    String family = listen.startsWith("TCP6") ? "-6" : "-4";
    for (int i = 0; i < 50; i++) {
      if (net.exec(namespace, "ss", "-Htln", family).stdoutUtf8().contains(":" + port + " ")) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("no listener on " + listen + " in " + namespace);
  }

  /**
   * Opens a real TCP connection from {@code sourceIp} (an address of the client) to the NodePort on
   * the node's address of the same family; returns what the pod answered, or null when the
   * connection did not get through within the 1-second connect timeout.
   */
  String connect(String sourceIp) {
    return NodeTopology.connect(
        client, sourceIp, sourceIp.contains(":") ? NODE_IP6 : NODE_IP, NODE_PORT);
  }

  @Override
  public void close() {
    for (Process server : servers) {
      server.descendants().forEach(ProcessHandle::destroyForcibly);
      server.destroyForcibly();
      try {
        server.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    net.close();
  }
}
