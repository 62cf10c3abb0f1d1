package dev.opskit.iptables;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import dev.opskit.core.test.TestNetworks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Kubernetes node in miniature, in namespaces this test creates: a client with an allowed and a
 * denied address, a node forwarding to a pod behind it, a kube-proxy-like DNAT of NodePort 30001 to
 * the pod, a local REDIRECT of 30002 to a host-network listener on 8080, and a plain host-network
 * listener on 30003. All addresses are in 198.18.0.0/15 (IPv6: fd00:198:18::/64).
 */
final class NodeTopology implements AutoCloseable {
  static final String NODE_IP = "198.18.0.1";
  static final String ALLOWED_IP = "198.18.0.2";
  static final String DENIED_IP = "198.18.0.3";
  static final String POD_IP = "198.18.2.2";
  static final String NODE_IP6 = "fd00:198:18::1";
  static final String ALLOWED_IP6 = "fd00:198:18::2";
  static final String DENIED_IP6 = "fd00:198:18::3";
  static final int DNAT_PORT = 30001;
  static final int REDIRECT_PORT = 30002;
  static final int HOST_PORT = 30003;

  final TestNetworks net = TestNetworks.create();
  final String client;
  final String node;
  final String pod;
  private final List<Process> servers = new ArrayList<>();

  NodeTopology() {
    try {
      client = net.namespace("client");
      node = net.namespace("node");
      pod = net.namespace("pod");
      List<String> clientLink = net.link(client, ALLOWED_IP + "/24", node, NODE_IP + "/24");
      net.address(client, clientLink.get(0), DENIED_IP + "/24");
      net.address(client, clientLink.get(0), ALLOWED_IP6 + "/64");
      net.address(client, clientLink.get(0), DENIED_IP6 + "/64");
      net.address(node, clientLink.get(1), NODE_IP6 + "/64");
      net.link(node, "198.18.2.1/24", pod, POD_IP + "/24");
      net.exec(pod, "ip", "route", "add", "default", "via", "198.18.2.1");
      net.exec(node, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
      net.exec(
          node,
          "iptables",
          "-w",
          "-t",
          "nat",
          "-A",
          "PREROUTING",
          "-p",
          "tcp",
          "--dport",
          Integer.toString(DNAT_PORT),
          "-m",
          "addrtype",
          "--dst-type",
          "LOCAL",
          "-j",
          "DNAT",
          "--to-destination",
          POD_IP + ":8080");
      net.exec(
          node,
          "iptables",
          "-w",
          "-t",
          "nat",
          "-A",
          "PREROUTING",
          "-p",
          "tcp",
          "--dport",
          Integer.toString(REDIRECT_PORT),
          "-j",
          "REDIRECT",
          "--to-ports",
          "8080");
      serve(pod, "8080", "pod");
      serve(node, "8080", "node");
      serve(node, Integer.toString(HOST_PORT), "host");
      serve6(node, Integer.toString(HOST_PORT), "host6");
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** An executor inside the node namespace. */
  CommandExecutor nodeExecutor() {
    return net.executor(node);
  }

  private void serve(String namespace, String port, String reply) {
    start(namespace, "TCP4-LISTEN:" + port + ",fork,reuseaddr", reply);
  }

  private void serve6(String namespace, String port, String reply) {
    start(namespace, "TCP6-LISTEN:" + port + ",fork,reuseaddr,ipv6only=1", reply);
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
    awaitListening(namespace, listen);
  }

  private void awaitListening(String namespace, String listen) {
    String port = listen.replaceAll("^TCP[46]-LISTEN:([0-9]+).*", "$1");
    for (int i = 0; i < 50; i++) {
      String sockets = net.exec(namespace, "ss", "-Htln").stdoutUtf8();
      if (sockets.contains(":" + port + " ")) {
        return;
      }
      sleep(100);
    }
    throw new IllegalStateException("no listener on " + listen + " in " + namespace);
  }

  /**
   * Opens a real TCP connection from {@code sourceIp} (an address of the client namespace) to the
   * node and returns what the server answered, or null when the connection did not get through
   * within the 1-second connect timeout.
   */
  String connect(String sourceIp, int port) {
    return connect(client, sourceIp, sourceIp.contains(":") ? NODE_IP6 : NODE_IP, port);
  }

  /**
   * Opens a TCP connection from {@code sourceIp} in namespace {@code from} to {@code address} and
   * {@code port}, and returns what the server answered, or null when the connection did not get
   * through within the 1-second connect timeout.
   */
  static String connect(String from, String sourceIp, String address, int port) {
    boolean v6 = sourceIp.contains(":");
    String target = v6 ? "TCP6:[" + address + "]:" + port : "TCP4:" + address + ":" + port;
    String bind = v6 ? "[" + sourceIp + "]" : sourceIp;
    Command command =
        Command.of(
                "ip",
                "netns",
                "exec",
                from,
                "socat",
                "-u",
                "-T",
                "2",
                target + ",bind=" + bind + ",connect-timeout=1",
                "STDOUT")
            .withTimeout(Duration.ofSeconds(5));
    try {
      ExecResult result = LocalExecutor.create().execute(command);
      String out = result.stdoutUtf8().strip();
      return result.isSuccess() && !out.isEmpty() ? out : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The node's rules of one family without comments and counters, for state comparisons. */
  String save(String program) {
    return net.exec(node, program)
        .stdoutUtf8()
        .lines()
        .filter(l -> !l.startsWith("#"))
        .map(l -> l.replaceAll("\\[[0-9]+:[0-9]+\\]", "[0:0]"))
        .reduce("", (a, b) -> a + b + "\n");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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
