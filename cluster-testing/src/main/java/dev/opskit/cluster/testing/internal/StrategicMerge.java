package dev.opskit.cluster.testing.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Map;

/**
 * Strategic merge patch for the built-in types, covering what clients send in practice: objects
 * merge recursively, {@code null} removes a key, lists of containers, env, volumes, ports and
 * similar merge by their patch merge key, {@code $patch: delete}/{@code replace} directives on list
 * items and objects, {@code $deleteFromPrimitiveList/…} and finalizers merged as a set. Other lists
 * are replaced, as the Kubernetes API does for lists without a merge strategy.
 */
public final class StrategicMerge {
  private static final Map<String, String> MERGE_KEYS =
      Map.ofEntries(
          Map.entry("containers", "name"),
          Map.entry("initContainers", "name"),
          Map.entry("ephemeralContainers", "name"),
          Map.entry("env", "name"),
          Map.entry("volumes", "name"),
          Map.entry("volumeMounts", "mountPath"),
          Map.entry("volumeDevices", "devicePath"),
          Map.entry("ports", "containerPort"),
          Map.entry("imagePullSecrets", "name"),
          Map.entry("hostAliases", "ip"),
          Map.entry("conditions", "type"),
          Map.entry("ownerReferences", "uid"),
          Map.entry("topologySpreadConstraints", "topologyKey"));

  private StrategicMerge() {}

  /** Applies {@code patch} to a copy of {@code target} and returns the result. */
  public static JsonObject apply(JsonObject target, JsonObject patch) {
    return mergeObject(target.deepCopy(), patch);
  }

  private static JsonObject mergeObject(JsonObject target, JsonObject patch) {
    JsonElement directive = patch.get("$patch");
    if (directive != null && directive.isJsonPrimitive()) {
      String value = directive.getAsString();
      if (value.equals("replace")) {
        JsonObject replaced = patch.deepCopy();
        replaced.remove("$patch");
        return replaced;
      }
      if (value.equals("delete")) {
        return new JsonObject();
      }
    }
    for (Map.Entry<String, JsonElement> entry : patch.entrySet()) {
      String key = entry.getKey();
      JsonElement value = entry.getValue();
      if (key.equals("$patch")
          || key.startsWith("$setElementOrder/")
          || key.equals("$retainKeys")) {
        continue;
      }
      if (key.startsWith("$deleteFromPrimitiveList/")) {
        String field = key.substring("$deleteFromPrimitiveList/".length());
        JsonElement existing = target.get(field);
        if (existing != null && existing.isJsonArray() && value.isJsonArray()) {
          JsonArray kept = new JsonArray();
          for (JsonElement item : existing.getAsJsonArray()) {
            if (!value.getAsJsonArray().contains(item)) {
              kept.add(item);
            }
          }
          target.add(field, kept);
        }
        continue;
      }
      if (value.isJsonNull()) {
        target.remove(key);
        continue;
      }
      JsonElement existing = target.get(key);
      if (value.isJsonObject() && existing != null && existing.isJsonObject()) {
        target.add(key, mergeObject(existing.getAsJsonObject(), value.getAsJsonObject()));
      } else if (value.isJsonArray() && existing != null && existing.isJsonArray()) {
        target.add(key, mergeList(key, existing.getAsJsonArray(), value.getAsJsonArray()));
      } else {
        target.add(key, stripDirectives(value));
      }
    }
    return target;
  }

  private static JsonArray mergeList(String field, JsonArray existing, JsonArray patch) {
    if (field.equals("finalizers")) {
      JsonArray union = existing.deepCopy();
      for (JsonElement item : patch) {
        if (!union.contains(item)) {
          union.add(item);
        }
      }
      return union;
    }
    String mergeKey = MERGE_KEYS.get(field);
    if (mergeKey == null) {
      return stripDirectives(patch).getAsJsonArray();
    }
    for (JsonElement item : patch) {
      if (item.isJsonObject()
          && item.getAsJsonObject().has("$patch")
          && item.getAsJsonObject().get("$patch").getAsString().equals("replace")) {
        JsonArray replaced = new JsonArray();
        for (JsonElement other : patch) {
          if (other != item) {
            replaced.add(stripDirectives(other));
          }
        }
        return replaced;
      }
    }
    JsonArray result = existing.deepCopy();
    for (JsonElement item : patch) {
      if (!item.isJsonObject() || !item.getAsJsonObject().has(mergeKey)) {
        result.add(stripDirectives(item));
        continue;
      }
      JsonObject patchItem = item.getAsJsonObject();
      JsonElement keyValue = patchItem.get(mergeKey);
      int index = -1;
      for (int i = 0; i < result.size(); i++) {
        JsonElement candidate = result.get(i);
        if (candidate.isJsonObject()
            && keyValue.equals(candidate.getAsJsonObject().get(mergeKey))) {
          index = i;
          break;
        }
      }
      boolean delete =
          patchItem.has("$patch") && patchItem.get("$patch").getAsString().equals("delete");
      if (delete) {
        if (index >= 0) {
          result.remove(index);
        }
      } else if (index >= 0) {
        result.set(index, mergeObject(result.get(index).getAsJsonObject(), patchItem));
      } else {
        result.add(stripDirectives(patchItem));
      }
    }
    return result;
  }

  private static JsonElement stripDirectives(JsonElement element) {
    if (element.isJsonObject()) {
      JsonObject copy = new JsonObject();
      for (Map.Entry<String, JsonElement> entry : element.getAsJsonObject().entrySet()) {
        if (!entry.getKey().startsWith("$") && !entry.getValue().isJsonNull()) {
          copy.add(entry.getKey(), stripDirectives(entry.getValue()));
        }
      }
      return copy;
    }
    if (element.isJsonArray()) {
      JsonArray copy = new JsonArray();
      for (JsonElement item : element.getAsJsonArray()) {
        copy.add(stripDirectives(item));
      }
      return copy;
    }
    return element;
  }
}
