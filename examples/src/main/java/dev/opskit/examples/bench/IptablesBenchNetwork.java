package dev.opskit.examples.bench;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Network namespaces for the iptables benchmarks, deleted on {@link #close()}: names are {@code
 * opskit-bench-TAG-RANDOM}, addresses come from 198.18.0.0/15. Needs root; never touches the host's
 * own firewall.
 */
final class IptablesBenchNetwork implements AutoCloseable {
  private final CommandExecutor local = LocalExecutor.create();
  private final String run = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
  private final Deque<String> namespaces = new ArrayDeque<>();
  private int links;

  /** Creates a namespace with loopback up. */
  String namespace(String tag) {
    String name = "opskit-bench-" + tag + "-" + run;
    run("ip", "netns", "add", name);
    namespaces.push(name);
    run("ip", "-n", name, "link", "set", "lo", "up");
    return name;
  }

  /** A veth pair between two namespaces, with an IPv4 CIDR on each end; returns the A side. */
  String link(String a, String cidrA, String b, String cidrB) {
    int id = ++links;
    String ifA = "ob" + run + "a" + id;
    String ifB = "ob" + run + "b" + id;
    run("ip", "link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b);
    address(a, ifA, cidrA);
    address(b, ifB, cidrB);
    return ifA;
  }

  /** Adds an address to an interface and brings it up. */
  void address(String namespace, String iface, String cidr) {
    run("ip", "-n", namespace, "addr", "add", cidr, "dev", iface);
    run("ip", "-n", namespace, "link", "set", iface, "up");
  }

  /** An executor inside a namespace. */
  CommandExecutor executor(String namespace) {
    return local.inNetworkNamespace(namespace);
  }

  /** Runs a command on the host and requires success. */
  ExecResult run(String... argv) {
    return run(Command.of(argv));
  }

  /** Runs a command and requires success. */
  ExecResult run(Command command) {
    try {
      return local.execute(command.withTimeout(Duration.ofMinutes(10))).requireSuccess();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    while (!namespaces.isEmpty()) {
      try {
        run("ip", "netns", "del", namespaces.pop());
      } catch (RuntimeException e) {
        System.err.println("could not delete namespace: " + e.getMessage());
      }
    }
  }
}
