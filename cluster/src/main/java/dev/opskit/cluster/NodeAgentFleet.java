package dev.opskit.cluster;

import dev.opskit.cluster.internal.agents.AgentApi;
import dev.opskit.cluster.internal.agents.NodeAgentSpec;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.FleetHost;
import io.kubernetes.client.openapi.ApiException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The nodes {@link NodeAgents#deploy()} reached: one {@link FleetHost} per node with a Ready agent,
 * then one per unreachable node (whose executor fails with the reason, so a rollout reports it
 * unreachable). Owns the agent DaemonSet: {@link #close()} deletes it and waits until it and its
 * pods are gone. Thread-safe.
 *
 * <pre>{@code
 * try (NodeAgentFleet fleet = NodeAgents.builder(client).labelSelector("pool=web").build().deploy()) {
 *   RolloutReport report = Rollout.builder().hosts(fleet.hosts()).task(task).build().run();
 * }
 * }</pre>
 */
public final class NodeAgentFleet implements AutoCloseable {
  private final String namespace;
  private final Cleanup cleanup;
  private final List<FleetHost> ready;
  private final List<FleetHost> hosts;
  private final Map<String, String> unreachable;
  private final Duration cleanupTimeout;

  NodeAgentFleet(
      AgentApi api,
      String namespace,
      Cleanup cleanup,
      List<FleetHost> ready,
      Map<String, String> unreachable,
      Duration cleanupTimeout) {
    this.namespace = namespace;
    this.cleanup = cleanup;
    this.ready = List.copyOf(ready);
    this.unreachable = Collections.unmodifiableMap(new LinkedHashMap<>(unreachable));
    this.cleanupTimeout = cleanupTimeout;
    List<FleetHost> all = new ArrayList<>(ready);
    unreachable.forEach((node, why) -> all.add(FleetHost.of(node, unreachableExecutor(node, why))));
    this.hosts = List.copyOf(all);
  }

  private static CommandExecutor unreachableExecutor(String node, String why) {
    return command -> {
      throw new IOException("node " + node + " has no ready agent: " + why);
    };
  }

  /**
   * Every selected node in rollout order: those with a Ready agent by name, then the unreachable
   * ones by name (their executors throw {@link IOException} naming the reason).
   */
  public List<FleetHost> hosts() {
    return hosts;
  }

  /** The nodes with a Ready agent, by name. */
  public List<FleetHost> readyHosts() {
    return ready;
  }

  /** The nodes without a Ready agent (or not found), by name, with the reason. */
  public Map<String, String> unreachable() {
    return unreachable;
  }

  /** The agent DaemonSet's name; empty when no node was selected and nothing was created. */
  public Optional<String> daemonSet() {
    return cleanup == null ? Optional.empty() : Optional.of(cleanup.name);
  }

  /** The DaemonSet's namespace. */
  public String namespace() {
    return namespace;
  }

  /**
   * Deletes the DaemonSet (foreground propagation) and waits until it and its pods are gone.
   * Idempotent. Works on an interrupted thread too: the interrupt status is set again afterwards.
   *
   * @throws IOException when the delete failed or the pods were still there after the cleanup
   *     timeout
   */
  @Override
  public void close() throws IOException {
    if (cleanup == null) {
      return;
    }
    boolean interrupted = Thread.interrupted();
    try {
      cleanup.run(cleanupTimeout);
    } catch (InterruptedException e) {
      interrupted = true;
      throw new IOException(
          "interrupted while deleting DaemonSet " + namespace + "/" + cleanup.name, e);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "NodeAgentFleet{" + ready.size() + " ready, " + unreachable.size() + " unreachable}";
  }

  /** Deletes one agent DaemonSet: once, from close, a failed deploy or the JVM's shutdown. */
  static final class Cleanup {
    private final AgentApi api;
    private final String namespace;
    private final String name;
    private final String run;
    private final AtomicBoolean done = new AtomicBoolean();
    private Thread hook;

    Cleanup(AgentApi api, String namespace, String name, String run) {
      this.api = api;
      this.namespace = namespace;
      this.name = name;
      this.run = run;
    }

    synchronized void armShutdownHook() {
      hook = new Thread(this::onShutdown, "opskit-node-agents-cleanup");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    private void onShutdown() {
      try {
        deleteOnce();
      } catch (ApiException | IOException | InterruptedException e) {
        System.err.println(
            "opskit: could not delete DaemonSet " + namespace + "/" + name + ": " + e.getMessage());
      }
    }

    private synchronized void disarm() {
      if (hook != null && Thread.currentThread() != hook) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // the JVM is shutting down: the hook runs anyway
        }
      }
      hook = null;
    }

    private boolean deleteOnce() throws ApiException, IOException, InterruptedException {
      if (!done.compareAndSet(false, true)) {
        return false;
      }
      try {
        api.delete(namespace, name);
        return true;
      } catch (ApiException | IOException | InterruptedException | RuntimeException e) {
        done.set(false);
        throw e;
      }
    }

    void run(Duration timeout) throws IOException, InterruptedException {
      try {
        deleteOnce();
        long deadline = System.nanoTime() + timeout.toNanos();
        long wait = 100;
        while (api.exists(namespace, name)
            || !api.pods(namespace, NodeAgentSpec.RUN + "=" + run).isEmpty()) {
          if (System.nanoTime() > deadline) {
            throw new IOException(
                "DaemonSet "
                    + namespace
                    + "/"
                    + name
                    + " or its pods still exist "
                    + timeout.toSeconds()
                    + " s after deleting it");
          }
          Thread.sleep(wait);
          wait = Math.min(wait * 2, 2000);
        }
      } catch (ApiException e) {
        throw NodeAgents.apiFailure("deleting DaemonSet " + namespace + "/" + name, e);
      } finally {
        disarm();
      }
    }

    /** Runs the cleanup after {@code primary} failed; problems are added to it as suppressed. */
    void runQuietly(Throwable primary, Duration timeout) {
      boolean interrupted = Thread.interrupted();
      try {
        run(timeout);
      } catch (IOException | RuntimeException e) {
        primary.addSuppressed(e);
      } catch (InterruptedException e) {
        primary.addSuppressed(e);
        interrupted = true;
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
