package dev.opskit.core.test;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One OpenSSH {@code sshd} in the foreground with its configuration, PID file and log in a folder
 * of its own: what {@link SshdServer} and each host of {@link SshFleet} run. Stopped by PID, with
 * every connection process it forked.
 */
final class SshdProcess {
  private static final Path SSHD = Path.of("/usr/sbin/sshd");
  private static final Path PRIVILEGE_SEPARATION_DIR = Path.of("/run/sshd");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * What the configuration file says: files in {@code dir}, listening on {@code address:port},
   * logging in the test user by public key only, with {@code HOME} set to {@code home}.
   */
  record Config(
      Path dir,
      String address,
      int port,
      Path hostKey,
      Path authorizedKeys,
      Path home,
      int maxSessions) {

    String render() {
      return String.join(
          "\n",
          "Port " + port,
          "ListenAddress " + address,
          "AddressFamily inet",
          "HostKey " + hostKey,
          "PidFile " + dir.resolve("sshd.pid"),
          "AuthorizedKeysFile " + authorizedKeys,
          "UsePAM no",
          "StrictModes no",
          "PermitRootLogin yes",
          "PubkeyAuthentication yes",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PrintMotd no",
          "PrintLastLog no",
          "UseDNS no",
          "X11Forwarding no",
          "AllowTcpForwarding no",
          "MaxSessions " + maxSessions,
          "MaxStartups 100:30:200",
          "LogLevel INFO",
          "SetEnv HOME=" + home,
          "");
    }

    Path log() {
      return dir.resolve("sshd.log");
    }
  }

  private final Config config;
  private final Process process;
  private boolean stopped;

  private SshdProcess(Config config, Process process) {
    this.config = config;
    this.process = process;
  }

  /**
   * Writes the configuration, starts sshd behind {@code launcher} (an argv prefix such as {@code ip
   * netns exec NAME}, or none) and waits until it listens.
   *
   * @throws IOException with sshd's log when it exits or does not listen in time (it is stopped)
   */
  static SshdProcess start(Config config, List<String> launcher)
      throws IOException, InterruptedException {
    Files.createDirectories(PRIVILEGE_SEPARATION_DIR);
    Files.createDirectories(config.dir());
    Files.createDirectories(config.home());
    Path file = config.dir().resolve("sshd_config");
    Files.writeString(file, config.render());
    Files.deleteIfExists(config.log());
    List<String> argv = new ArrayList<>(launcher);
    argv.addAll(List.of(SSHD.toString(), "-D", "-e", "-f", file.toString()));
    SshdProcess sshd =
        new SshdProcess(
            config,
            new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectOutput(config.log().toFile())
                .start());
    if (!sshd.awaitListening()) {
      sshd.stop();
      throw new IOException(
          "sshd on " + config.address() + ":" + config.port() + " did not start:\n" + sshd.log());
    }
    return sshd;
  }

  private boolean awaitListening() throws InterruptedException {
    String ready = "Server listening on " + config.address() + " port " + config.port();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (log().contains(ready)) {
        return true;
      }
      if (!process.isAlive()) {
        return false;
      }
      Thread.sleep(20);
    }
    return false;
  }

  long pid() {
    return process.pid();
  }

  /** True until it exits or is stopped. */
  boolean isAlive() {
    return !stopped && process.isAlive();
  }

  /** Everything sshd has logged so far. */
  String log() {
    try {
      Path log = config.log();
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The processes sshd forked for connections (and what they run). */
  List<ProcessHandle> connectionProcesses() {
    return process.descendants().collect(Collectors.toList());
  }

  /** Kills every connection process (by PID) and waits until they are gone. */
  void dropConnections() throws InterruptedException {
    List<ProcessHandle> children = connectionProcesses();
    children.forEach(ProcessHandle::destroyForcibly);
    awaitGone(children);
  }

  /** Stops sshd and every connection process it forked, by PID; does nothing a second time. */
  void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    List<ProcessHandle> children = connectionProcesses();
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
      children.forEach(ProcessHandle::destroyForcibly);
      awaitGone(children);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitGone(List<ProcessHandle> processes) throws InterruptedException {
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  /** A known_hosts line for {@code host} ({@code [addr]:port} or an address) with that key. */
  static String knownHostsLine(String host, String publicKeyLine) {
    String[] fields = publicKeyLine.strip().split("\\s+");
    return host + " " + fields[0] + " " + fields[1] + "\n";
  }

  /** Generates an unencrypted key pair of {@code type} in {@code file} and {@code file.pub}. */
  static void keygen(String type, Path file, String comment) {
    List<String> argv = new ArrayList<>(List.of("ssh-keygen", "-q", "-t", type));
    if ("rsa".equals(type)) {
      argv.addAll(List.of("-b", "3072"));
    }
    argv.addAll(List.of("-N", "", "-C", comment, "-f", file.toString()));
    run(argv.toArray(String[]::new));
  }

  /** Runs {@code argv} on this machine, requires success and returns its stdout. */
  static String run(String... argv) {
    try {
      ExecResult result =
          LocalExecutor.create().execute(Command.of(argv).withTimeout(Duration.ofSeconds(60)));
      return result.requireSuccess().stdoutUtf8();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
