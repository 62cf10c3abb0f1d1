package dev.opskit.cluster.testing.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.RecordedCall;
import dev.opskit.cluster.testing.RequestFault;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The fixture's request handler. It keeps objects in fabric8's CRUD dispatcher and answers the
 * calls the CRUD mode gets wrong with the semantics the Kubernetes API documents: lists with label
 * (equality and set-based) and field selectors, {@code limit}/{@code continue} paging in key order,
 * delete preconditions and {@code dryRun}, optimistic concurrency on update, strategic merge patch,
 * discovery, watch as a finite HTTP stream, and injected faults.
 */
public final class FaithfulDispatcher extends Dispatcher {
  private static final int MAX_RECORDED = 200_000;

  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  private final ReentrantLock mutations = new ReentrantLock();
  private final List<FaultState> faults = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedDeque<RecordedCall> calls = new ConcurrentLinkedDeque<>();
  private final AtomicInteger recorded = new AtomicInteger();
  private final Map<String, Summary> summaries = Collections.synchronizedMap(new WeakHashMap<>());
  private final Discovery discovery = new Discovery();
  private final Map<String, AttributeSet> index = new ConcurrentHashMap<>();
  private volatile Consumer<RecordedCall> beforeRequest = call -> {};
  private volatile boolean ignoreFieldSelectors;
  private volatile Function<PodExec, MockResponse> execHandler;
  private volatile Function<PodExec, MockResponse> controllerExec = exec -> null;
  private volatile Runnable controller = () -> {};
  private volatile String serverAddress = "127.0.0.1:0";

  /** A pod exec request seen by the exec handler. */
  public record PodExec(String namespace, String pod, String container, List<String> command) {}

  private static final class FaultState {
    final RequestFault fault;
    final AtomicInteger remaining;

    FaultState(RequestFault fault) {
      this.fault = fault;
      this.remaining = new AtomicInteger(fault.times());
    }
  }

  private record Summary(
      String namespace, String name, Map<String, String> labels, Map<String, String> fields) {
    String sortKey() {
      return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
    }
  }

  /** Creates a dispatcher with an empty store. */
  public FaithfulDispatcher() {}

  /** The discovery documents, for registering custom resources. */
  public Discovery discovery() {
    return discovery;
  }

  /** The underlying CRUD store. */
  public KubernetesCrudDispatcher crud() {
    return crud;
  }

  /** Sets the address reported by {@code /api}. */
  public void serverAddress(String address) {
    this.serverAddress = address;
  }

  /** Adds a fault. */
  public void inject(RequestFault fault) {
    faults.add(new FaultState(fault));
  }

  /** Removes every fault. */
  public void clearFaults() {
    faults.clear();
  }

  /** Sets the hook run before each external request is handled. */
  public void beforeRequest(Consumer<RecordedCall> hook) {
    this.beforeRequest = hook == null ? call -> {} : hook;
  }

  /** When true, lists ignore field selectors (like a proxy that drops them). */
  public void ignoreFieldSelectors(boolean ignore) {
    this.ignoreFieldSelectors = ignore;
  }

  /** Sets the handler for pod exec requests. */
  public void execHandler(Function<PodExec, MockResponse> handler) {
    this.execHandler = handler;
  }

  /**
   * Sets the controller run before and after each request (standing in for the cluster's
   * controllers), and its exec handler, which answers exec into the pods it owns (null for others).
   */
  public void controller(Runnable reconcile, Function<PodExec, MockResponse> exec) {
    this.controller = reconcile;
    this.controllerExec = exec;
  }

  /** Every external request received so far (bounded to the latest 200,000). */
  public List<RecordedCall> calls() {
    return List.copyOf(calls);
  }

  /** Forgets the recorded requests. */
  public void clearCalls() {
    calls.clear();
    recorded.set(0);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String fullPath = request.getPath();
    int question = fullPath.indexOf('?');
    String path = question < 0 ? fullPath : fullPath.substring(0, question);
    Map<String, List<String>> query =
        question < 0 ? Map.of() : parseQuery(fullPath.substring(question + 1));
    String contentType = request.getHeader("Content-Type");
    String body = request.getBody() == null ? "" : request.getBody().readUtf8();
    RecordedCall call =
        new RecordedCall(
            request.getMethod().toUpperCase(Locale.ROOT),
            path,
            query,
            contentType == null ? "" : contentType,
            body);
    calls.add(call);
    if (recorded.incrementAndGet() > MAX_RECORDED) {
      calls.pollFirst();
      recorded.decrementAndGet();
    }
    beforeRequest.accept(call);
    for (FaultState state : faults) {
      if (state.fault.kind() == RequestFault.Kind.STATUS
          && state.fault.matches(call.method(), path, call.query())
          && state.remaining.getAndDecrement() > 0) {
        return faultResponse(state.fault, path);
      }
    }
    controller.run();
    try {
      return route(call, request.getHeaders());
    } catch (IllegalArgumentException e) {
      return status(400, "BadRequest", e.getMessage());
    } catch (RuntimeException e) {
      // Never leave the client waiting for an answer that will not come.
      return status(500, "InternalError", "the fixture failed: " + e);
    } finally {
      controller.run();
    }
  }

  private MockResponse route(RecordedCall call, Headers headers) {
    String path = call.path();
    String method = call.method();
    if (method.equals("GET")) {
      if (path.equals("/version")) {
        return json(
            200,
            "{\"major\":\"1\",\"minor\":\"33\",\"gitVersion\":\"v1.33.0\","
                + "\"platform\":\"linux/amd64\"}");
      }
      if (path.equals("/api")) {
        return json(200, discovery.coreVersions(serverAddress));
      }
      if (path.equals("/apis")) {
        return json(200, discovery.groups());
      }
    }
    ResourcePath resource = ResourcePath.parse(path);
    if (resource == null) {
      return status(404, "NotFound", "the server could not find the requested resource");
    }
    if (resource.plural() == null) {
      return discovery
          .resourceList(resource.group(), resource.version())
          .map(list -> json(200, list))
          .orElseGet(
              () -> status(404, "NotFound", "the server could not find the requested resource"));
    }
    if ("exec".equals(resource.subresource())) {
      return exec(resource, call);
    }
    if (resource.name() != null
        && resource.subresource() != null
        && !resource.subresource().equals("status")) {
      return status(
          404,
          "NotFound",
          "the fixture does not serve the " + resource.subresource() + " subresource");
    }
    switch (method) {
      case "GET":
        if (resource.name() == null) {
          return isTrue(call.queryParameter("watch").orElse(""))
              ? watch(resource, call)
              : list(resource, call);
        }
        return get(resource);
      case "POST":
        return create(resource, call, headers);
      case "PUT":
        return update(resource, call, headers);
      case "PATCH":
        return patch(resource, call, headers);
      case "DELETE":
        return resource.name() == null ? deleteCollection(resource, call) : delete(resource, call);
      default:
        return status(405, "MethodNotAllowed", "method " + method + " is not supported");
    }
  }

  // ---- reads ----

  private MockResponse get(ResourcePath resource) {
    String current = find(resource.objectPath());
    if (current == null) {
      return notFound(resource);
    }
    return json(200, current);
  }

  private MockResponse list(ResourcePath resource, RecordedCall call) {
    Page page = select(resource, call, true);
    StringBuilder out = new StringBuilder(64 + page.items.size() * 2048);
    out.append("{\"kind\":\"")
        .append(listKind(resource))
        .append("\",\"apiVersion\":\"")
        .append(resource.apiVersion())
        .append("\",\"metadata\":{\"resourceVersion\":\"")
        .append(crud.requestResourceVersion())
        .append('"');
    if (page.continueToken != null) {
      out.append(",\"continue\":\"").append(page.continueToken).append('"');
      if (page.remainingItemCount >= 0) {
        out.append(",\"remainingItemCount\":").append(page.remainingItemCount);
      }
    }
    out.append("},\"items\":[");
    for (int i = 0; i < page.items.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(page.items.get(i));
    }
    out.append("]}");
    return json(200, out.toString());
  }

  private MockResponse watch(ResourcePath resource, RecordedCall call) {
    Page page = select(resource, call, false);
    StringBuilder out = new StringBuilder();
    for (String item : page.items) {
      out.append("{\"type\":\"ADDED\",\"object\":").append(item).append("}\n");
    }
    return json(200, out.toString());
  }

  private record Page(List<String> items, String continueToken, long remainingItemCount) {}

  private Page select(ResourcePath resource, RecordedCall call, boolean paged) {
    LabelSelector labels = LabelSelector.parse(call.queryParameter("labelSelector").orElse(""));
    FieldSelector fields =
        FieldSelector.parse(call.queryParameter("fieldSelector").orElse(""), resource.plural());
    if (ignoreFieldSelectors) {
      fields = FieldSelector.parse("", resource.plural());
    }
    int limit = paged ? Integer.parseInt(call.queryParameter("limit").orElse("0")) : 0;
    String start = paged ? decodeContinue(call.queryParameter("continue").orElse("")) : "";
    List<Map.Entry<Summary, String>> matched = new ArrayList<>();
    Set<String> supported = FieldSelector.supportedFields(resource.plural());
    for (String json : snapshot(resource.collectionPath())) {
      Summary summary = summaries.computeIfAbsent(json, j -> summarize(j, supported));
      FieldSelector f = fields;
      if (labels.matches(summary.labels()) && f.matches(field -> summary.fields().get(field))) {
        if (start.isEmpty() || summary.sortKey().compareTo(start) > 0) {
          matched.add(Map.entry(summary, json));
        }
      }
    }
    matched.sort(Comparator.comparing(e -> e.getKey().sortKey()));
    if (limit <= 0 || matched.size() <= limit) {
      return new Page(matched.stream().map(Map.Entry::getValue).toList(), null, -1);
    }
    List<Map.Entry<Summary, String>> page = matched.subList(0, limit);
    String last = page.get(limit - 1).getKey().sortKey();
    boolean selectors = !labels.isEmpty() || !fields.isEmpty();
    return new Page(
        page.stream().map(Map.Entry::getValue).toList(),
        encodeContinue(last),
        selectors ? -1 : matched.size() - limit);
  }

  private List<String> snapshot(String collectionPath) {
    AttributeSet query = crud.getKey(collectionPath);
    ResourcePath collection = ResourcePath.parse(collectionPath);
    Map<AttributeSet, String> map = crud.getMap();
    List<Map.Entry<AttributeSet, String>> entries = new ArrayList<>();
    synchronized (map) {
      for (Map.Entry<AttributeSet, String> entry : map.entrySet()) {
        if (entry.getKey().matches(query)) {
          entries.add(Map.entry(entry.getKey(), entry.getValue()));
        }
      }
    }
    List<String> values = new ArrayList<>(entries.size());
    Set<String> supported = FieldSelector.supportedFields(collection.plural());
    for (Map.Entry<AttributeSet, String> entry : entries) {
      Summary summary = summaries.computeIfAbsent(entry.getValue(), j -> summarize(j, supported));
      index.put(indexKey(collection, summary.namespace(), summary.name()), entry.getKey());
      values.add(entry.getValue());
    }
    return values;
  }

  private static String indexKey(ResourcePath resource, String namespace, String name) {
    return resource.group()
        + "/"
        + resource.version()
        + "/"
        + resource.plural()
        + "/"
        + (namespace == null ? "" : namespace)
        + "/"
        + name;
  }

  /** The stored entry of an object: O(1) through the index, else one scan of the store. */
  private Map.Entry<AttributeSet, String> entry(String objectPath) {
    ResourcePath resource = ResourcePath.parse(objectPath);
    if (resource != null && resource.name() != null) {
      AttributeSet key = index.get(indexKey(resource, resource.namespace(), resource.name()));
      if (key != null) {
        String value = crud.getMap().get(key);
        if (value != null) {
          return Map.entry(key, value);
        }
      }
    }
    return crud.findResource(crud.getKey(objectPath));
  }

  private static Summary summarize(String json, Set<String> fieldPaths) {
    JsonObject object = JsonParser.parseString(json).getAsJsonObject();
    JsonObject metadata =
        object.has("metadata") ? object.getAsJsonObject("metadata") : new JsonObject();
    Map<String, String> labels = new HashMap<>();
    if (metadata.has("labels") && metadata.get("labels").isJsonObject()) {
      for (Map.Entry<String, JsonElement> e : metadata.getAsJsonObject("labels").entrySet()) {
        labels.put(e.getKey(), e.getValue().getAsString());
      }
    }
    Map<String, String> fields = new HashMap<>();
    for (String fieldPath : fieldPaths) {
      fields.put(fieldPath, fieldValue(object, fieldPath));
    }
    return new Summary(
        text(metadata, "namespace"), text(metadata, "name"), Map.copyOf(labels), fields);
  }

  private static String fieldValue(JsonObject object, String path) {
    JsonElement current = object;
    for (String part : path.split("\\.")) {
      if (current == null || !current.isJsonObject()) {
        return "";
      }
      current = current.getAsJsonObject().get(part);
    }
    if (current == null || current.isJsonNull() || !current.isJsonPrimitive()) {
      return path.equals("spec.hostNetwork") || path.equals("spec.unschedulable") ? "false" : "";
    }
    return current.getAsString();
  }

  private static String encodeContinue(String lastKey) {
    JsonObject token = new JsonObject();
    token.addProperty("v", "meta.k8s.io/v1");
    token.addProperty("start", lastKey + "\u0000");
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(token.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String decodeContinue(String token) {
    if (token.isEmpty()) {
      return "";
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      JsonObject object = JsonParser.parseString(text).getAsJsonObject();
      String start = object.get("start").getAsString();
      return start.endsWith("\u0000") ? start.substring(0, start.length() - 1) : start;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("continue key is not valid: " + token);
    }
  }

  private String listKind(ResourcePath resource) {
    return discovery
        .find(resource.group(), resource.version(), resource.plural())
        .map(r -> r.kind() + "List")
        .orElse("List");
  }

  // ---- writes ----

  private MockResponse create(ResourcePath resource, RecordedCall call, Headers headers) {
    if (resource.name() != null) {
      return status(405, "MethodNotAllowed", "POST is only allowed on collections");
    }
    mutations.lock();
    try {
      if (isDryRun(call, null)) {
        JsonObject object = JsonParser.parseString(call.body()).getAsJsonObject();
        String name = text(object.getAsJsonObject("metadata"), "name");
        if (name != null && find(resource.collectionPath() + "/" + name) != null) {
          return status(
              409, "AlreadyExists", resource.plural() + " \"" + name + "\" already exists");
        }
        initMetadata(object, resource.namespace(), true);
        return json(201, object.toString());
      }
      return crud.handleCreate(forward(HttpMethod.POST, resource.collectionPath(), headers, call));
    } finally {
      mutations.unlock();
    }
  }

  private MockResponse update(ResourcePath resource, RecordedCall call, Headers headers) {
    String path = objectPathWithSub(resource);
    mutations.lock();
    try {
      String current = find(resource.objectPath());
      if (current == null) {
        return notFound(resource);
      }
      JsonObject body = JsonParser.parseString(call.body()).getAsJsonObject();
      String sentVersion = text(body.getAsJsonObject("metadata"), "resourceVersion");
      JsonObject currentObject = JsonParser.parseString(current).getAsJsonObject();
      String currentVersion = text(currentObject.getAsJsonObject("metadata"), "resourceVersion");
      if (sentVersion != null && !sentVersion.isEmpty() && !sentVersion.equals(currentVersion)) {
        return conflictModified(resource);
      }
      if (isDryRun(call, null)) {
        return json(200, body.toString());
      }
      return crud.handleUpdate(forward(HttpMethod.PUT, path, headers, call));
    } finally {
      mutations.unlock();
    }
  }

  private MockResponse patch(ResourcePath resource, RecordedCall call, Headers headers) {
    String path = objectPathWithSub(resource);
    String contentType = call.contentType();
    mutations.lock();
    try {
      Map.Entry<AttributeSet, String> before =
          crud.findResource(crud.getKey(resource.objectPath()));
      if (before == null) {
        return notFound(resource);
      }
      MockResponse response;
      if (contentType.startsWith("application/strategic-merge-patch+json")) {
        JsonObject merged =
            StrategicMerge.apply(
                JsonParser.parseString(before.getValue()).getAsJsonObject(),
                JsonParser.parseString(call.body()).getAsJsonObject());
        RecordedCall put =
            new RecordedCall("PUT", path, Map.of(), "application/json", merged.toString());
        Headers jsonHeaders = Headers.builder().add("Content-Type", "application/json").build();
        response = crud.handleUpdate(forward(HttpMethod.PUT, path, jsonHeaders, put));
        if (response.code() == 200 || response.code() == 201) {
          response.setResponseCode(200);
        }
      } else if (contentType.startsWith("application/json-patch+json")
          || contentType.startsWith("application/merge-patch+json")) {
        try {
          response = crud.handlePatch(forward(HttpMethod.PATCH, path, headers, call));
        } catch (RuntimeException e) {
          // A failed "test" operation or a path that does not exist: the API answers 422.
          return status(422, "Invalid", "the patch could not be applied: " + e.getMessage());
        }
        if (response.code() == 202) {
          response.setResponseCode(200);
        }
      } else {
        return status(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format: " + contentType);
      }
      if (isDryRun(call, null) && response.code() < 300) {
        restore(resource, before);
      }
      return response;
    } finally {
      mutations.unlock();
    }
  }

  private MockResponse delete(ResourcePath resource, RecordedCall call) {
    mutations.lock();
    try {
      Map.Entry<AttributeSet, String> stored = entry(resource.objectPath());
      if (stored == null) {
        return notFound(resource);
      }
      String current = stored.getValue();
      JsonObject options =
          call.body().isBlank()
              ? new JsonObject()
              : JsonParser.parseString(call.body()).getAsJsonObject();
      JsonObject meta =
          JsonParser.parseString(current).getAsJsonObject().getAsJsonObject("metadata");
      JsonObject preconditions =
          options.has("preconditions") && options.get("preconditions").isJsonObject()
              ? options.getAsJsonObject("preconditions")
              : new JsonObject();
      String uid = text(preconditions, "uid");
      if (uid != null && !uid.equals(text(meta, "uid"))) {
        return status(
            409,
            "Conflict",
            "Precondition failed: UID in precondition: "
                + uid
                + ", UID in object meta: "
                + text(meta, "uid"),
            resource,
            resource.name());
      }
      String version = text(preconditions, "resourceVersion");
      if (version != null && !version.equals(text(meta, "resourceVersion"))) {
        return status(
            409,
            "Conflict",
            "Precondition failed: ResourceVersion in precondition: "
                + version
                + ", ResourceVersion in object meta: "
                + text(meta, "resourceVersion"),
            resource,
            resource.name());
      }
      if (isDryRun(call, options)) {
        return json(200, current);
      }
      JsonElement finalizers = meta.get("finalizers");
      if (finalizers != null
          && finalizers.isJsonArray()
          && finalizers.getAsJsonArray().size() > 0) {
        MockResponse response = crud.handleDelete(resource.objectPath());
        return response.code() == 404 ? notFound(resource) : response;
      }
      crud.processEvent(
          resource.objectPath(), crud.getKey(resource.objectPath()), stored.getKey(), null, null);
      return json(200, current);
    } finally {
      mutations.unlock();
    }
  }

  private MockResponse deleteCollection(ResourcePath resource, RecordedCall call) {
    mutations.lock();
    try {
      Page page = select(resource, call, false);
      JsonObject options =
          call.body().isBlank()
              ? new JsonObject()
              : JsonParser.parseString(call.body()).getAsJsonObject();
      boolean dryRun = isDryRun(call, options);
      StringBuilder out = new StringBuilder();
      out.append("{\"kind\":\"")
          .append(listKind(resource))
          .append("\",\"apiVersion\":\"")
          .append(resource.apiVersion())
          .append("\",\"metadata\":{},\"items\":[");
      boolean first = true;
      for (String item : page.items) {
        JsonObject meta =
            JsonParser.parseString(item).getAsJsonObject().getAsJsonObject("metadata");
        String ns = text(meta, "namespace");
        ResourcePath one =
            new ResourcePath(
                resource.group(),
                resource.version(),
                ns == null || ns.isEmpty() ? null : ns,
                resource.plural(),
                text(meta, "name"),
                null);
        if (!dryRun) {
          crud.handleDelete(one.objectPath());
        }
        out.append(first ? "" : ",").append(item);
        first = false;
      }
      out.append("]}");
      return json(200, out.toString());
    } finally {
      mutations.unlock();
    }
  }

  private void restore(ResourcePath resource, Map.Entry<AttributeSet, String> before) {
    Map<AttributeSet, String> map = crud.getMap();
    AttributeSet query = crud.getKey(resource.objectPath());
    synchronized (map) {
      map.keySet().removeIf(key -> key.matches(query));
      map.put(before.getKey(), before.getValue());
    }
  }

  // ---- exec ----

  private MockResponse exec(ResourcePath resource, RecordedCall call) {
    if (find(resource.objectPath()) == null) {
      return notFound(resource);
    }
    PodExec exec =
        new PodExec(
            resource.namespace(),
            resource.name(),
            call.queryParameter("container").orElse(""),
            call.query().getOrDefault("command", List.of()));
    MockResponse owned = controllerExec.apply(exec);
    if (owned != null) {
      return owned;
    }
    Function<PodExec, MockResponse> handler = execHandler;
    if (handler == null) {
      return status(
          400,
          "BadRequest",
          "the fixture runs no containers; register an exec handler to answer pod exec");
    }
    return handler.apply(
        new PodExec(
            resource.namespace(),
            resource.name(),
            call.queryParameter("container").orElse(""),
            call.query().getOrDefault("command", List.of())));
  }

  // ---- in-process store access for seeding ----

  /**
   * Stores an object as the API server would on create, but keeps a given {@code uid} and {@code
   * creationTimestamp} (so tests can seed old objects) and skips faults, hooks and the request log.
   *
   * @return the stored JSON
   * @throws IllegalStateException when an object with that name exists
   */
  public String insert(String collectionPath, JsonObject object) {
    ResourcePath resource = ResourcePath.parse(collectionPath);
    if (resource == null || resource.plural() == null || resource.name() != null) {
      throw new IllegalArgumentException("not a collection path: " + collectionPath);
    }
    mutations.lock();
    try {
      String name = text(object.getAsJsonObject("metadata"), "name");
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("object has no metadata.name: " + object);
      }
      if (find(collectionPath + "/" + name) != null) {
        throw new IllegalStateException(collectionPath + "/" + name + " already exists");
      }
      return insertUnchecked(resource, object);
    } finally {
      mutations.unlock();
    }
  }

  /**
   * Stores many objects in one collection quickly (one pass to check names instead of one per
   * object).
   *
   * @throws IllegalStateException when a name exists or repeats
   */
  public void insertAll(String collectionPath, List<JsonObject> objects) {
    ResourcePath resource = ResourcePath.parse(collectionPath);
    if (resource == null || resource.plural() == null || resource.name() != null) {
      throw new IllegalArgumentException("not a collection path: " + collectionPath);
    }
    mutations.lock();
    try {
      Set<String> names = new HashSet<>();
      for (String json : snapshot(collectionPath)) {
        JsonObject meta =
            JsonParser.parseString(json).getAsJsonObject().getAsJsonObject("metadata");
        names.add(text(meta, "name"));
      }
      for (JsonObject object : objects) {
        String name = text(object.getAsJsonObject("metadata"), "name");
        if (name == null || !names.add(name)) {
          throw new IllegalStateException(collectionPath + "/" + name + " already exists");
        }
      }
      for (JsonObject object : objects) {
        insertUnchecked(resource, object);
      }
    } finally {
      mutations.unlock();
    }
  }

  private String insertUnchecked(ResourcePath resource, JsonObject object) {
    initMetadata(object, resource.namespace(), false);
    String json = object.toString();
    String objectPath =
        resource.collectionPath() + "/" + text(object.getAsJsonObject("metadata"), "name");
    crud.processEvent(objectPath, crud.getKey(objectPath), null, null, json);
    return json;
  }

  private void initMetadata(JsonObject object, String namespace, boolean dryRun) {
    if (!object.has("metadata") || !object.get("metadata").isJsonObject()) {
      object.add("metadata", new JsonObject());
    }
    JsonObject meta = object.getAsJsonObject("metadata");
    if (namespace != null) {
      meta.addProperty("namespace", namespace);
    }
    if (text(meta, "uid") == null || dryRun) {
      meta.addProperty("uid", UUID.randomUUID().toString());
    }
    if (text(meta, "creationTimestamp") == null || dryRun) {
      meta.addProperty(
          "creationTimestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }
    if (!dryRun) {
      meta.addProperty("resourceVersion", String.valueOf(crud.requestResourceVersion()));
    }
    if (!meta.has("generation")) {
      meta.addProperty("generation", 1);
    }
  }

  /** The stored JSON of an object, or null. */
  public String find(String objectPath) {
    Map.Entry<AttributeSet, String> entry = entry(objectPath);
    return entry == null ? null : entry.getValue();
  }

  /** Sets {@code status.phase} of a stored object in place; true when it existed. */
  public boolean setPhase(String objectPath, String phase) {
    return update(
        objectPath,
        object -> {
          if (!object.has("status") || !object.get("status").isJsonObject()) {
            object.add("status", new JsonObject());
          }
          object.getAsJsonObject("status").addProperty("phase", phase);
        });
  }

  /** Changes a stored object in place (uid kept, resourceVersion bumped); true when it existed. */
  public boolean update(String objectPath, Consumer<JsonObject> change) {
    ResourcePath resource = ResourcePath.parse(objectPath);
    mutations.lock();
    try {
      Map.Entry<AttributeSet, String> stored = entry(objectPath);
      if (stored == null) {
        return false;
      }
      JsonObject object = JsonParser.parseString(stored.getValue()).getAsJsonObject();
      change.accept(object);
      object
          .getAsJsonObject("metadata")
          .addProperty("resourceVersion", String.valueOf(crud.requestResourceVersion()));
      crud.processEvent(
          objectPath, crud.getKey(resource.objectPath()), stored.getKey(), null, object.toString());
      return true;
    } finally {
      mutations.unlock();
    }
  }

  /** The stored JSON of every object in a collection (all namespaces when the path has none). */
  public List<String> list(String collectionPath) {
    return snapshot(collectionPath);
  }

  /** Removes an object without preconditions; true when it existed. */
  public boolean remove(String objectPath) {
    mutations.lock();
    try {
      return crud.handleDelete(objectPath).code() == 200;
    } finally {
      mutations.unlock();
    }
  }

  /** Number of stored objects in a collection (all namespaces when the path has none). */
  public int count(String collectionPath) {
    return snapshot(collectionPath).size();
  }

  // ---- helpers ----

  private static RecordedRequest forward(
      HttpMethod method, String path, Headers headers, RecordedCall call) {
    return new RecordedRequest(
        "HTTP/1.1",
        method,
        path,
        headers,
        new Buffer(call.body().getBytes(StandardCharsets.UTF_8)));
  }

  private static String objectPathWithSub(ResourcePath resource) {
    return resource.subresource() == null
        ? resource.objectPath()
        : resource.objectPath() + "/" + resource.subresource();
  }

  private static boolean isDryRun(RecordedCall call, JsonObject options) {
    if (call.query().getOrDefault("dryRun", List.of()).contains("All")) {
      return true;
    }
    if (options != null && options.has("dryRun") && options.get("dryRun").isJsonArray()) {
      JsonArray values = options.getAsJsonArray("dryRun");
      for (JsonElement value : values) {
        if (value.getAsString().equals("All")) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isTrue(String value) {
    return value.equals("true") || value.equals("1");
  }

  private static String text(JsonObject object, String key) {
    if (object == null || !object.has(key) || object.get(key).isJsonNull()) {
      return null;
    }
    return object.get(key).getAsString();
  }

  /** Decodes a query string into its parameters, in request order. */
  public static Map<String, List<String>> parseQuery(String query) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    params.replaceAll((k, v) -> List.copyOf(v));
    return params;
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private MockResponse notFound(ResourcePath resource) {
    return status(
        404,
        "NotFound",
        resource.plural() + " \"" + resource.name() + "\" not found",
        resource,
        resource.name());
  }

  private MockResponse conflictModified(ResourcePath resource) {
    return status(
        409,
        "Conflict",
        "Operation cannot be fulfilled on "
            + resource.plural()
            + " \""
            + resource.name()
            + "\": the object has been modified; please apply your changes to the latest version"
            + " and try again",
        resource,
        resource.name());
  }

  private MockResponse faultResponse(RequestFault fault, String path) {
    MockResponse response =
        status(fault.status(), reasonFor(fault.status()), "injected fault on " + path);
    fault.retryAfterSeconds().ifPresent(seconds -> response.setHeader("Retry-After", seconds));
    if (!fault.delay().isZero()) {
      response.setBodyDelay(fault.delay());
    }
    return response;
  }

  private static String reasonFor(int code) {
    switch (code) {
      case 400:
        return "BadRequest";
      case 401:
        return "Unauthorized";
      case 403:
        return "Forbidden";
      case 404:
        return "NotFound";
      case 409:
        return "Conflict";
      case 410:
        return "Expired";
      case 422:
        return "Invalid";
      case 429:
        return "TooManyRequests";
      case 503:
        return "ServiceUnavailable";
      case 504:
        return "Timeout";
      default:
        return "InternalError";
    }
  }

  /** A Kubernetes {@code Status} failure response. */
  public static MockResponse status(int code, String reason, String message) {
    return status(code, reason, message, null, null);
  }

  private static MockResponse status(
      int code, String reason, String message, ResourcePath resource, String name) {
    JsonObject status = new JsonObject();
    status.addProperty("kind", "Status");
    status.addProperty("apiVersion", "v1");
    status.add("metadata", new JsonObject());
    status.addProperty("status", "Failure");
    status.addProperty("message", message);
    status.addProperty("reason", reason);
    if (resource != null) {
      JsonObject details = new JsonObject();
      if (name != null) {
        details.addProperty("name", name);
      }
      details.addProperty("group", resource.group());
      details.addProperty("kind", resource.plural());
      status.add("details", details);
    }
    status.addProperty("code", code);
    return json(code, status.toString());
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(body);
  }
}
