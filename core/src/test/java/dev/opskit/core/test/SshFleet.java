package dev.opskit.core.test;

import dev.opskit.core.ExecResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fleet of hosts for tests and benchmarks: each host a network namespace with its own OpenSSH
 * {@code sshd} on port 22 of a 198.18.0.0/15 address, linked to one controller namespace by a veth
 * pair. A JVM outside the namespaces reaches each host through a loopback port that relays into the
 * controller namespace ({@link #inventory()}); a program run inside the controller namespace
 * reaches the addresses directly ({@link #directInventory()}). One host key, one client key and one
 * known_hosts file (listing both forms) for the whole fleet. Needs root, {@code ip}, {@code sshd},
 * {@code ssh-keygen}, {@code socat} and {@code unshare}. {@link #close()} stops every process it
 * started by PID and deletes the namespaces.
 *
 * <pre>{@code
 * try (SshFleet fleet = SshFleet.builder(tempDir).hosts(20).privateRun(true).start()) {
 *   Files.writeString(tempDir.resolve("fleet.txt"), fleet.inventory());
 *   // ssh with fleet.clientKey() and fleet.knownHosts()
 * }
 * }</pre>
 *
 * <p>The namespaces share this machine's file system. {@link Builder#privateRun(boolean)} gives
 * each sshd (and so every command run over it) a fresh tmpfs on {@code /run}, as separate machines
 * have, and {@link Builder#privateDirectory(Path)} mounts a directory of each host's own over one
 * path, so that state kept in files (locks, journals, drop-ins) stays per host.
 */
public final class SshFleet implements AutoCloseable {
  private static final int MAX_SESSIONS = 64;

  /** Mounts a tmpfs on /run when $1 is set and binds $3 over $2 when $2 is set, then runs sshd. */
  private static final String MOUNTS =
      "set -e\n"
          + "if [ -n \"$1\" ]; then mount -t tmpfs -o mode=0755 opskit-run /run;"
          + " mkdir -p /run/sshd; fi\n"
          + "if [ -n \"$2\" ]; then mount --bind \"$3\" \"$2\"; fi\n"
          + "shift 3\n"
          + "exec \"$@\"\n";

  private final Path dir;
  private final int size;
  private final boolean privateRun;
  private final Path privateDirectory;
  private final TestNetworks net = TestNetworks.create();
  private final List<Host> hosts = new ArrayList<>();
  private String controller;
  private Path hostKey;
  private Path clientKey;
  private Path authorizedKeys;
  private Path knownHosts;

  /** One host of the fleet: its name, namespace, address and sshd. */
  public final class Host {
    private final int index;
    private final String namespace;
    private final String address;
    private final Path home;
    private SshdProcess sshd;
    private Relay relay;

    private Host(int index, String namespace, String address) {
      this.index = index;
      this.namespace = namespace;
      this.address = address;
      this.home = dir.resolve("host-" + index);
    }

    /** Its position in the fleet, from 0. */
    public int index() {
      return index;
    }

    /** Its name in the inventories: {@code node-00}, {@code node-01}, … */
    public String name() {
      return String.format("node-%02d", index);
    }

    /** Its network namespace. */
    public String namespace() {
      return namespace;
    }

    /** Its address in the controller's network. */
    public String address() {
      return address;
    }

    /**
     * The directory mounted over {@link Builder#privateDirectory(Path)} for this host's commands:
     * read it here to see what the host wrote there.
     */
    public Path privateDirectory() {
      return home.resolve("private");
    }

    /** Runs a command inside the host's network namespace (not over SSH) and requires success. */
    public ExecResult exec(String... argv) {
      return net.exec(namespace, argv);
    }

    /** True while its sshd runs. */
    public boolean sshdRunning() {
      return sshd != null && sshd.isAlive();
    }

    /** Stops its sshd and every connection it serves, so the host becomes unreachable. */
    public void stopSshd() {
      if (sshd != null) {
        sshd.stop();
        sshd = null;
      }
    }

    /** Starts its sshd again after {@link #stopSshd()}. */
    public void startSshd() throws IOException, InterruptedException {
      if (!sshdRunning()) {
        sshd = launchSshd(this);
      }
    }

    @Override
    public String toString() {
      return name();
    }
  }

  private SshFleet(Builder builder) {
    this.dir = builder.dir;
    this.size = builder.hosts;
    this.privateRun = builder.privateRun;
    this.privateDirectory = builder.privateDirectory;
  }

  /** A builder for a fleet with its files in {@code dir} (a temporary folder). */
  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  private void startAll() throws IOException, InterruptedException {
    hostKey = dir.resolve("host_ed25519");
    clientKey = dir.resolve("client_ed25519");
    SshdProcess.keygen("ed25519", hostKey, "opskit-test-host");
    SshdProcess.keygen("ed25519", clientKey, "opskit-test-client");
    authorizedKeys = dir.resolve("authorized_keys");
    Files.copy(SshdServer.publicKeyOf(clientKey), authorizedKeys);
    if (privateDirectory != null) {
      Files.createDirectories(privateDirectory);
    }
    controller = net.namespace("ctl");
    String key = Files.readString(SshdServer.publicKeyOf(hostKey));
    StringBuilder known = new StringBuilder();
    for (int i = 0; i < size; i++) {
      String namespace = net.namespace("h" + i);
      String subnet = "198.18." + (i / 64) + ".";
      String address = subnet + (4 * (i % 64) + 2);
      net.link(controller, subnet + (4 * (i % 64) + 1) + "/30", namespace, address + "/30");
      Host host = new Host(i, namespace, address);
      hosts.add(host);
      Files.createDirectories(host.privateDirectory());
      host.sshd = launchSshd(host);
      host.relay = new Relay(controller, address);
      known.append(SshdProcess.knownHostsLine("[127.0.0.1]:" + host.relay.port(), key));
      known.append(SshdProcess.knownHostsLine(address, key));
    }
    knownHosts = dir.resolve("known_hosts");
    Files.writeString(knownHosts, known);
  }

  /** The hosts, in inventory order. */
  public List<Host> hosts() {
    return hosts;
  }

  /** The host at {@code index}. */
  public Host host(int index) {
    return hosts.get(index);
  }

  /** The namespace every host is linked to. */
  public String controller() {
    return controller;
  }

  /** The test namespaces, to add more (for example traffic sources). */
  public TestNetworks network() {
    return net;
  }

  /** The private key every host accepts for the user running the fleet. */
  public Path clientKey() {
    return clientKey;
  }

  /** A known_hosts file listing every host, by relay port and by address. */
  public Path knownHosts() {
    return knownHosts;
  }

  /** An inventory reaching each host through its loopback relay: {@code NAME ssh://…} lines. */
  public String inventory() {
    return inventory(host -> "127.0.0.1:" + host.relay.port());
  }

  /** An inventory of the hosts' own addresses, for programs run in the controller namespace. */
  public String directInventory() {
    return inventory(host -> host.address + ":22");
  }

  private String inventory(java.util.function.Function<Host, String> where) {
    String user = System.getProperty("user.name");
    StringBuilder text = new StringBuilder("# test fleet\n");
    for (Host host : hosts) {
      text.append(host.name())
          .append(" ssh://")
          .append(user)
          .append('@')
          .append(where.apply(host))
          .append('\n');
    }
    return text.toString();
  }

  private SshdProcess launchSshd(Host host) throws IOException, InterruptedException {
    List<String> launcher =
        List.of(
            "ip",
            "netns",
            "exec",
            host.namespace,
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            MOUNTS,
            "sh",
            privateRun ? "run" : "",
            privateDirectory == null ? "" : privateDirectory.toString(),
            host.privateDirectory().toString());
    return SshdProcess.start(
        new SshdProcess.Config(
            host.home,
            host.address,
            22,
            hostKey,
            authorizedKeys,
            dir.resolve("home"),
            MAX_SESSIONS),
        launcher);
  }

  /** Stops every relay and sshd, then deletes the namespaces. */
  @Override
  public void close() {
    try {
      for (Host host : hosts) {
        if (host.relay != null) {
          host.relay.close();
        }
        host.stopSshd();
      }
    } finally {
      net.close();
    }
  }

  /** Configures and starts a {@link SshFleet}. */
  public static final class Builder {
    private final Path dir;
    private int hosts = 20;
    private boolean privateRun;
    private Path privateDirectory;

    private Builder(Path dir) {
      this.dir = dir;
    }

    /** How many hosts; 20 by default, at most 256. */
    public Builder hosts(int count) {
      if (count < 1 || count > 256) {
        throw new IllegalArgumentException("host count " + count + " must be from 1 to 256");
      }
      this.hosts = count;
      return this;
    }

    /** Gives each host a tmpfs of its own on {@code /run}; false by default. */
    public Builder privateRun(boolean enabled) {
      this.privateRun = enabled;
      return this;
    }

    /**
     * Mounts a directory of each host's own ({@link Host#privateDirectory()}) over {@code path}
     * (created if missing, inside the fleet's folder or another temporary one) for that host's
     * commands.
     */
    public Builder privateDirectory(Path path) {
      this.privateDirectory = path;
      return this;
    }

    /** Creates the namespaces and starts every sshd; on failure, cleans up what it started. */
    public SshFleet start() throws IOException, InterruptedException {
      SshFleet fleet = new SshFleet(this);
      try {
        fleet.startAll();
        return fleet;
      } catch (IOException | InterruptedException | RuntimeException | Error e) {
        fleet.close();
        throw e;
      }
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

    Relay(String namespace, String address) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor =
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
                    pump(socat.getInputStream(), socket.getOutputStream(), socket);
                    pump(socket.getInputStream(), socat.getOutputStream(), socket);
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
      processes.forEach(Process::destroyForcibly);
    }
  }
}
