package dev.opskit.cluster.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.internal.AgentExec;
import dev.opskit.cluster.testing.internal.ExecChannel;
import dev.opskit.cluster.testing.internal.FaithfulDispatcher;
import dev.opskit.cluster.testing.internal.NodeMatch;
import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link KubernetesApiFixture}'s stand-in for the DaemonSet controller, the scheduler, the
 * kubelet and the garbage collector, for code that reaches nodes through a DaemonSet: when a
 * DaemonSet is created, one pod per matching node appears (Pending, then Running and Ready); when
 * the DaemonSet is deleted, its pods go too; exec into such a pod runs on the node's {@link
 * CommandExecutor} (a {@link dev.opskit.core.FakeCommandExecutor}, or a network namespace for a
 * real kernel).
 *
 * <pre>{@code
 * fixture.createNode(TestNodes.ready("node-1", Map.of("pool", "web")));
 * fixture.daemonSets()
 *     .node("node-1", LocalExecutor.create().inNetworkNamespace(netns))
 *     .readyAfter("node-2", Duration.ofSeconds(1))
 *     .neverReady("node-3");
 * }</pre>
 *
 * <p><b>Which nodes.</b> A node gets a pod when it matches the pod template's {@code nodeSelector}
 * and required node affinity ({@code matchExpressions} on labels with {@code In}, {@code NotIn},
 * {@code Exists}, {@code DoesNotExist}, {@code Gt}, {@code Lt}; {@code matchFields} on {@code
 * metadata.name}), and when every {@code NoSchedule}/{@code NoExecute} taint of the node is
 * tolerated. A node without an agent is how an untolerated taint shows. Pods are made when the
 * controller first sees the DaemonSet (it runs before and after every request), not again later.
 *
 * <p><b>Exec.</b> opskit's node agents exec a constant {@code sh -c DECODER} and send the command
 * (argv, then stdin) framed on the exec's stdin. The fixture runs that same script in a real local
 * {@code sh}, as the pod would, except that its {@code nsenter} hands the decoded command back
 * instead of entering the node's namespaces; the command then runs on the node's executor. A frame
 * that does not parse ends the exec with the script's exit status and message; any other argv runs
 * as it is, without stdin. An executor that throws, or a node without one, ends the exec without an
 * exit status (as a broken container runtime would).
 *
 * <p>Thread-safe.
 */
public final class DaemonSetController {
  private static final String DAEMONSETS = "/apis/apps/v1/daemonsets";

  private final FaithfulDispatcher dispatcher;
  private final Map<String, CommandExecutor> executors = new ConcurrentHashMap<>();
  private final Map<String, Duration> delays = new ConcurrentHashMap<>();
  private final Set<String> neverReady = ConcurrentHashMap.newKeySet();
  private final Map<String, Owned> daemonSets = new LinkedHashMap<>();
  private final Map<String, AgentPod> pods = new ConcurrentHashMap<>();
  private final AtomicInteger threads = new AtomicInteger();
  private final ExecutorService runner =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "fixture-node-exec-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
          });

  private record Owned(String uid, List<String> podPaths) {}

  private static final class AgentPod {
    final String path;
    final String node;
    final Instant readyAt;
    boolean ready;

    AgentPod(String path, String node, Instant readyAt) {
      this.path = path;
      this.node = node;
      this.readyAt = readyAt;
    }
  }

  DaemonSetController(FaithfulDispatcher dispatcher) {
    this.dispatcher = dispatcher;
    dispatcher.controller(this::reconcile, this::exec);
  }

  /**
   * Runs exec into the agent pod on {@code node} with {@code executor}.
   *
   * @return this controller
   */
  public DaemonSetController node(String node, CommandExecutor executor) {
    executors.put(node, executor);
    return this;
  }

  /** Runs exec into agent pods on each node of {@code nodeExecutors} with its executor. */
  public DaemonSetController nodes(Map<String, CommandExecutor> nodeExecutors) {
    executors.putAll(nodeExecutors);
    return this;
  }

  /** Makes pods on {@code node} become Running and Ready only {@code delay} after creation. */
  public DaemonSetController readyAfter(String node, Duration delay) {
    delays.put(node, delay);
    return this;
  }

  /** Makes pods on {@code node} stay Pending (their image never pulls). */
  public DaemonSetController neverReady(String node) {
    neverReady.add(node);
    return this;
  }

  /** The number of pods this controller made that still exist. */
  public int podCount() {
    return pods.size();
  }

  // ---- the control loop ----

  private synchronized void reconcile() {
    Map<String, JsonObject> live = new HashMap<>();
    for (String json : dispatcher.list(DAEMONSETS)) {
      JsonObject daemonSet = JsonParser.parseString(json).getAsJsonObject();
      live.put(text(daemonSet.getAsJsonObject("metadata"), "uid"), daemonSet);
    }
    live.forEach(
        (uid, daemonSet) -> {
          if (!daemonSets.containsKey(uid)) {
            daemonSets.put(uid, new Owned(uid, schedule(daemonSet)));
          }
        });
    for (Owned owned : List.copyOf(daemonSets.values())) {
      if (!live.containsKey(owned.uid())) {
        for (String path : owned.podPaths()) {
          dispatcher.remove(path);
          pods.remove(path);
        }
        daemonSets.remove(owned.uid());
      }
    }
    Instant now = Instant.now();
    for (AgentPod pod : pods.values()) {
      if (!pod.ready && pod.readyAt != null && !now.isBefore(pod.readyAt)) {
        pod.ready = dispatcher.update(pod.path, DaemonSetController::markReady);
      }
    }
  }

  private List<String> schedule(JsonObject daemonSet) {
    JsonObject meta = daemonSet.getAsJsonObject("metadata");
    String namespace = text(meta, "namespace");
    String name = text(meta, "name");
    JsonObject template = daemonSet.getAsJsonObject("spec").getAsJsonObject("template");
    JsonObject podSpec = template.getAsJsonObject("spec");
    List<String> created = new ArrayList<>();
    List<JsonObject> made = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (String json : dispatcher.list("/api/v1/nodes")) {
      JsonObject node = JsonParser.parseString(json).getAsJsonObject();
      String nodeName = text(node.getAsJsonObject("metadata"), "name");
      if (!NodeMatch.schedulable(podSpec, node)) {
        continue;
      }
      String podName;
      do {
        podName = name + "-" + suffix();
      } while (!names.add(podName));
      JsonObject pod = new JsonObject();
      pod.addProperty("apiVersion", "v1");
      pod.addProperty("kind", "Pod");
      JsonObject podMeta =
          template.has("metadata")
              ? template.getAsJsonObject("metadata").deepCopy()
              : new JsonObject();
      podMeta.addProperty("name", podName);
      podMeta.addProperty("namespace", namespace);
      JsonObject owner = new JsonObject();
      owner.addProperty("apiVersion", "apps/v1");
      owner.addProperty("kind", "DaemonSet");
      owner.addProperty("name", name);
      owner.addProperty("uid", text(meta, "uid"));
      owner.addProperty("controller", true);
      JsonArray owners = new JsonArray();
      owners.add(owner);
      podMeta.add("ownerReferences", owners);
      pod.add("metadata", podMeta);
      JsonObject spec = podSpec.deepCopy();
      spec.addProperty("nodeName", nodeName);
      pod.add("spec", spec);
      pod.add("status", pending(spec, neverReady.contains(nodeName)));
      made.add(pod);
      String path = "/api/v1/namespaces/" + namespace + "/pods/" + podName;
      Instant readyAt =
          neverReady.contains(nodeName)
              ? null
              : Instant.now().plus(delays.getOrDefault(nodeName, Duration.ZERO));
      pods.put(path, new AgentPod(path, nodeName, readyAt));
      created.add(path);
    }
    dispatcher.insertAll("/api/v1/namespaces/" + namespace + "/pods", made);
    return created;
  }

  private static JsonObject pending(JsonObject spec, boolean imageNeverPulls) {
    JsonObject status = new JsonObject();
    status.addProperty("phase", "Pending");
    JsonArray conditions = new JsonArray();
    conditions.add(condition("PodScheduled", "True"));
    status.add("conditions", conditions);
    if (imageNeverPulls) {
      JsonArray statuses = new JsonArray();
      for (JsonElement container : spec.getAsJsonArray("containers")) {
        JsonObject c = container.getAsJsonObject();
        JsonObject waiting = new JsonObject();
        waiting.addProperty("reason", "ImagePullBackOff");
        JsonObject state = new JsonObject();
        state.add("waiting", waiting);
        JsonObject s = new JsonObject();
        s.addProperty("name", text(c, "name"));
        s.addProperty("image", text(c, "image"));
        s.addProperty("ready", false);
        s.addProperty("restartCount", 0);
        s.add("state", state);
        statuses.add(s);
      }
      status.add("containerStatuses", statuses);
    }
    return status;
  }

  private static void markReady(JsonObject pod) {
    JsonObject status = new JsonObject();
    String now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    status.addProperty("phase", "Running");
    status.addProperty("startTime", now);
    JsonArray conditions = new JsonArray();
    for (String type : List.of("PodScheduled", "Initialized", "ContainersReady", "Ready")) {
      conditions.add(condition(type, "True"));
    }
    status.add("conditions", conditions);
    JsonArray statuses = new JsonArray();
    for (JsonElement container : pod.getAsJsonObject("spec").getAsJsonArray("containers")) {
      JsonObject c = container.getAsJsonObject();
      JsonObject running = new JsonObject();
      running.addProperty("startedAt", now);
      JsonObject state = new JsonObject();
      state.add("running", running);
      JsonObject s = new JsonObject();
      s.addProperty("name", text(c, "name"));
      s.addProperty("image", text(c, "image"));
      s.addProperty("ready", true);
      s.addProperty("started", true);
      s.addProperty("restartCount", 0);
      s.add("state", state);
      statuses.add(s);
    }
    status.add("containerStatuses", statuses);
    pod.add("status", status);
  }

  private static JsonObject condition(String type, String value) {
    JsonObject condition = new JsonObject();
    condition.addProperty("type", type);
    condition.addProperty("status", value);
    return condition;
  }

  // ---- exec ----

  private MockResponse exec(FaithfulDispatcher.PodExec exec) {
    AgentPod pod = pods.get("/api/v1/namespaces/" + exec.namespace() + "/pods/" + exec.pod());
    if (pod == null) {
      return null;
    }
    CommandExecutor executor = executors.get(pod.node);
    if (AgentExec.isAgentCommand(exec.command())) {
      return ExecChannel.decoding(
          AgentExec.ENTER_NODE,
          runner,
          "agent pod on node " + pod.node,
          (socket, command) -> run(socket, executor, pod.node, command.argv(), command.stdin()));
    }
    return ExecChannel.upgrade(
        socket ->
            runner.execute(() -> run(socket, executor, pod.node, exec.command(), new byte[0])));
  }

  private static void run(
      WebSocket socket, CommandExecutor executor, String node, List<String> argv, byte[] stdin) {
    String failure;
    try {
      if (executor == null) {
        failure = "the fixture has no executor for node " + node;
      } else {
        ExecResult result = executor.execute(Command.builder().argv(argv).stdin(stdin).build());
        if (result.exitCode().isPresent()) {
          ExecChannel.reply(socket, result.stdout(), result.stderr(), result.exitCode().getAsInt());
          return;
        }
        failure = "the command on node " + node + " ended without an exit status";
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      failure = "running the command on node " + node + " failed: " + e.getMessage();
    }
    ExecChannel.fail(socket, failure);
  }

  void close() {
    runner.shutdownNow();
  }

  private static String suffix() {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      out.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
    }
    return out.toString();
  }

  static String text(JsonObject object, String key) {
    if (object == null || !object.has(key) || object.get(key).isJsonNull()) {
      return null;
    }
    return object.get(key).getAsString();
  }
}
