package dev.opskit.cluster;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.opskit.cluster.internal.calico.JsonCall;
import dev.opskit.core.OpskitException;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Creates a ConfigMap or updates it to given content, like {@code kubectl create configmap NAME
 * --from-file=DIR --dry-run=client -o yaml | kubectl apply -f -}.
 *
 * <pre>{@code
 * ConfigMapResult result = ConfigMapUpdater.on(client)
 *     .createOrUpdate("web", "nginx-conf", ConfigMapContent.fromFolder(Path.of("conf.d")));
 * }</pre>
 *
 * <p>An update replaces {@code data} and {@code binaryData} and keeps everything else the object
 * has (labels, annotations, owner references, fields newer than this client): the object is read as
 * generic JSON, changed, and written back with its resourceVersion, so a concurrent change makes
 * the API answer 409 ({@link ClusterRequestException}) instead of being overwritten. Identical
 * content writes nothing. An {@code immutable} ConfigMap is refused. Safe for concurrent use.
 */
public final class ConfigMapUpdater {
  private static final Pattern NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private final ApiClient client;

  private ConfigMapUpdater(ApiClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** An updater that uses {@code client} (owned by the caller). */
  public static ConfigMapUpdater on(ApiClient client) {
    return new ConfigMapUpdater(client);
  }

  /**
   * Creates the ConfigMap, or replaces the content of the existing one.
   *
   * @throws IllegalArgumentException for an invalid namespace or name
   * @throws ClusterRequestException when the API refuses, such as 409 on a concurrent change
   * @throws OpskitException when the existing ConfigMap is immutable
   * @throws IOException when the API cannot be reached
   */
  public ConfigMapResult createOrUpdate(String namespace, String name, ConfigMapContent content)
      throws IOException {
    checkName("namespace", namespace, 63);
    checkName("name", name, 253);
    CoreV1Api api = new CoreV1Api(client);
    Optional<JsonObject> existing =
        JsonCall.find(client, () -> api.readNamespacedConfigMap(name, namespace).buildCall(null));
    Map<String, String> wanted = flatten(content);
    if (existing.isEmpty()) {
      JsonObject created = new JsonObject();
      created.addProperty("apiVersion", "v1");
      created.addProperty("kind", "ConfigMap");
      JsonObject metadata = new JsonObject();
      metadata.addProperty("name", name);
      metadata.addProperty("namespace", namespace);
      created.add("metadata", metadata);
      setContent(created, content);
      JsonObject answer =
          JsonCall.execute(
              client,
              () -> api.createNamespacedConfigMap(namespace, new V1ConfigMap()).buildCall(null),
              null,
              created.toString().getBytes(StandardCharsets.UTF_8));
      return result(ConfigMapResult.Action.CREATED, namespace, name, answer, Map.of(), wanted);
    }
    JsonObject current = existing.get();
    JsonElement immutable = current.get("immutable");
    if (immutable != null && immutable.isJsonPrimitive() && immutable.getAsBoolean()) {
      throw new OpskitException(
          "ConfigMap " + namespace + "/" + name + " is immutable; delete it and create it again");
    }
    Map<String, String> before = flatten(current);
    if (before.equals(wanted)) {
      return result(ConfigMapResult.Action.UNCHANGED, namespace, name, current, before, wanted);
    }
    current.remove("data");
    current.remove("binaryData");
    setContent(current, content);
    JsonObject answer =
        JsonCall.execute(
            client,
            () ->
                api.replaceNamespacedConfigMap(name, namespace, new V1ConfigMap()).buildCall(null),
            null,
            current.toString().getBytes(StandardCharsets.UTF_8));
    return result(ConfigMapResult.Action.UPDATED, namespace, name, answer, before, wanted);
  }

  private static void setContent(JsonObject object, ConfigMapContent content) {
    if (!content.data().isEmpty()) {
      JsonObject data = new JsonObject();
      content.data().forEach(data::addProperty);
      object.add("data", data);
    }
    if (!content.binaryData().isEmpty()) {
      JsonObject binary = new JsonObject();
      content
          .binaryData()
          .forEach((k, v) -> binary.addProperty(k, Base64.getEncoder().encodeToString(v)));
      object.add("binaryData", binary);
    }
  }

  /** Every key to a comparable value: {@code d:text} for data, {@code b:base64} for binaryData. */
  private static Map<String, String> flatten(ConfigMapContent content) {
    Map<String, String> values = new TreeMap<>();
    content.data().forEach((k, v) -> values.put(k, "d:" + v));
    content
        .binaryData()
        .forEach((k, v) -> values.put(k, "b:" + Base64.getEncoder().encodeToString(v)));
    return values;
  }

  private static Map<String, String> flatten(JsonObject object) {
    Map<String, String> values = new TreeMap<>();
    for (String field : List.of("data", "binaryData")) {
      JsonElement element = object.get(field);
      if (element != null && element.isJsonObject()) {
        for (Map.Entry<String, JsonElement> entry : element.getAsJsonObject().entrySet()) {
          String value = entry.getValue().isJsonPrimitive() ? entry.getValue().getAsString() : "";
          if (field.equals("binaryData")) {
            value = Base64.getEncoder().encodeToString(Base64.getDecoder().decode(value));
          }
          values.put(entry.getKey(), (field.equals("data") ? "d:" : "b:") + value);
        }
      }
    }
    return values;
  }

  private static ConfigMapResult result(
      ConfigMapResult.Action action,
      String namespace,
      String name,
      JsonObject answer,
      Map<String, String> before,
      Map<String, String> after) {
    List<String> added = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (String key : new TreeSet<>(union(before, after))) {
      if (!before.containsKey(key)) {
        added.add(key);
      } else if (!after.containsKey(key)) {
        removed.add(key);
      } else if (!before.get(key).equals(after.get(key))) {
        changed.add(key);
      }
    }
    return ConfigMapResult.builder()
        .action(action)
        .namespace(namespace)
        .name(name)
        .resourceVersion(JsonCall.string(answer, "metadata", "resourceVersion").orElse(""))
        .added(added)
        .changed(changed)
        .removed(removed)
        .build();
  }

  private static List<String> union(Map<String, String> a, Map<String, String> b) {
    List<String> keys = new ArrayList<>(a.keySet());
    keys.addAll(b.keySet());
    return keys;
  }

  private static void checkName(String what, String value, int max) {
    if (value == null
        || value.length() > max
        || !NAME.matcher(value).matches()
        || (max == 63 && value.contains("."))) {
      throw new IllegalArgumentException(
          "ConfigMap "
              + what
              + " '"
              + value
              + "' must be a lower-case DNS name of at most "
              + max
              + " characters");
    }
  }
}
