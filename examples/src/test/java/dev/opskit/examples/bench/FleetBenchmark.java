package dev.opskit.examples.bench;

import dev.opskit.core.test.SshFleet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The fleet command line against Ansible on the same work: 50 network namespaces, each with its own
 * OpenSSH sshd, /run and sysctl drop-in folder ({@link SshFleet}); both tools run inside the
 * controller namespace and reach the hosts' addresses directly. The work: three net.* sysctls
 * persisted to a drop-in, and a NodePort allowlist of 100 CIDRs in raw PREROUTING. opskit runs
 * {@code sysctl apply} and {@code iptables allow-nodeport} with {@code --inventory} (all hosts in
 * one batch, 50 at once); Ansible runs one playbook ({@code ansible.posix.sysctl} into a temp
 * {@code sysctl_file}, and the same allowlist through one {@code iptables-restore} task) with forks
 * 50, pipelining and ControlPersist, facts off. Every host is reset before each run, and the end
 * state (live values and the raw table) is checked to be the same for both. Then a fleet observe
 * ({@code sysctl diff}) of 50 hosts against 1. A main in the test sources (it needs the test-jar's
 * fleet), not a test:
 *
 * <pre>
 * ./mvnw -B -q -pl examples -am package -DskipTests
 * java -cp examples/target/opskit.jar:examples/target/test-classes:core/target/test-classes \
 *     dev.opskit.examples.bench.FleetBenchmark [--hosts 50] [--runs 3] [--launcher FILE]
 * </pre>
 *
 * Needs root and Debian's {@code ansible} package.
 */
public final class FleetBenchmark {
  private static final String[] SYSCTLS = {
    "net.core.somaxconn=32768", "net.ipv4.tcp_keepalive_time=600", "net.ipv4.tcp_fin_timeout=15"
  };
  private static final String[] DEFAULTS = {
    "net.core.somaxconn=4096", "net.ipv4.tcp_keepalive_time=7200", "net.ipv4.tcp_fin_timeout=60"
  };
  private static final int CIDRS = 100;
  private static final long MILLIS_PER_TICK = 10; // USER_HZ is 100 on Linux

  private FleetBenchmark() {}

  /** Runs the comparison and prints the figures. */
  public static void main(String[] args) throws Exception {
    List<String> options = Arrays.asList(args);
    int hosts = intOption(options, "--hosts", 50);
    int runs = intOption(options, "--runs", 3);
    Path launcher = Path.of(option(options, "--launcher", "examples/target/opskit"));
    Path dir = Files.createTempDirectory("opskit-fleet-bench");
    Path sysctlDir = dir.resolve("sysctl.d");
    try (SshFleet fleet =
        SshFleet.builder(dir).hosts(hosts).privateRun(true).privateDirectory(sysctlDir).start()) {
      Path inventory = Files.writeString(dir.resolve("fleet.txt"), fleet.directInventory());
      Path one =
          Files.writeString(
              dir.resolve("one.txt"),
              fleet.directInventory().lines().limit(2).reduce("", (a, b) -> a + b + "\n"));
      List<String> cli = cli(launcher, dir);
      List<String> ssh =
          List.of(
              "--identity",
              fleet.clientKey().toString(),
              "--known-hosts",
              fleet.knownHosts().toString());
      List<String> sysctl = new ArrayList<>(List.of("sysctl", "apply", "--name", "bench"));
      for (String set : SYSCTLS) {
        sysctl.addAll(List.of("--set", set));
      }
      sysctl.addAll(List.of("--sysctl-dir", sysctlDir.toString()));
      List<String> allow =
          new ArrayList<>(
              List.of(
                  "iptables",
                  "allow-nodeport",
                  "--name",
                  "bench",
                  "--port",
                  "30001",
                  "--mode",
                  "raw"));
      for (int i = 0; i < CIDRS; i++) {
        allow.addAll(List.of("--allow", "198.19." + i + ".0/24"));
      }
      List<String> rollout = List.of("--batch", "100%", "--max-parallel", Integer.toString(hosts));
      List<List<String>> opskit =
          List.of(
              concat(cli, sysctl, List.of("--inventory", inventory.toString()), ssh, rollout),
              concat(cli, allow, List.of("--inventory", inventory.toString()), ssh, rollout));

      reset(fleet);
      for (List<String> command : opskit) {
        run(fleet, command);
      }
      String expected = state(fleet.host(0));
      String restoreInput =
          fleet
              .host(0)
              .exec("iptables-save", "-t", "raw")
              .stdoutUtf8()
              .replaceAll("(?m)^#.*\\n", "")
              .replaceAll("(?m)^(:PREROUTING|:OUTPUT) .*\\n", "");
      List<String> ansible = ansible(dir, fleet, sysctlDir, restoreInput);

      List<Long> opskitTimes = new ArrayList<>();
      List<Long> ansibleTimes = new ArrayList<>();
      List<long[]> opskitCpu = new ArrayList<>();
      List<long[]> ansibleCpu = new ArrayList<>();
      for (int round = 0; round < runs; round++) {
        for (int way = 0; way < 2; way++) {
          boolean opskitTurn = (round + way) % 2 == 0;
          reset(fleet);
          String load = load();
          long[] cpuBefore = cpuTicks(fleet);
          long start = System.nanoTime();
          if (opskitTurn) {
            for (List<String> command : opskit) {
              run(fleet, command);
            }
          } else {
            run(fleet, ansible);
          }
          long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          long[] cpuAfter = cpuTicks(fleet);
          checkEndState(fleet, expected);
          (opskitTurn ? opskitTimes : ansibleTimes).add(millis);
          long controller = (cpuAfter[0] - cpuBefore[0]) * MILLIS_PER_TICK;
          long hostsCpu = (cpuAfter[1] - cpuBefore[1]) * MILLIS_PER_TICK;
          (opskitTurn ? opskitCpu : ansibleCpu).add(new long[] {controller, hostsCpu});
          System.out.printf(
              "round %d %-7s %6d ms  CPU: controller %d ms, hosts %d ms (%d ms a host)"
                  + "  (load before %s)%n",
              round + 1,
              opskitTurn ? "opskit" : "ansible",
              millis,
              controller,
              hostsCpu,
              hostsCpu / hosts,
              load);
        }
      }
      long opskitMedian = median(opskitTimes);
      long ansibleMedian = median(ansibleTimes);
      System.out.printf(
          "%d hosts, %d sysctls + allowlist of %d CIDRs: opskit median %d ms %s, ansible median %d"
              + " ms %s: opskit %.1fx faster%n",
          hosts,
          SYSCTLS.length,
          CIDRS,
          opskitMedian,
          opskitTimes,
          ansibleMedian,
          ansibleTimes,
          ansibleMedian / (double) opskitMedian);
      System.out.printf(
          "CPU medians: opskit controller %d ms, hosts %d ms a host; ansible controller %d ms,"
              + " hosts %d ms a host; CPU in all: opskit %.1fx less%n",
          medianOf(opskitCpu, 0),
          medianOf(opskitCpu, 1) / hosts,
          medianOf(ansibleCpu, 0),
          medianOf(ansibleCpu, 1) / hosts,
          (medianOf(ansibleCpu, 0) + medianOf(ansibleCpu, 1))
              / (double) (medianOf(opskitCpu, 0) + medianOf(opskitCpu, 1)));

      List<String> diff = new ArrayList<>(List.of("sysctl", "diff", "--name", "bench"));
      for (String set : SYSCTLS) {
        diff.addAll(List.of("--set", set));
      }
      diff.addAll(List.of("--sysctl-dir", sysctlDir.toString()));
      List<Long> all = new ArrayList<>();
      List<Long> single = new ArrayList<>();
      for (int round = 0; round < runs; round++) {
        for (int way = 0; way < 2; way++) {
          boolean fleetTurn = (round + way) % 2 == 0;
          Path which = fleetTurn ? inventory : one;
          long start = System.nanoTime();
          run(fleet, concat(cli, diff, List.of("--inventory", which.toString()), ssh, rollout));
          (fleetTurn ? all : single).add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
      }
      System.out.printf(
          "fleet observe (sysctl diff): %d hosts median %d ms %s, 1 host median %d ms %s: %.2fx;"
              + " load now %s%n",
          hosts,
          median(all),
          all,
          median(single),
          single,
          median(all) / (double) median(single),
          load());
    } finally {
      deleteRecursively(dir);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path path :
          (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static List<String> cli(Path launcher, Path dir) {
    if (Files.isExecutable(launcher)) {
      // a class-data archive the launcher makes, if any, goes to the temp folder
      return List.of("env", "XDG_CACHE_HOME=" + dir, launcher.toAbsolutePath().toString());
    }
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp",
        System.getProperty("java.class.path"),
        "dev.opskit.examples.cli.OpskitCli");
  }

  /** The playbook, inventory and configuration; returns the command that runs them. */
  private static List<String> ansible(Path dir, SshFleet fleet, Path sysctlDir, String rules)
      throws IOException {
    Path home = Files.createDirectories(dir.resolve("ansible"));
    StringBuilder inventory = new StringBuilder("[fleet]\n");
    for (SshFleet.Host host : fleet.hosts()) {
      inventory.append(host.name()).append(" ansible_host=").append(host.address()).append('\n');
    }
    Files.writeString(home.resolve("hosts.ini"), inventory);
    Files.writeString(home.resolve("rules.txt"), rules);
    Files.writeString(
        home.resolve("ansible.cfg"),
        String.join(
            "\n",
            "[defaults]",
            "forks = 50",
            "gathering = explicit",
            "host_key_checking = True",
            "interpreter_python = /usr/bin/python3",
            "remote_user = " + System.getProperty("user.name"),
            "private_key_file = " + fleet.clientKey(),
            "local_tmp = " + home.resolve("tmp"),
            "stdout_callback = minimal",
            "[ssh_connection]",
            "pipelining = True",
            "control_path_dir = " + home.resolve("cp"),
            "ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile="
                + fleet.knownHosts()
                + " -o StrictHostKeyChecking=yes",
            ""));
    StringBuilder play =
        new StringBuilder(
            "- hosts: fleet\n  gather_facts: false\n  tasks:\n"
                + "    - name: sysctls\n"
                + "      ansible.posix.sysctl:\n"
                + "        name: \"{{ item.name }}\"\n"
                + "        value: \"{{ item.value }}\"\n"
                + "        sysctl_file: "
                + sysctlDir.resolve("99-ansible-bench.conf")
                + "\n        reload: true\n"
                + "      loop:\n");
    for (String set : SYSCTLS) {
      String[] kv = set.split("=");
      play.append("        - { name: ")
          .append(kv[0])
          .append(", value: \"")
          .append(kv[1])
          .append("\" }\n");
    }
    play.append(
        "    - name: allowlist\n"
            + "      ansible.builtin.command:\n"
            + "        argv: [iptables-restore, --noflush, -w]\n"
            + "        stdin: \"{{ lookup('file', '"
            + home.resolve("rules.txt")
            + "') }}\"\n");
    Files.writeString(home.resolve("play.yml"), play);
    return List.of(
        "env",
        "ANSIBLE_CONFIG=" + home.resolve("ansible.cfg"),
        "ANSIBLE_HOME=" + home,
        "HOME=" + home,
        "ansible-playbook",
        "-i",
        home.resolve("hosts.ini").toString(),
        home.resolve("play.yml").toString());
  }

  /** Runs a command in the controller namespace and requires success. */
  private static void run(SshFleet fleet, List<String> command) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", fleet.controller()));
    argv.addAll(command);
    try {
      Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes());
      if (process.waitFor() != 0) {
        throw new IllegalStateException(
            String.join(" ", command.subList(0, Math.min(4, command.size())))
                + " failed:\n"
                + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Every host back to the defaults: values, no drop-ins, an empty raw table. */
  private static void reset(SshFleet fleet) {
    fleet.hosts().parallelStream()
        .forEach(
            host -> {
              List<String> argv = new ArrayList<>(List.of("sysctl", "-q", "-w"));
              argv.addAll(Arrays.asList(DEFAULTS));
              host.exec(argv.toArray(String[]::new));
              host.exec("iptables", "-w", "-t", "raw", "-F");
              host.exec("iptables", "-w", "-t", "raw", "-X");
              try (var files = Files.list(host.privateDirectory())) {
                for (Path file : (Iterable<Path>) files::iterator) {
                  Files.delete(file);
                }
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
  }

  /** The live values and the raw table, as both tools must leave them. */
  private static String state(SshFleet.Host host) {
    List<String> argv = new ArrayList<>(List.of("sysctl", "-n"));
    for (String set : SYSCTLS) {
      argv.add(set.split("=")[0]);
    }
    String values = host.exec(argv.toArray(String[]::new)).stdoutUtf8();
    String raw =
        host.exec("iptables-save", "-t", "raw")
            .stdoutUtf8()
            .replaceAll("(?m)^#.*\\n", "")
            .replaceAll("\\[\\d+:\\d+\\]", "");
    return values + raw;
  }

  private static void checkEndState(SshFleet fleet, String expected) {
    Map<String, String> wrong = new ConcurrentHashMap<>();
    fleet.hosts().parallelStream()
        .forEach(
            host -> {
              String state = state(host);
              boolean persisted;
              try (var files = Files.list(host.privateDirectory())) {
                persisted =
                    files.anyMatch(
                        f -> {
                          try {
                            String text = Files.readString(f);
                            return Arrays.stream(SYSCTLS)
                                .allMatch(s -> text.replace(" ", "").contains(s));
                          } catch (IOException e) {
                            return false;
                          }
                        });
              } catch (IOException e) {
                persisted = false;
              }
              if (!state.equals(expected) || !persisted) {
                wrong.put(host.name(), state);
              }
            });
    if (!wrong.isEmpty()) {
      throw new IllegalStateException(
          wrong.size()
              + " hosts differ from the expected end state, e.g. "
              + wrong.entrySet().iterator().next());
    }
  }

  /**
   * CPU clock ticks used so far {controller, hosts}: the controller's is what this JVM's reaped
   * children (each tool run) used plus every process still alive in the controller namespace
   * (Ansible's ControlPersist masters); the hosts' is every process in the hosts' namespaces (sshd
   * and its sessions) with the children they reaped. On a real fleet the hosts' part runs on the
   * hosts' own CPUs; here all of it shares this machine's.
   */
  private static long[] cpuTicks(SshFleet fleet) {
    long controller = ticks("self", 16, 17) + namespaceTicks(fleet.controller());
    long hostTicks = 0;
    for (SshFleet.Host host : fleet.hosts()) {
      hostTicks += namespaceTicks(host.namespace());
    }
    return new long[] {controller, hostTicks};
  }

  /** utime, stime, cutime and cstime of every process in the network namespace. */
  private static long namespaceTicks(String namespace) {
    long sum = 0;
    try {
      Process list = new ProcessBuilder("ip", "netns", "pids", namespace).start();
      String pids = new String(list.getInputStream().readAllBytes());
      list.waitFor();
      for (String pid : pids.split("\\s+")) {
        if (!pid.isEmpty()) {
          sum += ticks(pid, 14, 15, 16, 17);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return sum;
  }

  /** The sum of the given fields (numbered from 1, as in proc(5)) of /proc/PID/stat. */
  private static long ticks(String pid, int... fields) {
    try {
      String stat = Files.readString(Path.of("/proc", pid, "stat"));
      String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long sum = 0;
      for (int field : fields) {
        sum += Long.parseLong(after[field - 3]);
      }
      return sum;
    } catch (IOException e) {
      return 0; // the process ended meanwhile
    }
  }

  private static long medianOf(List<long[]> values, int index) {
    List<Long> column = new ArrayList<>();
    values.forEach(value -> column.add(value[index]));
    return median(column);
  }

  private static String load() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException e) {
      return "?";
    }
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> part : parts) {
      all.addAll(part);
    }
    return all;
  }

  private static String option(List<String> options, String name, String fallback) {
    int at = options.indexOf(name);
    return at >= 0 && at + 1 < options.size() ? options.get(at + 1) : fallback;
  }

  private static int intOption(List<String> options, String name, int fallback) {
    return Integer.parseInt(option(options, name, Integer.toString(fallback)));
  }
}
