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
import java.util.Comparator;
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
    JsonArray tests = new JsonArray();
    tests.add(op("test", "/metadata/resourceVersion", new JsonPrimitive(resourceVersion)));
    tests.add(op("test", base + "/name", new JsonPrimitive(container)));
    JsonArray replaces = new JsonArray();
    List<Integer> removals = new ArrayList<>();
    JsonArray adds = new JsonArray();
    List<CalicoEnvChange> changes = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    boolean envCreated = env != null;
    for (Map.Entry<String, CalicoAutodetectionMethod> entry : desired.entrySet()) {
      String variable = entry.getKey();
      String value = entry.getValue().text();
      warnings.addAll(entry.getValue().warnings());
      List<Integer> positions = positions(env, variable);
      Optional<String> before = Optional.empty();
      boolean fromReference = false;
      if (!positions.isEmpty()) {
        // the container sees the last definition of a duplicated name
        JsonObject current = env.get(positions.get(positions.size() - 1)).getAsJsonObject();
        fromReference = current.has("valueFrom");
        before =
            fromReference
                ? Optional.of("<valueFrom>")
                : Optional.of(JsonCall.string(current, "value").orElse(""));
      }
      if (positions.size() > 1) {
        warnings.add(
            variable
                + " is defined "
                + positions.size()
                + " times (env entries "
                + positions
                + "); the container sees the last one ("
                + before.orElse("")
                + "), so every entry is replaced by one");
      }
      if (positions.size() <= 1
          && before.isPresent()
          && before.get().equals(value)
          && !fromReference) {
        continue;
      }
      changes.add(CalicoEnvChange.builder().name(variable).before(before).after(value).build());
      JsonObject variableJson = new JsonObject();
      variableJson.addProperty("name", variable);
      variableJson.addProperty("value", value);
      if (!positions.isEmpty()) {
        for (int position : positions) {
          tests.add(op("test", base + "/env/" + position + "/name", new JsonPrimitive(variable)));
        }
        replaces.add(op("replace", base + "/env/" + positions.get(0), variableJson));
        removals.addAll(positions.subList(1, positions.size()));
      } else if (!envCreated) {
        JsonArray list = new JsonArray();
        list.add(variableJson);
        adds.add(op("add", base + "/env", list));
        envCreated = true;
      } else {
        adds.add(op("add", base + "/env/-", variableJson));
      }
    }
    JsonArray patch = new JsonArray();
    patch.addAll(tests);
    patch.addAll(replaces);
    // remove from the end so earlier indexes stay valid
    removals.stream()
        .sorted(Comparator.reverseOrder())
        .forEach(position -> patch.add(op("remove", base + "/env/" + position, null)));
    patch.addAll(adds);
    List<String> ineffective = new ArrayList<>();
    if (ipv4.isPresent()) {
      checkIpv4(env, warnings, ineffective);
    }
    if (ipv6.isPresent()) {
      checkIpv6(env, warnings, ineffective);
    }
    return CalicoAutodetectionPlan.builder()
        .namespace(namespace)
        .daemonSet(name)
        .resourceVersion(resourceVersion)
        .changes(changes)
        .jsonPatch(changes.isEmpty() ? "[]" : GSON.toJson(patch))
        .warnings(warnings)
        .ineffective(ineffective)
        .operatorInstallation(installation)
        .installationPatch(
            installation.isPresent()
                ? Optional.of(installationPatch(ipv4, ipv6))
                : Optional.empty())
        .build();
  }

  /**
   * The name of the Tigera operator object (usually the {@code Installation} {@code default}) that
   * owns the DaemonSet through an ownerReference, if any.
   */
  public static Optional<String> operatorOwner(JsonObject daemonSet) {
    JsonElement metadata = daemonSet.get("metadata");
    JsonElement owners =
        metadata != null && metadata.isJsonObject()
            ? metadata.getAsJsonObject().get("ownerReferences")
            : null;
    if (owners == null || !owners.isJsonArray()) {
      return Optional.empty();
    }
    for (JsonElement owner : owners.getAsJsonArray()) {
      if (owner.isJsonObject()
          && JsonCall.string(owner.getAsJsonObject(), "apiVersion")
              .orElse("")
              .startsWith("operator.tigera.io/")) {
        return Optional.of(JsonCall.string(owner.getAsJsonObject(), "name").orElse("default"));
      }
    }
    return Optional.empty();
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

  private static void checkIpv4(JsonArray env, List<String> warnings, List<String> ineffective) {
    Optional<JsonObject> ip = last(env, "IP");
    if (ip.isEmpty() || ip.get().has("valueFrom")) {
      if (ip.isEmpty()) {
        warnings.add(
            "IP is unset, so calico-node autodetects only on nodes that have no IPv4 address yet;"
                + " set IP=autodetect to detect again on every start");
      } else {
        warnings.add("IP comes from valueFrom; the method applies only where it is 'autodetect'");
      }
      return;
    }
    String value = JsonCall.string(ip.get(), "value").orElse("");
    if (!value.equals("autodetect") && !value.isEmpty()) {
      String reason =
          "IP="
              + value
              + " is set, so calico-node does not autodetect and the method has no effect;"
              + " set IP=autodetect";
      warnings.add(reason);
      ineffective.add(reason);
    }
  }

  private static void checkIpv6(JsonArray env, List<String> warnings, List<String> ineffective) {
    Optional<JsonObject> ip6 = last(env, "IP6");
    if (ip6.isPresent() && ip6.get().has("valueFrom")) {
      warnings.add(
          "IP6 comes from valueFrom; calico-node reads IP6_AUTODETECTION_METHOD only where it is"
              + " 'autodetect'");
      return;
    }
    String value = ip6.flatMap(v -> JsonCall.string(v, "value")).orElse("");
    if (!value.equals("autodetect")) {
      String reason =
          (value.isEmpty() ? "IP6 is unset" : "IP6=" + value + " is set")
              + ", and calico-node reads IP6_AUTODETECTION_METHOD only when IP6=autodetect, so the"
              + " IPv6 method has no effect; set IP6=autodetect (with FELIX_IPV6SUPPORT=true and"
              + " an IPv6 pool such as CALICO_IPV6POOL_CIDR) first";
      warnings.add(reason);
      ineffective.add(reason);
    }
  }

  private static Optional<JsonObject> last(JsonArray env, String variable) {
    List<Integer> positions = positions(env, variable);
    return positions.isEmpty()
        ? Optional.empty()
        : Optional.of(env.get(positions.get(positions.size() - 1)).getAsJsonObject());
  }

  private static List<Integer> positions(JsonArray env, String variable) {
    List<Integer> positions = new ArrayList<>();
    if (env == null) {
      return positions;
    }
    for (int i = 0; i < env.size(); i++) {
      if (env.get(i).isJsonObject()
          && JsonCall.string(env.get(i).getAsJsonObject(), "name").orElse("").equals(variable)) {
        positions.add(i);
      }
    }
    return positions;
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
    if (value != null) {
      json.add("value", value);
    }
    return json;
  }
}
