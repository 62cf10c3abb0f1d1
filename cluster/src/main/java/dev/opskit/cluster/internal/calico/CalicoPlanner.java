package dev.opskit.cluster.internal.calico;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.opskit.cluster.CalicoAutodetectionMethod;
import dev.opskit.cluster.CalicoAutodetectionPlan;
import dev.opskit.cluster.CalicoEnvChange;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Pure planning of calico-node environment changes from an observed DaemonSet object. */
public final class CalicoPlanner {
  public static final String IPV4_VARIABLE = "IP_AUTODETECTION_METHOD";
  public static final String IPV6_VARIABLE = "IP6_AUTODETECTION_METHOD";
  private static final Gson GSON =
      new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  private CalicoPlanner() {}

  /**
   * Plans the change of the container's autodetection variables.
   *
   * @param daemonSet the DaemonSet as read from the API
   * @param container the container to change, usually {@code calico-node}
   * @param installation the operator's {@code Installation} when one exists
   */
  public static CalicoAutodetectionPlan plan(
      JsonObject daemonSet,
      String container,
      Optional<CalicoAutodetectionMethod> ipv4,
      Optional<CalicoAutodetectionMethod> ipv6,
      Optional<String> installation) {
    String namespace = JsonCall.string(daemonSet, "metadata", "namespace").orElse("");
    String name = JsonCall.string(daemonSet, "metadata", "name").orElse("");
    String resourceVersion = JsonCall.string(daemonSet, "metadata", "resourceVersion").orElse("");
    JsonArray containers = array(daemonSet, "spec", "template", "spec", "containers");
    int index = -1;
    for (int i = 0; i < containers.size(); i++) {
      if (containers.get(i).isJsonObject()
          && JsonCall.string(containers.get(i).getAsJsonObject(), "name")
              .orElse("")
              .equals(container)) {
        index = i;
      }
    }
    if (index < 0) {
      throw new IllegalStateException(
          "daemonset " + namespace + "/" + name + " has no container named '" + container + "'");
    }
    JsonObject target = containers.get(index).getAsJsonObject();
    JsonElement envElement = target.get("env");
    JsonArray env =
        envElement != null && envElement.isJsonArray() ? envElement.getAsJsonArray() : null;

    Map<String, CalicoAutodetectionMethod> desired = new LinkedHashMap<>();
    ipv4.ifPresent(m -> desired.put(IPV4_VARIABLE, m));
    ipv6.ifPresent(m -> desired.put(IPV6_VARIABLE, m));

    String base = "/spec/template/spec/containers/" + index;
    JsonArray patch = new JsonArray();
    patch.add(op("test", "/metadata/resourceVersion", new JsonPrimitive(resourceVersion)));
    patch.add(op("test", base + "/name", new JsonPrimitive(container)));
    List<CalicoEnvChange> changes = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    boolean envCreated = env != null;
    for (Map.Entry<String, CalicoAutodetectionMethod> entry : desired.entrySet()) {
      String variable = entry.getKey();
      String value = entry.getValue().text();
      warnings.addAll(entry.getValue().warnings());
      int position = position(env, variable);
      Optional<String> before = Optional.empty();
      boolean fromReference = false;
      if (position >= 0) {
        JsonObject current = env.get(position).getAsJsonObject();
        Optional<String> plain = JsonCall.string(current, "value");
        fromReference = current.has("valueFrom");
        before = fromReference ? Optional.of("<valueFrom>") : Optional.of(plain.orElse(""));
      }
      if (before.isPresent() && before.get().equals(value) && !fromReference) {
        continue;
      }
      changes.add(CalicoEnvChange.builder().name(variable).before(before).after(value).build());
      JsonObject variableJson = new JsonObject();
      variableJson.addProperty("name", variable);
      variableJson.addProperty("value", value);
      if (position >= 0) {
        patch.add(op("test", base + "/env/" + position + "/name", new JsonPrimitive(variable)));
        patch.add(op("replace", base + "/env/" + position, variableJson));
      } else if (!envCreated) {
        JsonArray list = new JsonArray();
        list.add(variableJson);
        patch.add(op("add", base + "/env", list));
        envCreated = true;
      } else {
        patch.add(op("add", base + "/env/-", variableJson));
      }
    }
    checkIpVariable(env, "IP", ipv4.isPresent(), warnings);
    checkIpVariable(env, "IP6", ipv6.isPresent(), warnings);
    return CalicoAutodetectionPlan.builder()
        .namespace(namespace)
        .daemonSet(name)
        .resourceVersion(resourceVersion)
        .changes(changes)
        .jsonPatch(changes.isEmpty() ? "[]" : GSON.toJson(patch))
        .warnings(warnings)
        .operatorInstallation(installation)
        .installationPatch(
            installation.isPresent()
                ? Optional.of(installationPatch(ipv4, ipv6))
                : Optional.empty())
        .build();
  }

  /**
   * The merge patch for {@code spec.calicoNetwork.nodeAddressAutodetectionV4/V6} of an operator
   * {@code Installation}; other methods are nulled, since the operator accepts only one.
   */
  public static String installationPatch(
      Optional<CalicoAutodetectionMethod> ipv4, Optional<CalicoAutodetectionMethod> ipv6) {
    JsonObject network = new JsonObject();
    ipv4.ifPresent(m -> network.add("nodeAddressAutodetectionV4", operatorMethod(m)));
    ipv6.ifPresent(m -> network.add("nodeAddressAutodetectionV6", operatorMethod(m)));
    JsonObject spec = new JsonObject();
    spec.add("calicoNetwork", network);
    JsonObject root = new JsonObject();
    root.add("spec", spec);
    return GSON.toJson(root);
  }

  private static JsonObject operatorMethod(CalicoAutodetectionMethod method) {
    JsonObject json = new JsonObject();
    for (String field :
        List.of("firstFound", "kubernetes", "canReach", "interface", "skipInterface", "cidrs")) {
      json.add(field, JsonNull.INSTANCE);
    }
    switch (method.kind()) {
      case FIRST_FOUND:
        json.addProperty("firstFound", true);
        break;
      case KUBERNETES_INTERNAL_IP:
        json.addProperty("kubernetes", "NodeInternalIP");
        break;
      case CAN_REACH:
        json.addProperty("canReach", method.arguments().get(0));
        break;
      case INTERFACE:
        json.addProperty("interface", String.join("|", method.arguments()));
        break;
      case SKIP_INTERFACE:
        json.addProperty("skipInterface", String.join("|", method.arguments()));
        break;
      case CIDR:
        JsonArray cidrs = new JsonArray();
        method.arguments().forEach(cidrs::add);
        json.add("cidrs", cidrs);
        break;
      default:
        throw new IllegalStateException("unknown kind " + method.kind());
    }
    return json;
  }

  private static void checkIpVariable(
      JsonArray env, String variable, boolean relevant, List<String> warnings) {
    int position = position(env, variable);
    if (!relevant || position < 0) {
      return;
    }
    String value = JsonCall.string(env.get(position).getAsJsonObject(), "value").orElse("");
    if (!value.equals("autodetect") && !value.isEmpty()) {
      warnings.add(
          variable
              + "="
              + value
              + " is set, so calico-node does not autodetect and the method has no effect;"
              + " set "
              + variable
              + "=autodetect");
    }
  }

  private static int position(JsonArray env, String variable) {
    if (env == null) {
      return -1;
    }
    for (int i = 0; i < env.size(); i++) {
      if (env.get(i).isJsonObject()
          && JsonCall.string(env.get(i).getAsJsonObject(), "name").orElse("").equals(variable)) {
        return i;
      }
    }
    return -1;
  }

  private static JsonArray array(JsonObject root, String... path) {
    JsonElement current = root;
    for (String step : path) {
      if (current == null || !current.isJsonObject()) {
        return new JsonArray();
      }
      current = current.getAsJsonObject().get(step);
    }
    return current != null && current.isJsonArray() ? current.getAsJsonArray() : new JsonArray();
  }

  private static JsonObject op(String op, String path, JsonElement value) {
    JsonObject json = new JsonObject();
    json.addProperty("op", op);
    json.addProperty("path", path);
    json.add("value", value);
    return json;
  }
}
