package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.SshFleet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet command line over a real SSH fleet: 20 network namespaces, each with its own OpenSSH
 * sshd, its own /run (the iptables lock and journal) and its own sysctl drop-in folder, reached
 * with {@code --inventory}. Values are read back inside each namespace, without SSH. The fleet is
 * shared by the ordered tests; each sets the state it starts from.
 */
@Privileged(tools = {"ip", "sshd", "ssh-keygen", "socat", "sysctl", "unshare", "iptables-save"})
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetCliIT {
  private static final int HOSTS = 20;
  private static final String SOMAXCONN = "/proc/sys/net/core/somaxconn";
  private static final String KEEPALIVE = "/proc/sys/net/ipv4/tcp_keepalive_time";
  private static final String DROP_IN = "99-opskit-fleet.conf";
  private static final String ALLOWED = "198.19.250.1";
  private static final String DENIED = "198.19.250.2";

  @TempDir static Path dir;
  private static SshFleet fleet;
  private static List<SshFleet.Host> hosts;
  private static Path sysctlDir;
  private static Path inventory;

  @BeforeAll
  static void startFleet() throws Exception {
    sysctlDir = dir.resolve("sysctl.d");
    fleet = SshFleet.builder(dir).hosts(HOSTS).privateRun(true).privateDirectory(sysctlDir).start();
    hosts = fleet.hosts();
    inventory = dir.resolve("fleet.txt");
    Files.writeString(inventory, fleet.inventory());
    String controller = fleet.controller();
    fleet.network().exec(controller, "ip", "addr", "add", ALLOWED + "/32", "dev", "lo");
    fleet.network().exec(controller, "ip", "addr", "add", DENIED + "/32", "dev", "lo");
    for (SshFleet.Host host : hosts) {
      String gateway = host.address().replaceFirst("\\d+$", "") + (lastOctet(host) - 1);
      host.exec("ip", "route", "add", "198.19.250.0/24", "via", gateway);
    }
  }

  @AfterAll
  static void stopFleet() {
    if (fleet != null) {
      fleet.close();
    }
  }

  private static int lastOctet(SshFleet.Host host) {
    String address = host.address();
    return Integer.parseInt(address.substring(address.lastIndexOf('.') + 1));
  }

  /** The command line with the fleet's inventory, key and known_hosts. */
  private static CliRun opskit(String... args) {
    List<String> argv = new ArrayList<>(Arrays.asList(args));
    int at = argv.indexOf("--") < 0 ? argv.size() : argv.indexOf("--");
    argv.addAll(
        at,
        List.of(
            "--inventory",
            inventory.toString(),
            "--identity",
            fleet.clientKey().toString(),
            "--known-hosts",
            fleet.knownHosts().toString()));
    return CliRun.of(argv.toArray(String[]::new));
  }

  private static CliRun sysctlApply(String somaxconn, String... more) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "sysctl",
                "apply",
                "--set",
                "net.core.somaxconn=" + somaxconn,
                "--set",
                "net.ipv4.tcp_keepalive_time=600",
                "--name",
                "fleet",
                "--sysctl-dir",
                sysctlDir.toString()));
    argv.addAll(Arrays.asList(more));
    return opskit(argv.toArray(String[]::new));
  }

  private static CliRun allow(String... more) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "iptables",
                "allow-nodeport",
                "--name",
                "web",
                "--port",
                "30001",
                "--allow",
                ALLOWED + "/32"));
    argv.addAll(Arrays.asList(more));
    return opskit(argv.toArray(String[]::new));
  }

  private static String read(SshFleet.Host host, String path) {
    return host.exec("cat", path).stdoutUtf8().strip();
  }

  private static String dropIn(SshFleet.Host host) {
    try {
      Path file = host.privateDirectory().resolve(DROP_IN);
      return Files.exists(file) ? Files.readString(file) : null;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Sets both keys on every host: somaxconn 4096 on the first half, 1024 on the rest. */
  private static void resetValues() {
    hosts.parallelStream()
        .forEach(
            host ->
                host.exec(
                    "sysctl",
                    "-q",
                    "-w",
                    "net.core.somaxconn=" + (host.index() < HOSTS / 2 ? "4096" : "1024"),
                    "net.ipv4.tcp_keepalive_time=7200"));
  }

  /**
   * Each host's two values, drop-in and rules (one command per host), to compare after a rollback.
   */
  private static Map<String, String> states() {
    Map<String, String> states = new ConcurrentHashMap<>();
    hosts.parallelStream()
        .forEach(
            host -> {
              String read =
                  host.exec("sh", "-c", "cat " + SOMAXCONN + " " + KEEPALIVE + " && iptables-save")
                      .stdoutUtf8()
                      .replaceAll("(?m)^[#:].*\\n", "");
              states.put(host.name(), read + "|" + dropIn(host));
            });
    return states;
  }

  /** The live somaxconn value in a state read by {@link #states()}. */
  private static String somaxconn(Map<String, String> states, SshFleet.Host host) {
    return states.get(host.name()).lines().findFirst().orElse("");
  }

  /** Connects from {@code source} in the controller namespace to the host's NodePort. */
  private static String probe(SshFleet.Host host, String source) throws Exception {
    ExecResult result =
        fleet
            .network()
            .executor(fleet.controller())
            .execute(
                Command.of(
                        "socat",
                        "-u",
                        "OPEN:/dev/null",
                        "TCP:" + host.address() + ":30001,bind=" + source + ",connect-timeout=2")
                    .withTimeout(Duration.ofSeconds(10)));
    return result.stderrUtf8();
  }

  @Test
  @Order(1)
  void appliesSysctlsAndAnAllowlistToEveryHostThenASecondRunChangesNothing() throws Exception {
    resetValues();
    CliRun first =
        sysctlApply(
            "32768",
            "--canary",
            "1",
            "--batch",
            "25%",
            "--max-parallel",
            "8",
            "--health-cmd",
            "sysctl -n net.core.somaxconn");
    assertThat(first.exitCode).as(first.toString()).isZero();
    assertThat(first.err).isEmpty();
    assertThat(first.out)
        .contains(
            "10 hosts changed: set net.core.somaxconn: 4096 -> 32768; set"
                + " net.ipv4.tcp_keepalive_time: 7200 -> 600; write drop-in "
                + DROP_IN)
        .contains("10 hosts changed: set net.core.somaxconn: 1024 -> 32768");

    CliRun allowed = allow("--batch", "10");
    assertThat(allowed.exitCode).as(allowed.toString()).isZero();
    assertThat(allowed.out).contains(HOSTS + " hosts changed: applied");
    Map<String, String> applied = states();
    for (SshFleet.Host host : hosts) {
      assertThat(applied.get(host.name()))
          .as(host.name())
          .startsWith("32768\n600\n")
          .contains("-A OPSKIT-web -s " + ALLOWED + "/32 -j RETURN")
          .contains("net.core.somaxconn = 32768\n")
          .contains("net.ipv4.tcp_keepalive_time = 600\n");
    }
    for (SshFleet.Host host : List.of(hosts.get(0), hosts.get(9), hosts.get(HOSTS - 1))) {
      assertThat(probe(host, ALLOWED)).as(host.name()).contains("Connection refused");
      assertThat(probe(host, DENIED)).as(host.name()).doesNotContain("Connection refused");
    }

    CliRun again = sysctlApply("32768");
    assertThat(again.exitCode).as(again.toString()).isZero();
    assertThat(again.out).contains(HOSTS + " hosts unchanged: up to date");
    CliRun allowAgain = allow("-o", "json");
    assertThat(allowAgain.exitCode).as(allowAgain.toString()).isZero();
    JsonObject report = JsonParser.parseString(allowAgain.out).getAsJsonObject();
    assertThat(report.get("success").getAsBoolean()).isTrue();
    assertThat(report.getAsJsonObject("counts").get("UNCHANGED").getAsInt()).isEqualTo(HOSTS);
    assertThat(report.getAsJsonArray("hosts")).hasSize(HOSTS);

    CliRun exec = opskit("exec", "--", "cat", SOMAXCONN);
    assertThat(exec.exitCode).as(exec.toString()).isZero();
    assertThat(exec.out).contains(HOSTS + " hosts changed: exit 0: 32768");
  }

  @Test
  @Order(2)
  void dryRunAndDiffChangeNothing() throws Exception {
    Map<String, String> before = states();
    CliRun plan = sysctlApply("65535", "--dry-run");
    assertThat(plan.exitCode).as(plan.toString()).isZero();
    assertThat(plan.out)
        .contains(HOSTS + " hosts changed: set net.core.somaxconn: 32768 -> 65535")
        .contains("dry run: nothing changed");
    CliRun diff =
        opskit(
            "sysctl",
            "diff",
            "--set",
            "net.core.somaxconn=32768",
            "--name",
            "fleet",
            "--set",
            "net.ipv4.tcp_keepalive_time=600",
            "--sysctl-dir",
            sysctlDir.toString(),
            "-o",
            "json");
    assertThat(diff.exitCode).as(diff.toString()).isZero();
    assertThat(
            JsonParser.parseString(diff.out)
                .getAsJsonObject()
                .getAsJsonObject("counts")
                .get("UNCHANGED")
                .getAsInt())
        .isEqualTo(HOSTS);
    CliRun allowPlan = allow("--allow", "198.19.251.0/24", "--dry-run");
    assertThat(allowPlan.exitCode).as(allowPlan.toString()).isZero();
    assertThat(allowPlan.out).contains(HOSTS + " hosts changed: would apply");
    CliRun removePlan = opskit("iptables", "remove-nodeport", "--name", "web", "--dry-run");
    assertThat(removePlan.exitCode).as(removePlan.toString()).isZero();
    CliRun show = opskit("iptables", "show");
    assertThat(show.out).contains(HOSTS + " hosts unchanged: web ");
    assertThat(states()).isEqualTo(before);
  }

  @Test
  @Order(3)
  void aFailedHealthCommandStopsTheRolloutAndRollsItsBatchBackExactly() throws Exception {
    resetValues();
    Map<String, String> before = states();
    Path marker = hosts.get(7).privateDirectory().resolve("unhealthy");
    Files.writeString(marker, "");
    try {
      String health = "test ! -e " + sysctlDir.resolve("unhealthy");
      CliRun sysctl = sysctlApply("16384", "--batch", "5", "--health-cmd", health);
      assertThat(sysctl.exitCode).as(sysctl.toString()).isEqualTo(1);
      assertThat(sysctl.out)
          .contains("5 hosts rolled back: ")
          .contains("10 hosts skipped")
          .contains(
              "stopped: batch 2: health check after batch 2 failed: 1 host unhealthy: node-07: `test` failed with exit status 1");
      CliRun iptables = allow("--allow", "198.19.252.0/24", "--batch", "5", "--health-cmd", health);
      assertThat(iptables.exitCode).as(iptables.toString()).isEqualTo(1);
      assertThat(iptables.out).contains("5 hosts rolled back: ");
      Map<String, String> after = states();
      for (SshFleet.Host host : hosts) {
        if (host.index() < 5) {
          assertThat(somaxconn(after, host)).as(host.name()).isEqualTo("16384");
          assertThat(after.get(host.name())).as(host.name()).contains("198.19.252.0/24");
        } else {
          assertThat(after.get(host.name())).as(host.name()).isEqualTo(before.get(host.name()));
        }
      }
    } finally {
      Files.delete(marker);
    }
  }

  @Test
  @Order(4)
  void aBrokenStepOnOneHostStopsAtTheFailureBudget() throws Exception {
    resetValues();
    Map<String, String> before = states();
    // a folder where the host stages its new drop-in: the write fails on that host alone
    Path blocker = hosts.get(12).privateDirectory().resolve("." + DROP_IN + ".new");
    Files.createDirectories(blocker.resolve("x"));
    try {
      CliRun run = sysctlApply("20000", "--batch", "5", "--max-failures", "0");
      assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
      assertThat(run.out)
          .contains("node-12  FAILED")
          .contains("4 hosts rolled back")
          .contains("5 hosts skipped")
          .contains("stopped: batch 3: failure budget exceeded: 1 hosts failed, at most 0 allowed");
      Map<String, String> after = states();
      for (SshFleet.Host host : hosts.subList(10, HOSTS)) {
        assertThat(after.get(host.name())).as(host.name()).isEqualTo(before.get(host.name()));
      }
      assertThat(somaxconn(after, hosts.get(9))).isEqualTo("20000");

      CliRun tolerated = sysctlApply("20000", "--batch", "5", "--max-failures", "5%");
      assertThat(tolerated.exitCode).as(tolerated.toString()).isEqualTo(1);
      assertThat(tolerated.out).contains("1 host failed").doesNotContain("stopped:");
      assertThat(read(hosts.get(HOSTS - 1), SOMAXCONN)).isEqualTo("20000");
    } finally {
      Files.delete(blocker.resolve("x"));
      Files.delete(blocker);
    }
  }

  @Test
  @Order(5)
  void anUnreachableHostIsReportedAndItsBatchRolledBack() throws Exception {
    resetValues();
    Map<String, String> before = states();
    SshFleet.Host down = hosts.get(17);
    down.stopSshd();
    try {
      CliRun run = sysctlApply("12000", "--batch", "10", "-o", "json");
      assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
      JsonObject report = JsonParser.parseString(run.out).getAsJsonObject();
      JsonObject counts = report.getAsJsonObject("counts");
      assertThat(counts.get("UNREACHABLE").getAsInt()).isEqualTo(1);
      assertThat(counts.get("CHANGED").getAsInt()).isEqualTo(10);
      // the rest of its batch: rolled back, or never started once the failure was known
      assertThat(counts.get("ROLLED_BACK").getAsInt() + counts.get("SKIPPED").getAsInt())
          .isEqualTo(9);
      Map<String, String> after = states();
      for (SshFleet.Host host : hosts.subList(10, HOSTS)) {
        assertThat(after.get(host.name())).as(host.name()).isEqualTo(before.get(host.name()));
      }
    } finally {
      down.startSshd();
    }
  }

  @Test
  @Order(6)
  void anInterruptLeavesNoHostHalfApplied() throws Exception {
    resetValues();
    Map<String, String> before = states();
    AtomicReference<CliRun> result = new AtomicReference<>();
    Thread cli =
        new Thread(
            () -> result.set(sysctlApply("24000", "--batch", "4", "--health-cmd", "sleep 1")));
    cli.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!read(hosts.get(4), SOMAXCONN).equals("24000") && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    cli.interrupt();
    cli.join(120_000);
    CliRun run = result.get();
    assertThat(run.exitCode).as(run.toString()).isEqualTo(1);
    assertThat(run.out).contains("interrupted");
    Map<String, String> after = states();
    for (SshFleet.Host host : hosts) {
      String value = somaxconn(after, host);
      if (value.equals("24000")) {
        assertThat(host.index()).as(host.name()).isLessThan(8);
        assertThat(dropIn(host)).as(host.name()).contains("net.core.somaxconn = 24000");
      } else {
        assertThat(after.get(host.name())).as(host.name()).isEqualTo(before.get(host.name()));
      }
    }
  }
}
