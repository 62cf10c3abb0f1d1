package dev.opskit.cluster.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.internal.Discovery;
import dev.opskit.cluster.testing.internal.FaithfulDispatcher;
import dev.opskit.cluster.testing.internal.FaultyProxy;
import dev.opskit.cluster.testing.internal.ModelJson;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.mockwebserver.MockWebServer;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * A real HTTP Kubernetes API for integration tests: fabric8's {@code kubernetes-server-mock} in
 * CRUD mode on loopback (plain http), with the calls that mode gets wrong given the semantics the
 * Kubernetes API documents, driven by the official client.
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * try (KubernetesApiFixture fixture = KubernetesApiFixture.start()) {
 *   fixture.seedRealisticCluster();                       // documented sample pods, see below
 *   fixture.createPod(TestPods.failed("ci", "build-1", "Error", 1, Duration.ofHours(3)));
 *   fixture.inject(RequestFault.on("DELETE", "/api/v1/namespaces/ci/pods/.*").status(429));
 *   CoreV1Api api = new CoreV1Api(fixture.apiClient());
 *   // … run the code under test against api / fixture.apiClient() …
 *   assertThat(fixture.requests("DELETE", "/api/v1/namespaces/ci/pods/build-1")).hasSize(2);
 * }
 * }</pre>
 *
 * <p>It comes in {@code dev.opskit:opskit-cluster-testing} (add it to your test scope). In JUnit 5
 * tests, {@link KubernetesApiTest} starts one per test class and {@link #reset() resets} it before
 * each test.
 *
 * <h2>What behaves like a real API server</h2>
 *
 * <ul>
 *   <li>Lists: label selectors with equality and set-based requirements ({@code in}, {@code notin},
 *       {@code !key}); field selectors on the fields the server supports (for pods {@code
 *       status.phase}, {@code spec.nodeName}, {@code metadata.*} and the others), an unsupported
 *       field answers 400; {@code limit}/{@code continue} paging in namespace/name order with an
 *       opaque continue token and {@code remainingItemCount} (omitted with selectors).
 *   <li>Deletes: {@code preconditions.uid}/{@code resourceVersion} answer 409 Conflict when they do
 *       not match; {@code dryRun=All} (query or body) deletes nothing; 404 with a {@code Status}
 *       body for a missing object; objects with finalizers are only marked.
 *   <li>Updates: a stale {@code metadata.resourceVersion} answers 409; an update of a missing
 *       object answers 404. Patches: JSON patch, merge patch and strategic merge patch (merge keys
 *       of the built-in types), {@code dryRun=All}.
 *   <li>Discovery ({@code /api}, {@code /apis}, {@code /api/v1}, {@code /apis/GROUP/VERSION},
 *       {@code /version}); custom resources via {@link #registerCustomResource}.
 *   <li>Faults ({@link #inject(RequestFault)}): error statuses, {@code Retry-After}, slow answers,
 *       and through {@link #faultyUrl()} transport faults (resets, truncated bodies, hangs); a
 *       request log ({@link #requests()}) and a hook run before each request ({@link
 *       #beforeRequest(Consumer)}), for races such as a pod recreated under the same name between a
 *       list and a delete.
 * </ul>
 *
 * <h2>Known limits</h2>
 *
 * Paging has no consistent snapshot: a {@code continue} returns objects after the last key in the
 * current state (a real server serves the snapshot of the first page, or 410 once compacted).
 * Graceful deletion is immediate (no kubelet), unless finalizers hold the object. Watch ({@code
 * watch=true}) sends the current objects as {@code ADDED} events and ends the stream, as if its
 * timeout expired; there are no later events. Pod exec runs nothing unless {@link
 * #onExec(PodExecHandler)} answers it. Server-side apply answers 415.
 *
 * <h2>Seed data</h2>
 *
 * {@link #seedRealisticCluster()} stores the pods listed in {@link SeedCluster}.
 *
 * <p>Thread-safe. The fixture owns its server; {@link #close()} stops it.
 */
public final class KubernetesApiFixture implements AutoCloseable {
  private static final Logger SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

  static {
    // The mock server logs every request at INFO; tens of thousands of pods would flood the log.
    SERVER_LOG.setLevel(Level.WARNING);
  }

  private final MockWebServer server;
  private volatile FaithfulDispatcher dispatcher;
  private final String url;
  private final ApiClient client;
  private FaultyProxy proxy;
  private DaemonSetController daemonSets;

  private KubernetesApiFixture(MockWebServer server, FaithfulDispatcher dispatcher) {
    this.server = server;
    this.dispatcher = dispatcher;
    this.url = "http://" + server.getHostName() + ":" + server.getPort();
    dispatcher.serverAddress(server.getHostName() + ":" + server.getPort());
    this.client = newApiClient(Duration.ofSeconds(30));
  }

  /**
   * Starts an empty API server on a free loopback port.
   *
   * @throws UncheckedIOException when the server cannot start
   */
  public static KubernetesApiFixture start() {
    FaithfulDispatcher dispatcher = new FaithfulDispatcher();
    MockWebServer server = new MockWebServer();
    server.setDispatcher(dispatcher);
    try {
      server.start(InetAddress.getLoopbackAddress(), 0);
    } catch (RuntimeException e) {
      throw new UncheckedIOException(new IOException("cannot start the API fixture", e));
    }
    return new KubernetesApiFixture(server, dispatcher);
  }

  /** The base URL, such as {@code http://127.0.0.1:40123}. */
  public String url() {
    return url;
  }

  /**
   * The URL of a loopback proxy in front of this server, started on first use: it behaves like
   * {@link #url()} (one connection per request) and also injects the transport faults of {@link
   * RequestFault} ({@link RequestFault#reset()}, {@link RequestFault#truncatedBody()}…). A request
   * reset before it reaches the server is not in {@link #requests()}.
   *
   * @throws UncheckedIOException when the proxy cannot start
   */
  public synchronized String faultyUrl() {
    if (proxy == null) {
      try {
        proxy = new FaultyProxy(server.getHostName(), server.getPort());
      } catch (IOException e) {
        throw new UncheckedIOException(new IOException("cannot start the fixture's proxy", e));
      }
    }
    return "http://" + server.getHostName() + ":" + proxy.port();
  }

  /** A new client sending through {@link #faultyUrl()}, with this read timeout. */
  public ApiClient newFaultyApiClient(Duration readTimeout) {
    ApiClient api = newApiClient(readTimeout);
    api.setBasePath(faultyUrl());
    return api;
  }

  /** A client for this server (shared; 30 s read timeout). Callers must not close its pool. */
  public ApiClient apiClient() {
    return client;
  }

  /** A new client for this server with its own read timeout, for timeout tests. */
  public ApiClient newApiClient(Duration readTimeout) {
    ApiClient api = new ApiClient();
    api.setBasePath(url);
    api.setHttpClient(
        api.getHttpClient()
            .newBuilder()
            .readTimeout(readTimeout)
            .retryOnConnectionFailure(false)
            .build());
    return api;
  }

  /**
   * Stores the sample cluster described in {@link SeedCluster}: Deployment pods, Evicted pods with
   * reason and message, an OOMKilled pod, Job pods, init and ephemeral containers, digests.
   *
   * @return this fixture
   */
  public KubernetesApiFixture seedRealisticCluster() {
    for (V1Pod pod : SeedCluster.pods()) {
      createPod(pod);
    }
    return this;
  }

  /**
   * Stores a pod in its {@code metadata.namespace} as if created through the API, except that a
   * given {@code uid} and {@code creationTimestamp} are kept (so tests can seed old pods).
   *
   * @return the stored pod, with uid and resourceVersion
   * @throws IllegalStateException when a pod with that name exists
   */
  public V1Pod createPod(V1Pod pod) {
    String namespace = namespaceOf(pod);
    String json =
        dispatcher.insert(
            "/api/v1/namespaces/" + namespace + "/pods",
            JsonParser.parseString(ModelJson.write(pod)).getAsJsonObject());
    return ModelJson.read(json, V1Pod.class);
  }

  /**
   * Stores many pods at once, fast enough for tens of thousands (names checked once per namespace).
   *
   * @throws IllegalStateException when a name exists or repeats
   */
  public void createPods(List<V1Pod> pods) {
    Map<String, List<JsonObject>> byNamespace = new LinkedHashMap<>();
    for (V1Pod pod : pods) {
      byNamespace
          .computeIfAbsent(namespaceOf(pod), ns -> new ArrayList<>())
          .add(JsonParser.parseString(ModelJson.write(pod)).getAsJsonObject());
    }
    byNamespace.forEach(
        (namespace, objects) ->
            dispatcher.insertAll("/api/v1/namespaces/" + namespace + "/pods", objects));
  }

  /**
   * Stores any object given as JSON text in a collection, such as {@code
   * /apis/apps/v1/namespaces/kube-system/daemonsets}; fields unknown to any client are kept
   * verbatim. A given uid and creationTimestamp are kept.
   *
   * @return the stored JSON
   * @throws IllegalStateException when an object with that name exists
   */
  public String createJson(String collectionPath, String json) {
    return dispatcher.insert(collectionPath, JsonParser.parseString(json).getAsJsonObject());
  }

  /**
   * Stores a client-java model object (serialized with the client's JSON) in a collection.
   *
   * @return the stored JSON
   */
  public String createObject(String collectionPath, Object model) {
    return createJson(collectionPath, ModelJson.write(model));
  }

  /** The stored JSON of an object, such as {@code /api/v1/namespaces/ns/pods/name}. */
  public Optional<String> json(String objectPath) {
    return Optional.ofNullable(dispatcher.find(objectPath));
  }

  /** The stored pod, if present. */
  public Optional<V1Pod> pod(String namespace, String name) {
    return json("/api/v1/namespaces/" + namespace + "/pods/" + name)
        .map(json -> ModelJson.read(json, V1Pod.class));
  }

  /**
   * Sets a stored pod's {@code status.phase} in place (uid kept, resourceVersion bumped), standing
   * in for the kubelet, for example to let a created pod become Running.
   *
   * @return true when the pod existed
   */
  public boolean setPodPhase(String namespace, String name, String phase) {
    return dispatcher.setPhase("/api/v1/namespaces/" + namespace + "/pods/" + name, phase);
  }

  /** True when the object exists. */
  public boolean exists(String objectPath) {
    return dispatcher.find(objectPath) != null;
  }

  /** Removes an object without preconditions, faults or logging; true when it existed. */
  public boolean deleteObject(String objectPath) {
    return dispatcher.remove(objectPath);
  }

  /** Number of objects in a collection path ({@code /api/v1/pods} counts every namespace). */
  public int count(String collectionPath) {
    return dispatcher.count(collectionPath);
  }

  /** Number of pods in every namespace. */
  public int podCount() {
    return count("/api/v1/pods");
  }

  /**
   * Adds a fault; it fires for the next matching requests, as configured. Transport faults (every
   * {@link RequestFault.Kind} but {@code STATUS}) fire only for requests through {@link
   * #faultyUrl()}.
   */
  public void inject(RequestFault fault) {
    if (fault.kind() == RequestFault.Kind.STATUS) {
      dispatcher.inject(fault);
    } else {
      faultyUrl();
      synchronized (this) {
        proxy.inject(fault);
      }
    }
  }

  /** Removes every injected fault. */
  public synchronized void clearFaults() {
    dispatcher.clearFaults();
    if (proxy != null) {
      proxy.clearFaults();
    }
  }

  /**
   * Runs {@code hook} on the server thread before each request is handled (after it is logged,
   * before faults). The hook may call this fixture's store methods ({@link #createPod}, {@link
   * #deleteObject}…), which do not go through HTTP; it must not call the API over HTTP.
   */
  public void beforeRequest(Consumer<RecordedCall> hook) {
    dispatcher.beforeRequest(hook);
  }

  /**
   * Makes lists ignore field selectors, as a misbehaving server or proxy might; the client then
   * receives every object.
   */
  public void ignoreFieldSelectors(boolean ignore) {
    dispatcher.ignoreFieldSelectors(ignore);
  }

  /** Every request received (the latest 200,000), in arrival order. */
  public List<RecordedCall> requests() {
    return dispatcher.calls();
  }

  /** The requests with this method ({@code "*"} for any) whose path matches the regex. */
  public List<RecordedCall> requests(String method, String pathRegex) {
    Pattern pattern = Pattern.compile(pathRegex);
    return dispatcher.calls().stream()
        .filter(c -> method.equals("*") || c.method().equalsIgnoreCase(method))
        .filter(c -> pattern.matcher(c.path()).matches())
        .toList();
  }

  /** Forgets the recorded requests. */
  public void clearRequests() {
    dispatcher.clearCalls();
  }

  /**
   * Serves a custom resource type: discovery lists it and its objects are stored like built-in
   * ones, for example {@code registerCustomResource("operator.tigera.io", "v1", "Installation",
   * "installations", false)}.
   */
  public void registerCustomResource(
      String group, String version, String kind, String plural, boolean namespaced) {
    dispatcher.discovery().add(new Discovery.Resource(group, version, kind, plural, namespaced));
    dispatcher
        .crud()
        .expectCustomResource(
            new CustomResourceDefinitionContext.Builder()
                .withGroup(group)
                .withVersion(version)
                .withKind(kind)
                .withPlural(plural)
                .withScope(namespaced ? "Namespaced" : "Cluster")
                .build());
  }

  /**
   * Answers pod exec requests ({@code …/pods/NAME/exec}) with {@code handler}'s reply, over the
   * same WebSocket channel protocol a kubelet speaks, so the client's exec API works end to end.
   * Without a handler exec answers 400. An opskit command framed on the exec's stdin (as {@code
   * NodeExecutor} sends it) is first decoded by its own script in a real shell, and the handler
   * sees the command the pod would run, {@code chroot /host ARGV…}, and its stdin.
   */
  public void onExec(PodExecHandler handler) {
    dispatcher.execHandler(
        handler == null
            ? null
            : exec -> dev.opskit.cluster.testing.internal.ExecChannel.respond(handler, exec));
  }

  /**
   * Forgets everything done since the start, as if the server had just started: stored objects,
   * registered custom resources, the request log, injected faults (status and transport), the
   * {@link #beforeRequest} hook, the {@link #onExec} handler, {@link #ignoreFieldSelectors} and the
   * {@link #daemonSets()} controller with its node executors. {@link #url()}, {@link #faultyUrl()}
   * and the clients stay valid. Call it between tests that share one fixture; not while requests
   * are in flight.
   */
  public synchronized void reset() {
    FaithfulDispatcher fresh = new FaithfulDispatcher();
    fresh.serverAddress(server.getHostName() + ":" + server.getPort());
    server.setDispatcher(fresh);
    dispatcher = fresh;
    if (proxy != null) {
      proxy.clearFaults();
    }
    if (daemonSets != null) {
      daemonSets.close();
      daemonSets = null;
    }
  }

  /**
   * The fixture's DaemonSet controller, started on first call: from then on each DaemonSet gets one
   * pod per matching node, and exec into those pods runs on the node's executor.
   */
  public synchronized DaemonSetController daemonSets() {
    if (daemonSets == null) {
      daemonSets = new DaemonSetController(dispatcher);
    }
    return daemonSets;
  }

  /**
   * Stores a node as if created through the API (see {@link TestNodes}).
   *
   * @return the stored JSON
   */
  public String createNode(V1Node node) {
    return createObject("/api/v1/nodes", node);
  }

  /** Stops the server (and the proxy, if started). */
  @Override
  public synchronized void close() {
    if (proxy != null) {
      proxy.close();
    }
    if (daemonSets != null) {
      daemonSets.close();
    }
    server.shutdown();
  }

  private static String namespaceOf(V1Pod pod) {
    if (pod.getMetadata() == null
        || pod.getMetadata().getNamespace() == null
        || pod.getMetadata().getNamespace().isEmpty()) {
      throw new IllegalArgumentException(
          "pod needs metadata.namespace to be stored: "
              + (pod.getMetadata() == null ? "no metadata" : pod.getMetadata().getName()));
    }
    return pod.getMetadata().getNamespace();
  }
}
