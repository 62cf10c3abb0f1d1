package dev.opskit.cluster.testing.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a pod spec may run on a node, as the scheduler decides for DaemonSet pods: {@code
 * nodeSelector}, required node affinity ({@code matchExpressions} on labels, {@code matchFields} on
 * {@code metadata.name}; terms are ORed, requirements within a term ANDed) and taints with effect
 * {@code NoSchedule} or {@code NoExecute} against tolerations.
 */
public final class NodeMatch {
  private NodeMatch() {}

  /** True when {@code podSpec} may be scheduled on {@code node} (both as stored JSON). */
  public static boolean schedulable(JsonObject podSpec, JsonObject node) {
    JsonObject meta = node.getAsJsonObject("metadata");
    Map<String, String> labels = new HashMap<>();
    if (meta.has("labels")) {
      meta.getAsJsonObject("labels")
          .entrySet()
          .forEach(e -> labels.put(e.getKey(), e.getValue().getAsString()));
    }
    String name = meta.get("name").getAsString();
    if (podSpec.has("nodeSelector")) {
      for (Map.Entry<String, JsonElement> e : podSpec.getAsJsonObject("nodeSelector").entrySet()) {
        if (!e.getValue().getAsString().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    JsonArray terms = terms(podSpec);
    if (terms != null && !terms.isEmpty()) {
      boolean any = false;
      for (JsonElement term : terms) {
        any |= termMatches(term.getAsJsonObject(), labels, Map.of("metadata.name", name));
      }
      if (!any) {
        return false;
      }
    }
    JsonObject spec = node.has("spec") ? node.getAsJsonObject("spec") : new JsonObject();
    JsonArray tolerations =
        podSpec.has("tolerations") ? podSpec.getAsJsonArray("tolerations") : new JsonArray();
    if (spec.has("taints")) {
      for (JsonElement taint : spec.getAsJsonArray("taints")) {
        JsonObject t = taint.getAsJsonObject();
        String effect = text(t, "effect");
        if (("NoSchedule".equals(effect) || "NoExecute".equals(effect))
            && !tolerated(t, tolerations)) {
          return false;
        }
      }
    }
    return true;
  }

  private static JsonArray terms(JsonObject podSpec) {
    JsonObject current = podSpec;
    for (String key :
        List.of("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")) {
      if (current == null || !current.has(key)) {
        return null;
      }
      current = current.getAsJsonObject(key);
    }
    return current.has("nodeSelectorTerms") ? current.getAsJsonArray("nodeSelectorTerms") : null;
  }

  private static boolean termMatches(
      JsonObject term, Map<String, String> labels, Map<String, String> fields) {
    boolean empty = true;
    for (String kind : List.of("matchExpressions", "matchFields")) {
      if (!term.has(kind)) {
        continue;
      }
      Map<String, String> values = kind.equals("matchFields") ? fields : labels;
      for (JsonElement requirement : term.getAsJsonArray(kind)) {
        empty = false;
        if (!requirementMatches(requirement.getAsJsonObject(), values)) {
          return false;
        }
      }
    }
    return !empty; // an empty term matches no node
  }

  private static boolean requirementMatches(JsonObject requirement, Map<String, String> values) {
    String value = values.get(text(requirement, "key"));
    List<String> wanted =
        requirement.has("values")
            ? requirement.getAsJsonArray("values").asList().stream()
                .map(JsonElement::getAsString)
                .toList()
            : List.of();
    switch (String.valueOf(text(requirement, "operator"))) {
      case "In":
        return value != null && wanted.contains(value);
      case "NotIn":
        return value == null || !wanted.contains(value);
      case "Exists":
        return value != null;
      case "DoesNotExist":
        return value == null;
      case "Gt":
      case "Lt":
        try {
          long have = Long.parseLong(value);
          long bound = Long.parseLong(wanted.get(0));
          return text(requirement, "operator").equals("Gt") ? have > bound : have < bound;
        } catch (RuntimeException e) {
          return false;
        }
      default:
        return false;
    }
  }

  private static boolean tolerated(JsonObject taint, JsonArray tolerations) {
    for (JsonElement element : tolerations) {
      JsonObject toleration = element.getAsJsonObject();
      String effect = text(toleration, "effect");
      if (effect != null && !effect.isEmpty() && !effect.equals(text(taint, "effect"))) {
        continue;
      }
      String key = text(toleration, "key");
      if ("Exists".equals(text(toleration, "operator"))) {
        if (key == null || key.isEmpty() || key.equals(text(taint, "key"))) {
          return true;
        }
      } else if (key != null
          && key.equals(text(taint, "key"))
          && String.valueOf(text(toleration, "value"))
              .equals(String.valueOf(text(taint, "value")))) {
        return true;
      }
    }
    return false;
  }

  private static String text(JsonObject object, String key) {
    if (object == null || !object.has(key) || object.get(key).isJsonNull()) {
      return null;
    }
    return object.get(key).getAsString();
  }
}
