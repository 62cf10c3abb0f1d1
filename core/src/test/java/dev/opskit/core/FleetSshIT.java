package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshFleet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
@Privileged(tools = {"ip", "sshd", "ssh-keygen", "socat", "sysctl", "unshare"})
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetSshIT {
  private static final int HOSTS = 20;

  @TempDir static Path dir;
  private static SshFleet fleet;
  private static List<SshFleet.Host> nodes;

  @BeforeAll
  static void startFleet() throws Exception {
    fleet = SshFleet.builder(dir).hosts(HOSTS).start();
    nodes = fleet.hosts();
  }

  @AfterAll
  static void stopFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  private static SshInventory inventory() {
    Function<SshTarget, SshExecutor> template =
        target ->
            SshExecutor.builder(target)
                .identityFile(fleet.clientKey())
                .knownHosts(fleet.knownHosts())
                .connectTimeout(Duration.ofSeconds(5))
                .authTimeout(Duration.ofSeconds(15))
                .commandTimeout(Duration.ofSeconds(30))
                .build();
    return SshInventory.parse(fleet.inventory(), template);
  }

  /** Reads the value inside the host's namespace, without SSH. */
  private static String valueIn(SshFleet.Host node) {
    return node.exec("cat", SomaxconnTask.PATH).stdoutUtf8().strip();
  }

  private static void setIn(SshFleet.Host node, String value) {
    node.exec("sysctl", "-q", "-w", "net.core.somaxconn=" + value);
  }

  @Test
  @Order(1)
  void rollsOutToEveryHostThenASecondRolloutChangesNothing() throws Exception {
    for (SshFleet.Host node : nodes) {
      setIn(node, Integer.toString(1000 + node.index()));
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
      for (SshFleet.Host node : nodes) {
        assertThat(first.host(node.name()).get().summary())
            .isEqualTo("set net.core.somaxconn " + (1000 + node.index()) + " -> 32768");
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
    for (SshFleet.Host node : nodes) {
      setIn(node, Integer.toString(2000 + node.index()));
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
      for (SshFleet.Host node : nodes) {
        HostStatus expected =
            node.index() < 5
                ? HostStatus.CHANGED
                : node.index() < 10 ? HostStatus.ROLLED_BACK : HostStatus.SKIPPED;
        assertThat(report.host(node.name()).get().status()).as(node.name()).isEqualTo(expected);
        assertThat(valueIn(node))
            .as(node.name())
            .isEqualTo(node.index() < 5 ? "16384" : Integer.toString(2000 + node.index()));
      }
    }
  }

  @Test
  @Order(3)
  void aBrokenStepOnOneHostStopsTheRolloutAndRollsBackItsBatch() throws Exception {
    for (SshFleet.Host node : nodes) {
      setIn(node, Integer.toString(2500 + node.index()));
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
      for (SshFleet.Host node : nodes) {
        assertThat(valueIn(node))
            .as(node.name())
            .isEqualTo(node.index() < 5 ? "12000" : Integer.toString(2500 + node.index()));
      }
    }
  }

  @Test
  @Order(4)
  void anInterruptLeavesEveryHostEitherDoneOrAtItsPriorValue() throws Exception {
    for (SshFleet.Host node : nodes) {
      setIn(node, Integer.toString(4000 + node.index()));
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
      for (SshFleet.Host node : nodes) {
        HostStatus status = report.host(node.name()).get().status();
        String value = valueIn(node);
        if (node.index() < 4) {
          assertThat(status).as(node.name()).isEqualTo(HostStatus.CHANGED);
          assertThat(value).as(node.name()).isEqualTo("24000");
        } else {
          assertThat(status).as(node.name()).isIn(HostStatus.ROLLED_BACK, HostStatus.SKIPPED);
          assertThat(value).as(node.name()).isEqualTo(Integer.toString(4000 + node.index()));
        }
      }
    }
  }

  @Test
  @Order(5)
  void aHostWithItsSshdStoppedIsUnreachableAndCountsAgainstTheBudget() throws Exception {
    for (SshFleet.Host node : nodes) {
      setIn(node, Integer.toString(3000 + node.index()));
    }
    SshFleet.Host down = nodes.get(HOSTS - 3);
    down.stopSshd();
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
      for (SshFleet.Host node : nodes.subList(10, HOSTS)) {
        assertThat(report.host(node.name()).get().status())
            .as(node.name())
            .isIn(HostStatus.ROLLED_BACK, HostStatus.SKIPPED, HostStatus.UNREACHABLE);
        assertThat(valueIn(node)).as(node.name()).isEqualTo(Integer.toString(3000 + node.index()));
      }
      for (SshFleet.Host node : nodes.subList(0, 10)) {
        assertThat(valueIn(node)).as(node.name()).isEqualTo("8192");
      }
      assertThat(report.summary()).contains("1 host unreachable");
    }
  }
}
