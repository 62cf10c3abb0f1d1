package dev.opskit.examples.bench;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import dev.opskit.core.SshExecutor;
import dev.opskit.core.SshTarget;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Per-command cost of running {@code true} 200 times over SSH against a local OpenSSH sshd that the
 * benchmark starts itself (temporary host key, authorized key, configuration; loopback only):
 *
 * <ol>
 *   <li>{@link SshExecutor}, one reused connection;
 *   <li>the OpenSSH {@code ssh} client spawned per command (new connection each time);
 *   <li>{@code ssh} with {@code ControlMaster}/{@code ControlPersist} (connection multiplexing).
 * </ol>
 *
 * <p>Goal: SshExecutor at least as fast per command as ControlMaster and 5x faster than plain ssh.
 * Needs root (sshd refuses to run otherwise) and {@code /usr/sbin/sshd}, {@code ssh}, {@code
 * ssh-keygen}. Run with:
 *
 * <pre>
 * java -cp examples/target/opskit.jar dev.opskit.examples.bench.SshBenchmark [commands] [rounds]
 * </pre>
 */
public final class SshBenchmark {
  private static final Path SSHD = Path.of("/usr/sbin/sshd");
  private static final int WARM_UP = 20;

  private SshBenchmark() {}

  /**
   * Runs the benchmark; optional arguments: commands per way (default 200) and the rounds they are
   * split into (default 10). Each round runs every way in turn, in alternating order, so the ways
   * share the machine's load; the ratios are taken round by round.
   */
  public static void main(String[] args) throws Exception {
    int commands = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(SSHD)) {
      System.err.println("SshBenchmark needs root and " + SSHD + "; skipping");
      System.exit(2);
    }
    Path dir = Files.createTempDirectory("opskit-ssh-bench");
    Process sshd = null;
    Path controlSocket = dir.resolve("cm");
    List<String> sshBase = null;
    try {
      Path hostKey = dir.resolve("host_ed25519");
      Path clientKey = dir.resolve("client_ed25519");
      Path home = Files.createDirectories(dir.resolve("home"));
      keygen(hostKey);
      keygen(clientKey);
      Files.copy(pub(clientKey), dir.resolve("authorized_keys"));
      int port = freePort();
      Path config = dir.resolve("sshd_config");
      Files.writeString(
          config,
          String.join(
              "\n",
              "Port " + port,
              "ListenAddress 127.0.0.1",
              "HostKey " + hostKey,
              "PidFile " + dir.resolve("sshd.pid"),
              "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
              "UsePAM no",
              "StrictModes no",
              "PermitRootLogin yes",
              "PasswordAuthentication no",
              "KbdInteractiveAuthentication no",
              "PrintMotd no",
              "UseDNS no",
              "MaxStartups 100:30:200",
              "SetEnv HOME=" + home,
              ""));
      Path knownHosts = dir.resolve("known_hosts");
      String[] hostPub = Files.readString(pub(hostKey)).strip().split("\\s+");
      Files.writeString(
          knownHosts, "[127.0.0.1]:" + port + " " + hostPub[0] + " " + hostPub[1] + "\n");
      Files.createDirectories(Path.of("/run/sshd"));
      Path log = dir.resolve("sshd.log");
      sshd =
          new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      awaitListening(sshd, log, port);

      sshBase =
          List.of(
              "ssh",
              "-F",
              "/dev/null",
              "-p",
              Integer.toString(port),
              "-i",
              clientKey.toString(),
              "-o",
              "IdentitiesOnly=yes",
              "-o",
              "IdentityAgent=none",
              "-o",
              "BatchMode=yes",
              "-o",
              "StrictHostKeyChecking=yes",
              "-o",
              "UserKnownHostsFile=" + knownHosts,
              "-o",
              "GlobalKnownHostsFile=/dev/null");
      String target = "root@127.0.0.1";
      List<String> plain = concat(sshBase, "-o", "ControlMaster=no", "-o", "ControlPath=none");
      List<String> multiplexed =
          concat(
              sshBase,
              "-o",
              "ControlMaster=auto",
              "-o",
              "ControlPath=" + controlSocket,
              "-o",
              "ControlPersist=120");

      System.out.printf(
          Locale.ROOT,
          "%d sequential `true` commands per way against a local OpenSSH sshd, in %d rounds that"
              + " alternate the ways (%d warm-up each)%n",
          commands,
          rounds,
          WARM_UP);
      try (SshExecutor ssh =
          SshExecutor.builder(SshTarget.of("root", "127.0.0.1", port))
              .identityFile(clientKey)
              .knownHosts(knownHosts)
              .build()) {
        Way executor =
            new Way(
                "SshExecutor (one reused connection)",
                () -> ssh.execute(Command.of("true")).requireSuccess());
        Way perCommand =
            new Way("ssh per command (new connection)", () -> spawn(concat(plain, target, "true")));
        Way controlMaster =
            new Way(
                "ssh with ControlMaster/ControlPersist",
                () -> spawn(concat(multiplexed, target, "true")));
        List<Way> ways = List.of(executor, perCommand, controlMaster);
        for (Way way : ways) {
          for (int i = 0; i < WARM_UP; i++) {
            way.task.run();
          }
        }
        int perRound = Math.max(1, commands / rounds);
        for (int round = 0; round < rounds; round++) {
          List<Way> order = new ArrayList<>(ways);
          if (round % 2 == 1) {
            Collections.reverse(order);
          }
          for (Way way : order) {
            way.measureRound(perRound);
          }
        }
        for (Way way : ways) {
          way.print();
        }
        System.out.printf(
            Locale.ROOT,
            "SshExecutor is %s faster than ssh per command (goal >= 5x)"
                + " and %s faster than ControlMaster (goal >= 1x); ratios of the same round,"
                + " median (range)%n",
            ratios(perCommand, executor),
            ratios(controlMaster, executor));
      }
    } finally {
      if (sshBase != null && Files.exists(controlSocket)) {
        try {
          spawn(concat(sshBase, "-o", "ControlPath=" + controlSocket, "-O", "exit", "x"));
        } catch (IOException | RuntimeException e) {
          System.err.println("could not stop the ControlMaster: " + e.getMessage());
        }
      }
      if (sshd != null) {
        stop(sshd);
      }
      deleteTree(dir);
    }
  }

  /** A task that fails by throwing. */
  private interface Task {
    void run() throws Exception;
  }

  /** One way of running a command, and its mean per command in each round. */
  private static final class Way {
    final String name;
    final Task task;
    final List<Double> roundMeans = new ArrayList<>();
    final List<Long> nanos = new ArrayList<>();

    Way(String name, Task task) {
      this.name = name;
      this.task = task;
    }

    void measureRound(int commands) throws Exception {
      long start = System.nanoTime();
      for (int i = 0; i < commands; i++) {
        long t0 = System.nanoTime();
        task.run();
        nanos.add(System.nanoTime() - t0);
      }
      roundMeans.add((System.nanoTime() - start) / 1e6 / commands);
    }

    void print() {
      List<Long> sorted = new ArrayList<>(nanos);
      Collections.sort(sorted);
      System.out.printf(
          Locale.ROOT,
          "  %-40s %8.2f ms/command, median of round means (%.2f-%.2f); per command median %.2f,"
              + " p95 %.2f%n",
          name,
          median(roundMeans),
          Collections.min(roundMeans),
          Collections.max(roundMeans),
          sorted.get(sorted.size() / 2) / 1e6,
          sorted.get((int) (sorted.size() * 0.95)) / 1e6);
    }
  }

  private static String ratios(Way slower, Way faster) {
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < slower.roundMeans.size(); i++) {
      ratios.add(slower.roundMeans.get(i) / faster.roundMeans.get(i));
    }
    return String.format(
        Locale.ROOT,
        "%.2fx (%.2f-%.2fx)",
        median(ratios),
        Collections.min(ratios),
        Collections.max(ratios));
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static void spawn(List<String> argv) throws IOException, InterruptedException {
    Process process =
        new ProcessBuilder(argv)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectErrorStream(true)
            .start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("timed out: " + argv);
    }
    int exit = process.exitValue();
    if (exit != 0 && !argv.contains("-O")) {
      throw new IOException("exit " + exit + " from " + argv + ": " + new String(output));
    }
  }

  private static List<String> concat(List<String> base, String... more) {
    List<String> argv = new ArrayList<>(base);
    argv.addAll(List.of(more));
    return argv;
  }

  private static void keygen(Path file) throws IOException, InterruptedException {
    ExecResult result =
        LocalExecutor.create()
            .execute(
                Command.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", file.toString())
                    .withTimeout(Duration.ofSeconds(30)));
    result.requireSuccess();
  }

  private static Path pub(Path key) {
    return key.resolveSibling(key.getFileName() + ".pub");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void awaitListening(Process sshd, Path log, int port)
      throws IOException, InterruptedException {
    String ready = "Server listening on 127.0.0.1 port " + port;
    for (int i = 0; i < 500; i++) {
      if (Files.readString(log).contains(ready)) {
        return;
      }
      if (!sshd.isAlive()) {
        break;
      }
      Thread.sleep(20);
    }
    throw new IOException("sshd did not start:\n" + Files.readString(log));
  }

  private static void stop(Process sshd) throws InterruptedException {
    List<ProcessHandle> children = sshd.descendants().collect(Collectors.toList());
    sshd.destroy();
    if (!sshd.waitFor(10, TimeUnit.SECONDS)) {
      sshd.destroyForcibly();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.deleteIfExists(path);
      }
    }
  }
}
