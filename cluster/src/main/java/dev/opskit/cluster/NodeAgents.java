package dev.opskit.cluster;

import dev.opskit.cluster.internal.agents.AgentApi;
import dev.opskit.cluster.internal.agents.AgentExecutor;
import dev.opskit.cluster.internal.agents.ApiThrottle;
import dev.opskit.cluster.internal.agents.NodeAgentSpec;
import dev.opskit.cluster.internal.reaper.LabelSelector;
import dev.opskit.core.FleetHost;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodCondition;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Reaches Kubernetes nodes for a fleet {@link dev.opskit.core.Rollout}: selects nodes from the API
 * (by label selector and/or names), creates a short-lived DaemonSet that runs one privileged agent
 * pod on each of them, waits until each agent is Running and Ready, and hands back one {@link
 * FleetHost} per node whose executor execs into that node's agent. {@link NodeAgentFleet#close()}
 * deletes the DaemonSet and its pods.
 *
 * <pre>{@code
 * try (NodeAgentFleet fleet =
 *     NodeAgents.builder(apiClient).labelSelector("node-role.kubernetes.io/worker").build().deploy()) {
 *   fleet.unreachable().forEach((node, why) -> System.err.println(node + ": " + why));
 *   RolloutReport report = Rollout.builder().hosts(fleet.hosts()).task(task).build().run();
 *   System.out.print(report.renderTable());
 * } // the DaemonSet and its pods are deleted here, also after a failure or an interrupt
 * }</pre>
 *
 * <p><b>The agent.</b> A DaemonSet {@code opskit-agents-<random>} in {@link Builder#namespace}
 * ({@code kube-system} by default, which admits privileged pods), labelled {@code
 * app.kubernetes.io/managed-by=opskit}; its pods run privileged with the host's PID, network and
 * IPC namespaces, tolerate every taint ({@code operator: Exists}), are restricted to the selected
 * nodes by node affinity ({@code matchFields metadata.name In [...]}, nodes are never labelled),
 * and only sleep. A command runs as {@code nsenter -t 1 -m -u -i -n -p -- ARGV}: in the node's own
 * mount, UTS, IPC, network and PID namespaces, so ARGV is the node's binary and sees the node's
 * files ({@code /etc}, {@code /proc/sys}). The exec request itself names only a constant {@code sh
 * -c SCRIPT}: ARGV and the command's stdin travel on the exec's stdin, framed, and the pod's shell
 * reads them back word by word without parsing them, so no URL limit bounds a command's size and no
 * word is ever expanded. Commands with stdin are supported (the pod's {@code head} passes exactly
 * that many bytes on); env and working directory are not. A command still running a second after
 * its timeout is killed on the node with the processes it started (closing an exec does not end
 * them). The image needs {@code sleep}, {@code sh}, {@code head}, {@code setsid} (for the kill) and
 * {@code nsenter}: busybox by default.
 *
 * <p><b>Guarantees.</b> A node whose agent is not Running and Ready within {@link
 * Builder#readyTimeout} (an untolerable admission, an image that cannot be pulled, a full node),
 * and a node named but not found, is never skipped silently: it is in {@link
 * NodeAgentFleet#unreachable()} with the reason, and in {@link NodeAgentFleet#hosts()} with an
 * executor that fails with that reason, so a rollout reports it {@code UNREACHABLE} and counts it
 * against its failure budget. The DaemonSet is deleted when {@link #deploy()} fails or is
 * interrupted, by {@link NodeAgentFleet#close()} (also on an interrupted thread), and by a JVM
 * shutdown hook while it exists; a DaemonSet left by a killed JVM carries an expiry annotation and
 * is deleted by the next deployment in its namespace once expired. Every API call, exec included,
 * goes through one client-side limit: {@link Builder#requestsPerSecond} (10 by default) and {@link
 * Builder#maxConcurrentRequests} (5 by default); list, create and delete are retried on 429, 5xx
 * and transport errors under {@link Builder#requestPolicy}. The readiness wait polls the agents'
 * pods with a backoff from {@link Builder#pollInterval} up to 2 seconds.
 *
 * <p>Immutable and thread-safe; each {@link #deploy()} creates its own DaemonSet.
 */
public final class NodeAgents {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile(
          "(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Duration MAX_POLL = Duration.ofSeconds(2);

  /** The default agent image. */
  public static final String DEFAULT_IMAGE = "docker.io/library/busybox:1.36.1";

  private final ApiClient client;
  private final String labelSelector;
  private final Set<String> nodeNames;
  private final String namespace;
  private final String image;
  private final Duration readyTimeout;
  private final Duration cleanupTimeout;
  private final Duration pollInterval;
  private final Duration execTimeout;
  private final Duration expireAfter;
  private final double requestsPerSecond;
  private final int maxConcurrentRequests;
  private final RequestPolicy requestPolicy;

  private NodeAgents(Builder builder) {
    this.client = builder.client;
    this.labelSelector = builder.labelSelector == null ? "" : builder.labelSelector;
    this.nodeNames = builder.nodeNames == null ? null : Set.copyOf(builder.nodeNames);
    this.namespace = builder.namespace;
    this.image = builder.image;
    this.readyTimeout = builder.readyTimeout;
    this.cleanupTimeout = builder.cleanupTimeout;
    this.pollInterval = builder.pollInterval;
    this.execTimeout = builder.execTimeout;
    this.expireAfter = builder.expireAfter;
    this.requestsPerSecond = builder.requestsPerSecond;
    this.maxConcurrentRequests = builder.maxConcurrentRequests;
    this.requestPolicy = builder.requestPolicy;
  }

  /** A builder for agents reached through {@code client}; a selector or names are required. */
  public static Builder builder(ApiClient client) {
    return new Builder(client);
  }

  /** The namespace the DaemonSet is created in. */
  public String namespace() {
    return namespace;
  }

  /** The agent image. */
  public String image() {
    return image;
  }

  /**
   * Selects the nodes, creates the agent DaemonSet, and waits until each selected node has a Ready
   * agent or {@link Builder#readyTimeout} has passed. When no node is selected, nothing is created.
   *
   * @return the fleet; close it to delete the DaemonSet
   * @throws IOException when an API call failed (after its retries); the DaemonSet, if created, is
   *     deleted first
   * @throws InterruptedException when interrupted; the DaemonSet, if created, is deleted first
   */
  public NodeAgentFleet deploy() throws IOException, InterruptedException {
    AgentApi api =
        new AgentApi(
            client, new ApiThrottle(requestsPerSecond, maxConcurrentRequests), requestPolicy);
    String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(6);
    String name = "opskit-agents-" + run;
    Map<String, String> unreachable = new TreeMap<>();
    List<String> selected = new ArrayList<>();
    try {
      deleteExpired(api);
      Set<String> found = new LinkedHashSet<>();
      for (V1Node node : api.nodes(labelSelector)) {
        String nodeName = node.getMetadata().getName();
        if (nodeNames == null || nodeNames.contains(nodeName)) {
          found.add(nodeName);
        }
      }
      selected.addAll(found);
      selected.sort(null);
      if (nodeNames != null) {
        for (String missing : nodeNames) {
          if (!found.contains(missing)) {
            unreachable.put(
                missing,
                labelSelector.isEmpty()
                    ? "no such node"
                    : "no such node matching '" + labelSelector + "'");
          }
        }
      }
    } catch (ApiException e) {
      throw apiFailure("selecting nodes", e);
    }
    if (selected.isEmpty()) {
      return new NodeAgentFleet(api, namespace, null, List.of(), unreachable, cleanupTimeout);
    }
    V1DaemonSet daemonSet =
        NodeAgentSpec.daemonSet(
            name, namespace, run, image, selected, Instant.now().plus(expireAfter));
    NodeAgentFleet.Cleanup cleanup = new NodeAgentFleet.Cleanup(api, namespace, name, run);
    try {
      api.create(daemonSet);
    } catch (ApiException e) {
      throw apiFailure("creating DaemonSet " + namespace + "/" + name, e);
    } catch (IOException | InterruptedException e) {
      cleanup.runQuietly(e, cleanupTimeout); // an answer lost after the DaemonSet was created
      throw e;
    }
    cleanup.armShutdownHook();
    try {
      Map<String, String> ready = awaitReady(api, run, selected, unreachable);
      List<FleetHost> hosts = new ArrayList<>();
      ready.forEach(
          (node, pod) ->
              hosts.add(
                  FleetHost.of(
                      node,
                      new AgentExecutor(
                          client, api.throttle(), node, namespace, pod, execTimeout))));
      return new NodeAgentFleet(api, namespace, cleanup, hosts, unreachable, cleanupTimeout);
    } catch (ApiException e) {
      IOException failure = apiFailure("waiting for the agents of " + namespace + "/" + name, e);
      cleanup.runQuietly(failure, cleanupTimeout);
      throw failure;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cleanup.runQuietly(e, cleanupTimeout);
      throw e;
    }
  }

  private Map<String, String> awaitReady(
      AgentApi api, String run, List<String> selected, Map<String, String> unreachable)
      throws ApiException, IOException, InterruptedException {
    long deadline = System.nanoTime() + readyTimeout.toNanos();
    Map<String, String> ready = new TreeMap<>();
    Map<String, String> waiting = new TreeMap<>();
    Duration wait = pollInterval;
    while (true) {
      int before = ready.size();
      waiting.clear();
      for (V1Pod pod : api.pods(namespace, NodeAgentSpec.RUN + "=" + run)) {
        String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        if (node == null
            || ready.containsKey(node)
            || pod.getMetadata().getDeletionTimestamp() != null) {
          continue;
        }
        if (isReady(pod)) {
          ready.put(node, pod.getMetadata().getName());
        } else {
          waiting.put(node, "agent pod " + pod.getMetadata().getName() + " " + describe(pod));
        }
      }
      long left = deadline - System.nanoTime();
      if (ready.size() == selected.size() || left <= 0) {
        break;
      }
      Thread.sleep(Math.max(1, Math.min(wait.toMillis(), left / 1_000_000)));
      wait = ready.size() > before ? pollInterval : min(wait.multipliedBy(2), MAX_POLL);
    }
    for (String node : selected) {
      if (!ready.containsKey(node)) {
        unreachable.put(
            node,
            waiting.getOrDefault(node, "no agent pod was scheduled")
                + " after "
                + readyTimeout.toSeconds()
                + " s");
      }
    }
    return ready;
  }

  private void deleteExpired(AgentApi api) throws IOException, InterruptedException {
    List<V1DaemonSet> agents;
    try {
      agents = api.agentDaemonSets(namespace);
    } catch (ApiException | IOException e) {
      return; // best effort: a caller allowed to create but not to list still gets its agents
    }
    Instant now = Instant.now();
    for (V1DaemonSet old : agents) {
      Map<String, String> annotations = old.getMetadata().getAnnotations();
      String expires = annotations == null ? null : annotations.get(NodeAgentSpec.EXPIRES);
      try {
        if (expires != null && Instant.parse(expires).isBefore(now)) {
          api.delete(namespace, old.getMetadata().getName());
        }
      } catch (DateTimeParseException | ApiException | IOException e) {
        // not ours to judge, or not deletable now: the next deployment tries again
      }
    }
  }

  private static boolean isReady(V1Pod pod) {
    if (pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
      return false;
    }
    List<V1PodCondition> conditions = pod.getStatus().getConditions();
    return conditions != null
        && conditions.stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static String describe(V1Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if (phase == null) {
      return "has no status";
    }
    List<String> reasons = new ArrayList<>();
    if (pod.getStatus().getReason() != null) {
      reasons.add(pod.getStatus().getReason());
    }
    if (pod.getStatus().getContainerStatuses() != null) {
      for (V1ContainerStatus container : pod.getStatus().getContainerStatuses()) {
        if (container.getState() != null && container.getState().getWaiting() != null) {
          reasons.add(container.getState().getWaiting().getReason());
        }
      }
    }
    return "is "
        + phase
        + (phase.equals("Running") ? " but not Ready" : "")
        + (reasons.isEmpty() ? "" : " (" + String.join(", ", reasons) + ")");
  }

  static IOException apiFailure(String what, ApiException e) {
    return new IOException(
        what + " failed: HTTP " + e.getCode() + " " + Objects.toString(e.getResponseBody(), ""), e);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public String toString() {
    return "NodeAgents{selector='"
        + labelSelector
        + "', names="
        + nodeNames
        + ", namespace="
        + namespace
        + ", image="
        + image
        + "}";
  }

  /** Configures {@link NodeAgents}; each setter validates its value. Not thread-safe. */
  public static final class Builder {
    private final ApiClient client;
    private String labelSelector;
    private Set<String> nodeNames;
    private String namespace = "kube-system";
    private String image = DEFAULT_IMAGE;
    private Duration readyTimeout = Duration.ofMinutes(2);
    private Duration cleanupTimeout = Duration.ofMinutes(1);
    private Duration pollInterval = Duration.ofMillis(250);
    private Duration execTimeout = Duration.ofMinutes(5);
    private Duration expireAfter = Duration.ofHours(12);
    private double requestsPerSecond = 10;
    private int maxConcurrentRequests = 5;
    private RequestPolicy requestPolicy = RequestPolicy.defaults();

    private Builder(ApiClient client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * Selects the nodes whose labels match {@code selector} (the API's syntax: {@code a=b}, {@code
     * a!=b}, {@code a in (x,y)}, {@code !a}); the empty selector selects every node. Combined with
     * {@link #nodeNames}, a node must match both.
     *
     * @throws IllegalArgumentException when the selector does not parse
     */
    public Builder labelSelector(String selector) {
      Objects.requireNonNull(selector, "selector");
      LabelSelector.parse(selector);
      this.labelSelector = selector.strip();
      return this;
    }

    /**
     * Selects these nodes by name; a name that is not found is reported unreachable.
     *
     * @throws IllegalArgumentException when a name is not a DNS subdomain or the list is empty
     */
    public Builder nodeNames(Collection<String> names) {
      Objects.requireNonNull(names, "names");
      if (names.isEmpty()) {
        throw new IllegalArgumentException("node names must not be empty");
      }
      for (String name : names) {
        if (name == null || !DNS_SUBDOMAIN.matcher(name).matches()) {
          throw new IllegalArgumentException(
              "node name '"
                  + name
                  + "' must be a DNS subdomain (lower case letters, digits, '-' and '.', at most"
                  + " 253 characters)");
        }
      }
      this.nodeNames = new LinkedHashSet<>(names);
      return this;
    }

    /**
     * The namespace of the DaemonSet; it must admit privileged pods. {@code kube-system} by
     * default.
     *
     * @throws IllegalArgumentException when it is not a DNS label
     */
    public Builder namespace(String namespace) {
      if (namespace == null || !DNS_LABEL.matcher(namespace).matches()) {
        throw new IllegalArgumentException(
            "namespace '"
                + namespace
                + "' must be a DNS label (lower case letters, digits and '-', at most 63"
                + " characters, starting and ending with a letter or digit)");
      }
      this.namespace = namespace;
      return this;
    }

    /**
     * The agent image, with {@code sleep}, {@code sh}, {@code head}, {@code setsid} and {@code
     * nsenter}; {@value #DEFAULT_IMAGE} by default. Pin a digest ({@code …@sha256:…}) or a mirror
     * in production.
     *
     * @throws IllegalArgumentException when it is not a valid image reference
     */
    public Builder image(String image) {
      ImageReference.parse(image);
      this.image = image;
      return this;
    }

    /** How long to wait for every agent to be Ready; 2 minutes by default. */
    public Builder readyTimeout(Duration timeout) {
      this.readyTimeout = positive("ready timeout", timeout);
      return this;
    }

    /**
     * How long {@link NodeAgentFleet#close()} waits for the DaemonSet and its pods to go; 1 minute.
     */
    public Builder cleanupTimeout(Duration timeout) {
      this.cleanupTimeout = positive("cleanup timeout", timeout);
      return this;
    }

    /** The first interval between polls of the agents' pods (doubling up to 2 s); 250 ms. */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = positive("poll interval", interval);
      return this;
    }

    /** The timeout of commands that have none of their own; 5 minutes by default. */
    public Builder execTimeout(Duration timeout) {
      this.execTimeout = positive("exec timeout", timeout);
      return this;
    }

    /**
     * After how long another deployment may delete this DaemonSet if it is still there (its owner
     * died); 12 hours by default. Keep it above the longest rollout.
     */
    public Builder expireAfter(Duration lifetime) {
      this.expireAfter = positive("expire after", lifetime);
      return this;
    }

    /** At most this many API calls (execs included) started per second; 10 by default. */
    public Builder requestsPerSecond(double perSecond) {
      if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
        throw new IllegalArgumentException(
            "requests per second " + perSecond + " must be a positive number");
      }
      this.requestsPerSecond = perSecond;
      return this;
    }

    /** At most this many API calls (execs included) at once; 5 by default. */
    public Builder maxConcurrentRequests(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("max concurrent requests " + max + " must be >= 1");
      }
      this.maxConcurrentRequests = max;
      return this;
    }

    /** Timeouts and retries of list, create and delete; {@link RequestPolicy#defaults()}. */
    public Builder requestPolicy(RequestPolicy policy) {
      this.requestPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalStateException when neither a label selector nor node names were given
     */
    public NodeAgents build() {
      if (labelSelector == null && nodeNames == null) {
        throw new IllegalStateException(
            "select nodes with labelSelector(...) (\"\" for every node) or nodeNames(...)");
      }
      return new NodeAgents(this);
    }

    private static Duration positive(String name, Duration value) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " " + value + " must be positive");
      }
      return value;
    }
  }
}
