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
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * <p><b>Exec.</b> An argv of the form opskit's node agents send ({@code nsenter -t 1 -m -u -i -n -p
 * -- ARGV}, or with stdin {@code sh -c 'head -c "$0" | nsenter …' N ARGV}) runs ARGV with those N
 * stdin bytes on the node's executor, as entering the node's namespaces would; any other argv runs
 * as it is. An executor that throws, or a node without one, ends the exec without an exit status
 * (as a broken container runtime would).
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
    Optional<AgentExec.Decoded> decoded = AgentExec.decode(exec.command());
    List<String> argv = decoded.map(AgentExec.Decoded::argv).orElse(exec.command());
    int stdinBytes = decoded.map(AgentExec.Decoded::stdinBytes).orElse(0);
    CommandExecutor executor = executors.get(pod.node);
    return new MockResponse()
        .setResponseCode(101)
        .setHeader("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
        .withWebSocketUpgrade(
            new WebSocketListener() {
              private final ByteArrayOutputStream stdin = new ByteArrayOutputStream();
              private boolean started;

              @Override
              public void onOpen(WebSocket socket, Response response) {
                maybeRun(socket);
              }

              @Override
              public void onMessage(WebSocket socket, byte[] bytes) {
                if (bytes.length > 0 && bytes[0] == 0) {
                  synchronized (this) {
                    stdin.write(bytes, 1, bytes.length - 1);
                  }
                  maybeRun(socket);
                }
              }

              private void maybeRun(WebSocket socket) {
                byte[] input;
                synchronized (this) {
                  if (started || stdin.size() < stdinBytes) {
                    return;
                  }
                  started = true;
                  input = java.util.Arrays.copyOf(stdin.toByteArray(), stdinBytes);
                }
                runner.execute(() -> run(socket, executor, pod.node, argv, input));
              }
            });
  }

  private static void run(
      WebSocket socket, CommandExecutor executor, String node, List<String> argv, byte[] stdin) {
    String failure;
    try {
      if (executor == null) {
        failure = "the fixture has no executor for node " + node;
      } else {
        ExecResult result = executor.execute(Command.builder().argv(argv).stdin(stdin).build());
        if (result.stdout().length > 0) {
          socket.send(ExecChannel.frame(1, result.stdout()));
        }
        if (result.stderr().length > 0) {
          socket.send(ExecChannel.frame(2, result.stderr()));
        }
        if (result.exitCode().isPresent()) {
          socket.send(
              ExecChannel.frame(
                  3,
                  ExecChannel.status(result.exitCode().getAsInt())
                      .getBytes(StandardCharsets.UTF_8)));
          socket.close(1000, "");
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
    JsonObject status = new JsonObject();
    status.add("metadata", new JsonObject());
    status.addProperty("status", "Failure");
    status.addProperty("reason", "InternalError");
    status.addProperty("message", failure);
    socket.send(ExecChannel.frame(3, status.toString().getBytes(StandardCharsets.UTF_8)));
    socket.close(1000, "");
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
