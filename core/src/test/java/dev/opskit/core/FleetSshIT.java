package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of 20 hosts, each a network namespace running its own OpenSSH sshd on a 198.18.0.0/15
 * address, reached from a controller namespace over a veth pair; the test JVM connects through a
 * loopback port per host that relays into the controller namespace. A real task sets {@code
 * net.core.somaxconn} (namespaced) on every host over SSH, and the values are read back inside each
 * namespace.
 */
@Privileged(tools = {"ip", "sshd", "ssh-keygen", "socat", "sysctl"})
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetSshIT {
  private static final int HOSTS = 20;
  private static final Path SSHD = Path.of("/usr/sbin/sshd");

  @TempDir static Path dir;
  private static TestNetworks net;
  private static String controller;
  private static final List<Node> nodes = new ArrayList<>();
  private static Path clientKey;
  private static Path knownHosts;
  private static String inventoryText;

  /** One host: its namespace, address, sshd process and loopback relay. */
  private static final class Node {
    final int index;
    final String namespace;
    final String address;
    Process sshd;
    Relay relay;

    Node(int index, String namespace, String address) {
      this.index = index;
      this.namespace = namespace;
      this.address = address;
    }

    String name() {
      return String.format("node-%02d", index);
    }
  }

  @BeforeAll
  static void startFleet() throws Exception {
    net = TestNetworks.create();
    try {
      Files.createDirectories(Path.of("/run/sshd"));
      Path hostKey = dir.resolve("host_ed25519");
      clientKey = dir.resolve("client_ed25519");
      keygen(hostKey);
      keygen(clientKey);
      Path authorized = dir.resolve("authorized_keys");
      Files.copy(SshdPaths.pub(clientKey), authorized);
      Files.createDirectories(dir.resolve("home"));
      controller = net.namespace("ctl");
      StringBuilder known = new StringBuilder();
      StringBuilder inventory = new StringBuilder("# test fleet\n");
      String hostPublicKey = Files.readString(SshdPaths.pub(hostKey)).strip();
      String[] keyFields = hostPublicKey.split("\\s+");
      for (int i = 0; i < HOSTS; i++) {
        String namespace = net.namespace("h" + i);
        String address = "198.18.0." + (4 * i + 2);
        net.link(controller, "198.18.0." + (4 * i + 1) + "/30", namespace, address + "/30");
        Node node = new Node(i, namespace, address);
        nodes.add(node);
        node.sshd = startSshd(node, hostKey, authorized);
        node.relay = new Relay(controller, address);
        known
            .append("[127.0.0.1]:")
            .append(node.relay.port())
            .append(' ')
            .append(keyFields[0])
            .append(' ')
            .append(keyFields[1])
            .append('\n');
        inventory
            .append(node.name())
            .append(" ssh://")
            .append(System.getProperty("user.name"))
            .append("@127.0.0.1:")
            .append(node.relay.port())
            .append('\n');
      }
      knownHosts = dir.resolve("known_hosts");
      Files.writeString(knownHosts, known);
      inventoryText = inventory.toString();
    } catch (Exception | Error e) {
      stopFleet();
      throw e;
    }
  }

  @AfterAll
  static void stopFleet() {
    try {
      for (Node node : nodes) {
        if (node.relay != null) {
          node.relay.close();
        }
        stop(node.sshd);
      }
    } finally {
      if (net != null) {
        net.close();
      }
    }
  }

  private static Process startSshd(Node node, Path hostKey, Path authorized) throws Exception {
    Path home = dir.resolve("sshd-" + node.index);
    Files.createDirectories(home);
    Path config = home.resolve("sshd_config");
    Files.writeString(
        config,
        String.join(
            "\n",
            "Port 22",
            "ListenAddress " + node.address,
            "AddressFamily inet",
            "HostKey " + hostKey,
            "PidFile " + home.resolve("sshd.pid"),
            "AuthorizedKeysFile " + authorized,
            "UsePAM no",
            "StrictModes no",
            "PermitRootLogin yes",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PrintMotd no",
            "UseDNS no",
            "X11Forwarding no",
            "AllowTcpForwarding no",
            "MaxSessions 10",
            "MaxStartups 100:30:200",
            "SetEnv HOME=" + dir.resolve("home"),
            ""));
    Path log = home.resolve("sshd.log");
    Process process =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                node.namespace,
                SSHD.toString(),
                "-D",
                "-e",
                "-f",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    String ready = "Server listening on " + node.address + " port 22";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(ready)) {
        return process;
      }
      if (!process.isAlive()) {
        break;
      }
      Thread.sleep(20);
    }
    stop(process);
    throw new IOException("sshd in " + node.namespace + " did not start: " + Files.readString(log));
  }

  private static void stop(Process process) {
    if (process == null) {
      return;
    }
    List<ProcessHandle> children =
        process.descendants().collect(java.util.stream.Collectors.toList());
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  private static void keygen(Path file) throws Exception {
    LocalExecutor.create()
        .execute(
            Command.of(
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    "opskit-test",
                    "-f",
                    file.toString())
                .withTimeout(Duration.ofSeconds(60)))
        .requireSuccess();
  }

  private static SshInventory inventory() {
    Function<SshTarget, SshExecutor> template =
        target ->
            SshExecutor.builder(target)
                .identityFile(clientKey)
                .knownHosts(knownHosts)
                .connectTimeout(Duration.ofSeconds(5))
                .authTimeout(Duration.ofSeconds(15))
                .commandTimeout(Duration.ofSeconds(30))
                .build();
    return SshInventory.parse(inventoryText, template);
  }

  /** Reads the value inside the host's namespace, without SSH. */
  private static String valueIn(Node node) {
    return net.exec(node.namespace, "cat", SomaxconnTask.PATH).stdoutUtf8().strip();
  }

  private static void setIn(Node node, String value) {
    net.exec(node.namespace, "sysctl", "-q", "-w", "net.core.somaxconn=" + value);
  }

  @Test
  @Order(1)
  void rollsOutToEveryHostThenASecondRolloutChangesNothing() throws Exception {
    for (Node node : nodes) {
      setIn(node, Integer.toString(1000 + node.index));
    }
    RolloutPolicy policy =
        RolloutPolicy.builder().canary(1).batch(HostCount.percent(25)).maxParallel(8).build();
    try (SshInventory fleet = inventory()) {
      assertThat(fleet.connect(8)).isEmpty();
      RolloutReport first =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(new SomaxconnTask("32768"))
              .policy(policy)
              .healthCheck(batch -> true)
              .build()
              .run();
      assertThat(first.isSuccess()).as(first.renderTable()).isTrue();
      assertThat(first.count(HostStatus.CHANGED)).isEqualTo(HOSTS);
      for (Node node : nodes) {
        assertThat(first.host(node.name()).get().summary())
            .isEqualTo("set net.core.somaxconn " + (1000 + node.index) + " -> 32768");
        assertThat(valueIn(node)).as(node.name()).isEqualTo("32768");
      }

      RolloutReport second =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(new SomaxconnTask("32768"))
              .policy(policy)
              .build()
              .run();
      assertThat(second.summary())
          .isEqualTo(HOSTS + " hosts unchanged: net.core.somaxconn already 32768");
    }
  }

  @Test
  @Order(2)
  void aFailedHealthCheckRollsItsBatchBackToTheExactPriorValues() throws Exception {
    for (Node node : nodes) {
      setIn(node, Integer.toString(2000 + node.index));
    }
    AtomicInteger checks = new AtomicInteger();
    try (SshInventory fleet = inventory()) {
      RolloutReport report =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(new SomaxconnTask("16384"))
              .policy(RolloutPolicy.builder().batch(HostCount.of(5)).maxParallel(5).build())
              .healthCheck(
                  batch -> {
                    for (FleetHost host : batch) {
                      host.executor().execute("true").requireSuccess();
                    }
                    return checks.incrementAndGet() < 2;
                  })
              .build()
              .run();
      assertThat(report.stopReason()).hasValue("batch 2: health check after batch 2 failed");
      for (Node node : nodes) {
        HostStatus expected =
            node.index < 5
                ? HostStatus.CHANGED
                : node.index < 10 ? HostStatus.ROLLED_BACK : HostStatus.SKIPPED;
        assertThat(report.host(node.name()).get().status()).as(node.name()).isEqualTo(expected);
        assertThat(valueIn(node))
            .as(node.name())
            .isEqualTo(node.index < 5 ? "16384" : Integer.toString(2000 + node.index));
      }
    }
  }

  @Test
  @Order(3)
  void aBrokenStepOnOneHostStopsTheRolloutAndRollsBackItsBatch() throws Exception {
    for (Node node : nodes) {
      setIn(node, Integer.toString(2500 + node.index));
    }
    SomaxconnTask good = new SomaxconnTask("12000");
    SomaxconnTask broken = new SomaxconnTask("not-a-number");
    try (SshInventory fleet = inventory()) {
      RolloutReport report =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(host -> host.name().equals("node-07") ? broken.run(host) : good.run(host))
              .policy(RolloutPolicy.builder().batch(HostCount.of(5)).maxParallel(5).build())
              .build()
              .run();
      assertThat(report.host("node-07").get().status()).isEqualTo(HostStatus.FAILED);
      assertThat(report.host("node-07").get().summary()).contains("sysctl");
      assertThat(report.stopReason())
          .hasValue("batch 2: failure budget exceeded: 1 hosts failed, at most 0 allowed");
      for (Node node : nodes) {
        assertThat(valueIn(node))
            .as(node.name())
            .isEqualTo(node.index < 5 ? "12000" : Integer.toString(2500 + node.index));
      }
    }
  }

  @Test
  @Order(4)
  void anInterruptLeavesEveryHostEitherDoneOrAtItsPriorValue() throws Exception {
    for (Node node : nodes) {
      setIn(node, Integer.toString(4000 + node.index));
    }
    java.util.concurrent.CountDownLatch secondBatch = new java.util.concurrent.CountDownLatch(1);
    SomaxconnTask task = new SomaxconnTask("24000");
    try (SshInventory fleet = inventory()) {
      Rollout rollout =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(
                  host -> {
                    if (host.name().equals("node-04")) {
                      secondBatch.countDown();
                      host.executor().execute("sleep", "1").requireSuccess();
                    }
                    return task.run(host);
                  })
              .policy(RolloutPolicy.builder().batch(HostCount.of(4)).maxParallel(2).build())
              .build();
      java.util.concurrent.atomic.AtomicReference<RolloutReport> result =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread runner = new Thread(() -> result.set(rollout.run()));
      runner.start();
      assertThat(secondBatch.await(60, TimeUnit.SECONDS)).isTrue();
      runner.interrupt();
      runner.join(120_000);
      RolloutReport report = result.get();
      assertThat(report.interrupted()).isTrue();
      assertThat(report.stopReason()).hasValue("batch 2: interrupted");
      for (Node node : nodes) {
        HostStatus status = report.host(node.name()).get().status();
        String value = valueIn(node);
        if (node.index < 4) {
          assertThat(status).as(node.name()).isEqualTo(HostStatus.CHANGED);
          assertThat(value).as(node.name()).isEqualTo("24000");
        } else {
          assertThat(status).as(node.name()).isIn(HostStatus.ROLLED_BACK, HostStatus.SKIPPED);
          assertThat(value).as(node.name()).isEqualTo(Integer.toString(4000 + node.index));
        }
      }
    }
  }

  @Test
  @Order(5)
  void aHostWithItsSshdStoppedIsUnreachableAndCountsAgainstTheBudget() throws Exception {
    for (Node node : nodes) {
      setIn(node, Integer.toString(3000 + node.index));
    }
    Node down = nodes.get(HOSTS - 3);
    stop(down.sshd);
    down.sshd = null;
    try (SshInventory fleet = inventory()) {
      Map<String, String> unreachable = fleet.connect(8);
      assertThat(unreachable).containsOnlyKeys(down.name());
      RolloutReport report =
          Rollout.builder()
              .hosts(fleet.hosts())
              .task(new SomaxconnTask("8192"))
              .policy(
                  RolloutPolicy.builder()
                      .batch(HostCount.of(10))
                      .maxParallel(10)
                      .maxFailures(HostCount.of(0))
                      .build())
              .build()
              .run();
      assertThat(report.host(down.name()).get().status()).isEqualTo(HostStatus.UNREACHABLE);
      assertThat(report.stopReason())
          .hasValue("batch 2: failure budget exceeded: 1 hosts failed, at most 0 allowed");
      assertThat(report.count(HostStatus.CHANGED)).isEqualTo(10);
      for (Node node : nodes.subList(10, HOSTS)) {
        assertThat(report.host(node.name()).get().status())
            .as(node.name())
            .isIn(HostStatus.ROLLED_BACK, HostStatus.SKIPPED, HostStatus.UNREACHABLE);
        assertThat(valueIn(node)).as(node.name()).isEqualTo(Integer.toString(3000 + node.index));
      }
      for (Node node : nodes.subList(0, 10)) {
        assertThat(valueIn(node)).as(node.name()).isEqualTo("8192");
      }
      assertThat(report.summary()).contains("1 host unreachable");
    }
  }

  /** Paths of OpenSSH key files. */
  private static final class SshdPaths {
    static Path pub(Path privateKey) {
      return privateKey.resolveSibling(privateKey.getFileName() + ".pub");
    }
  }

  /**
   * Relays each connection to a loopback port into the controller namespace, where {@code socat}
   * connects to the host's sshd. Processes are stopped by handle on close.
   */
  private static final class Relay implements AutoCloseable {
    private final ServerSocket server;
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    Relay(String namespace, String address) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket socket = server.accept();
                    sockets.add(socket);
                    Process socat =
                        new ProcessBuilder(
                                "ip",
                                "netns",
                                "exec",
                                namespace,
                                "socat",
                                "STDIO",
                                "TCP:" + address + ":22,connect-timeout=5")
                            .redirectError(ProcessBuilder.Redirect.DISCARD)
                            .start();
                    processes.add(socat);
                    pump(socket.getInputStream(), socat.getOutputStream(), socket);
                    pump(socat.getInputStream(), socket.getOutputStream(), socket);
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "relay-" + address);
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pump(InputStream in, OutputStream out, Socket socket) {
      Thread thread =
          new Thread(
              () -> {
                byte[] buffer = new byte[16384];
                try {
                  int n;
                  while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                  }
                } catch (IOException e) {
                  // the other side closed
                } finally {
                  try {
                    socket.close();
                    out.close();
                  } catch (IOException e) {
                    // already closed
                  }
                }
              });
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() {
      try {
        server.close();
      } catch (IOException e) {
        // closing anyway
      }
      for (Socket socket : sockets) {
        try {
          socket.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
      for (Process process : processes) {
        process.destroyForcibly();
      }
    }
  }
}
