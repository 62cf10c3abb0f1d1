package dev.opskit.core.test;

import dev.opskit.core.SshExecutor;
import dev.opskit.core.SshTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real OpenSSH {@code sshd} for tests, started on a free loopback port with its own host key,
 * authorized_keys, configuration and log, all in a temporary folder; the machine's own sshd,
 * configuration and keys are never used. Needs root (annotate the test {@code @Privileged(tools =
 * {"sshd", "ssh-keygen"})}). {@link #close()} stops it (and every connection process it forked) by
 * PID.
 *
 * <pre>{@code
 * try (SshdServer sshd = SshdServer.start(tempDir);
 *     SshExecutor ssh = sshd.executor()) {
 *   ssh.execute(Command.of("true")).requireSuccess();
 * }
 * }</pre>
 *
 * <p>Logs in as the user running the tests (root) with a generated ed25519 key ({@link
 * #clientKey()}); {@link #knownHosts()} lists the server's host key as {@code [127.0.0.1]:PORT}.
 * PAM is off, so password logins cannot be tested against it.
 */
public final class SshdServer implements AutoCloseable {
  private static final int MAX_SESSIONS = 10;
  private static final Pattern ACCEPTED = Pattern.compile("^Accepted \\S+ for ", Pattern.MULTILINE);
  private static final AtomicInteger KEYS = new AtomicInteger();

  private final Path dir;
  private final Path hostKey;
  private final Path authorizedKeys;
  private final Path clientKey;
  private final Path knownHosts;
  private final Path home;
  private final String user = System.getProperty("user.name");
  private SshdProcess sshd;
  private int port;

  private SshdServer(Path dir) {
    this.dir = dir;
    this.hostKey = dir.resolve("ssh_host_ed25519_key");
    this.authorizedKeys = dir.resolve("authorized_keys");
    this.clientKey = dir.resolve("client_ed25519");
    this.knownHosts = dir.resolve("known_hosts");
    this.home = dir.resolve("home");
  }

  /** Starts sshd with its files in {@code dir} (a {@code @TempDir}). */
  public static SshdServer start(Path dir) throws IOException, InterruptedException {
    SshdServer server = new SshdServer(Files.createDirectories(dir));
    try {
      server.setUp();
      return server;
    } catch (IOException | InterruptedException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private void setUp() throws IOException, InterruptedException {
    SshdProcess.keygen("ed25519", hostKey, "opskit-test-host");
    SshdProcess.keygen("ed25519", clientKey, "opskit-test-client");
    Files.writeString(authorizedKeys, "");
    authorize(publicKeyOf(clientKey));
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      port = freePort();
      try {
        sshd =
            SshdProcess.start(
                new SshdProcess.Config(
                    dir, "127.0.0.1", port, hostKey, authorizedKeys, home, MAX_SESSIONS),
                List.of());
        Files.writeString(knownHosts, knownHostsLine(Files.readString(publicKeyOf(hostKey))));
        return;
      } catch (IOException e) {
        // another process may have taken the free port first
        last = e;
      }
    }
    throw last;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The loopback port sshd listens on. */
  public int port() {
    return port;
  }

  /** The PID of the listening sshd. */
  public long pid() {
    return sshd.pid();
  }

  /** {@code ssh://<test user>@127.0.0.1:<port>}. */
  public SshTarget target() {
    return SshTarget.of(user, "127.0.0.1", port);
  }

  /** The unencrypted ed25519 private key that sshd accepts for the test user. */
  public Path clientKey() {
    return clientKey;
  }

  /** A known_hosts file listing this server's host key for {@code [127.0.0.1]:port}. */
  public Path knownHosts() {
    return knownHosts;
  }

  /** The host key's SHA256 fingerprint as {@code ssh-keygen -l} prints it. */
  public String hostKeyFingerprint() {
    return fingerprint(publicKeyOf(hostKey));
  }

  /** A known_hosts line for this server with {@code publicKeyLine} ({@code type base64 ...}). */
  public String knownHostsLine(String publicKeyLine) {
    return SshdProcess.knownHostsLine("[127.0.0.1]:" + port, publicKeyLine);
  }

  /** A builder for an executor that logs in with {@link #clientKey()} and checks host keys. */
  public SshExecutor.Builder executorBuilder() {
    return SshExecutor.builder(target()).identityFile(clientKey).knownHosts(knownHosts);
  }

  /** An executor built by {@link #executorBuilder()}; the caller closes it. */
  public SshExecutor executor() {
    return executorBuilder().build();
  }

  /**
   * Generates a new unencrypted key pair of {@code type} ({@code ed25519}, {@code rsa}, {@code
   * ecdsa}) in the server's folder and returns the private key file; not authorized yet.
   */
  public Path newKey(String type) {
    Path key = dir.resolve("key-" + type + "-" + KEYS.incrementAndGet());
    SshdProcess.keygen(type, key, "opskit-test-" + type);
    return key;
  }

  /** Adds the public key in {@code publicKeyFile} to the server's authorized_keys. */
  public void authorize(Path publicKeyFile) {
    try {
      Files.writeString(authorizedKeys, Files.readString(publicKeyFile), StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code .pub} file beside a private key file. */
  public static Path publicKeyOf(Path privateKey) {
    return privateKey.resolveSibling(privateKey.getFileName() + ".pub");
  }

  /** The SHA256 fingerprint of a public key file, from {@code ssh-keygen -l}. */
  public static String fingerprint(Path publicKeyFile) {
    String line =
        SshdProcess.run("ssh-keygen", "-l", "-E", "sha256", "-f", publicKeyFile.toString());
    return line.split("\\s+")[1];
  }

  /** Everything sshd has logged so far. */
  public String log() {
    return sshd == null ? "" : sshd.log();
  }

  /** How many logins sshd has accepted so far: one per SSH connection that authenticated. */
  public int acceptedLogins() {
    Matcher matcher = ACCEPTED.matcher(log());
    int count = 0;
    while (matcher.find()) {
      count++;
    }
    return count;
  }

  /** The processes sshd forked for connections (and what they run), by PID. */
  public List<ProcessHandle> connectionProcesses() {
    return sshd.connectionProcesses();
  }

  /**
   * Kills every process sshd forked for a connection (by PID), which drops all connections as a
   * crashed or restarted server would; sshd itself keeps listening.
   */
  public void dropConnections() throws InterruptedException {
    sshd.dropConnections();
  }

  /** Stops sshd and every connection process it forked, by PID. */
  @Override
  public void close() {
    if (sshd != null) {
      sshd.stop();
    }
  }

  @Override
  public String toString() {
    return "sshd on 127.0.0.1:" + port;
  }
}
