package dev.opskit.core.test;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Network namespaces for tests, deleted on {@link #close()} (use try-with-resources or
 * {@code @AfterEach}), also when the test fails. Names are {@code opskit-test-<tag>-<random>} so
 * tests never touch namespaces they did not create. Addresses must come from 198.18.0.0/15.
 *
 * <pre>{@code
 * try (TestNetworks net = TestNetworks.create()) {
 *   String client = net.namespace("client");
 *   String node = net.namespace("node");
 *   net.link(client, "198.18.0.1/24", node, "198.18.0.2/24");
 *   CommandExecutor inNode = net.executor(node);
 * }
 * }</pre>
 */
public final class TestNetworks implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final CommandExecutor local = LocalExecutor.create();
  private final String run = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
  private final Deque<String> namespaces = new ArrayDeque<>();
  private int links;

  private TestNetworks() {}

  /** An empty set of test namespaces. */
  public static TestNetworks create() {
    return new TestNetworks();
  }

  /** Creates a namespace with loopback up and returns its full name. */
  public String namespace(String tag) {
    String name = "opskit-test-" + tag + "-" + run;
    run("ip", "netns", "add", name);
    namespaces.push(name);
    run("ip", "-n", name, "link", "set", "lo", "up");
    return name;
  }

  /**
   * Connects two namespaces with a veth pair, gives each end an address ({@code CIDR} form, from
   * 198.18.0.0/15 or an IPv6 documentation prefix) and brings both ends up. Returns the interface
   * names, {@code [inA, inB]}.
   */
  public List<String> link(String namespaceA, String addressA, String namespaceB, String addressB) {
    int id = ++links;
    String ifA = "ok" + run + "a" + id;
    String ifB = "ok" + run + "b" + id;
    run(
        "ip",
        "link",
        "add",
        ifA,
        "netns",
        namespaceA,
        "type",
        "veth",
        "peer",
        "name",
        ifB,
        "netns",
        namespaceB);
    address(namespaceA, ifA, addressA);
    address(namespaceB, ifB, addressB);
    return List.of(ifA, ifB);
  }

  /** Adds an address to an interface inside a namespace. */
  public void address(String namespace, String iface, String cidr) {
    String family = cidr.contains(":") ? "-6" : "-4";
    List<String> argv =
        cidr.contains(":")
            ? List.of("ip", family, "-n", namespace, "addr", "add", cidr, "dev", iface, "nodad")
            : List.of("ip", family, "-n", namespace, "addr", "add", cidr, "dev", iface);
    run(argv.toArray(String[]::new));
    run("ip", "-n", namespace, "link", "set", iface, "up");
  }

  /** An executor running commands inside {@code namespace}. */
  public CommandExecutor executor(String namespace) {
    return local.inNetworkNamespace(namespace);
  }

  /** Runs a command inside {@code namespace} and requires success. */
  public ExecResult exec(String namespace, String... argv) {
    return run(Command.builder().addArgv("ip", "netns", "exec", namespace).addArgv(argv).build());
  }

  /** Runs a command on the host and requires success (for {@code ip} set-up commands). */
  public ExecResult run(String... argv) {
    return run(Command.of(argv));
  }

  private ExecResult run(Command command) {
    try {
      return local.execute(command.withTimeout(TIMEOUT)).requireSuccess();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Deletes every namespace this instance created (and with them their interfaces). */
  @Override
  public void close() {
    RuntimeException first = null;
    while (!namespaces.isEmpty()) {
      String name = namespaces.pop();
      try {
        run("ip", "netns", "del", name);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
