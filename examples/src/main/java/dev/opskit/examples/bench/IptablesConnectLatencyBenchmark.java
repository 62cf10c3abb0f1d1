package dev.opskit.examples.bench;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * TCP connect latency through a raw-PREROUTING NodePort allowlist of 10, 1,000 and 10,000 entries,
 * as a rule list (the client's address is the last entry, the worst case) and as an ipset (should
 * stay flat). A client namespace connects to a listener in a node namespace over a veth pair; the
 * client and server are this class run in a child JVM inside each namespace.
 *
 * <p>Run as root: {@code java -cp opskit.jar
 * dev.opskit.examples.bench.IptablesConnectLatencyBenchmark [connectsPerCase]}.
 */
public final class IptablesConnectLatencyBenchmark {
  private static final String NODE_IP = "198.18.0.1";
  private static final String CLIENT_IP = "198.18.0.2";
  private static final int PORT = 30001;

  private IptablesConnectLatencyBenchmark() {}

  /**
   * Entry point. With {@code server PORT} or {@code client HOST PORT BIND COUNT} it is the child
   * helper; otherwise the benchmark, with an optional number of connects per case (2,000).
   */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("server")) {
      serve(Integer.parseInt(args[1]));
      return;
    }
    if (args.length > 0 && args[0].equals("client")) {
      client(args[1], Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]));
      return;
    }
    int connects = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    try (IptablesBenchNetwork net = new IptablesBenchNetwork()) {
      String client = net.namespace("client");
      String node = net.namespace("node");
      net.link(client, CLIENT_IP + "/24", node, NODE_IP + "/24");
      Process server = child(node, "server", Integer.toString(PORT)).start();
      try {
        Thread.sleep(1500);
        IptablesApplier applier = IptablesApplier.on(net.executor(node));
        System.out.printf(
            Locale.ROOT, "%d connects per case; median / p99 connect time%n", connects);
        report("no allowlist", measure(net, client, connects));
        for (int size : new int[] {10, 1_000, 10_000}) {
          for (boolean ipset : new boolean[] {false, true}) {
            List<String> cidrs = IptablesBenchmark.cidrs(size - 1);
            cidrs.add(CLIENT_IP + "/32");
            NodePortAllowlist list =
                NodePortAllowlist.builder()
                    .name("lat")
                    .addPorts(PortRange.of(PORT))
                    .addAllAllowedCidrs(cidrs)
                    .useIpset(ipset)
                    .ipv6(false)
                    .build();
            applier.apply(list);
            report(
                String.format(
                    Locale.ROOT, "%,6d entries, %s", size, ipset ? "ipset    " : "rule list"),
                measure(net, client, connects));
            applier.remove(list);
          }
        }
      } finally {
        server.descendants().forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly();
        server.waitFor();
      }
    }
  }

  private static ProcessBuilder child(String namespace, String... args) {
    List<String> argv = new ArrayList<>();
    argv.addAll(List.of("ip", "netns", "exec", namespace));
    argv.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    argv.addAll(List.of("-cp", System.getProperty("java.class.path")));
    argv.add(IptablesConnectLatencyBenchmark.class.getName());
    argv.addAll(Arrays.asList(args));
    return new ProcessBuilder(argv).redirectErrorStream(true);
  }

  private static double[] measure(IptablesBenchNetwork net, String client, int connects) {
    List<String> argv =
        new ArrayList<>(
            child(
                    client,
                    "client",
                    NODE_IP,
                    Integer.toString(PORT),
                    CLIENT_IP,
                    Integer.toString(connects))
                .command());
    ExecResult result = net.run(Command.of(argv).withTimeout(Duration.ofMinutes(5)));
    String[] parts = result.stdoutUtf8().strip().split("\\s+");
    return new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])};
  }

  private static void report(String label, double[] micros) {
    System.out.printf(Locale.ROOT, "%-28s %8.1f us %8.1f us%n", label, micros[0], micros[1]);
  }

  private static void serve(int port) throws Exception {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(port), 1024);
      while (true) {
        socket.accept().close();
      }
    }
  }

  private static void client(String host, int port, String bind, int count) throws Exception {
    InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(host), port);
    InetAddress local = InetAddress.getByName(bind);
    for (int i = 0; i < 200; i++) {
      connectOnce(target, local);
    }
    long[] nanos = new long[count];
    for (int i = 0; i < count; i++) {
      nanos[i] = connectOnce(target, local);
    }
    Arrays.sort(nanos);
    System.out.printf(
        Locale.ROOT, "%.1f %.1f%n", nanos[count / 2] / 1e3, nanos[(int) (count * 0.99)] / 1e3);
  }

  private static long connectOnce(InetSocketAddress target, InetAddress local) throws Exception {
    try (Socket socket = new Socket()) {
      socket.setReuseAddress(true);
      socket.setSoLinger(true, 0);
      socket.bind(new InetSocketAddress(local, 0));
      long start = System.nanoTime();
      socket.connect(target, 2000);
      return System.nanoTime() - start;
    }
  }
}
