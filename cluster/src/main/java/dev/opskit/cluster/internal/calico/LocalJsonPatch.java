package dev.opskit.cluster.internal.calico;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Applies the subset of RFC 6902 the planner emits ({@code test}, {@code replace}, {@code remove},
 * {@code add}, with {@code -} to append) to a JSON object in memory. A failed {@code test} throws
 * {@link IllegalStateException}.
 */
public final class LocalJsonPatch {
  private LocalJsonPatch() {}

  /** Applies {@code patch} (a JSON array of operations) to {@code target} in place. */
  public static void apply(JsonObject target, String patch) {
    for (JsonElement element : JsonParser.parseString(patch).getAsJsonArray()) {
      JsonObject op = element.getAsJsonObject();
      String path = op.get("path").getAsString();
      JsonElement value = op.get("value");
      int slash = path.lastIndexOf('/');
      JsonElement parent = resolve(target, path.substring(0, slash));
      String last = unescape(path.substring(slash + 1));
      switch (op.get("op").getAsString()) {
        case "test":
          if (!value.equals(child(parent, last, path))) {
            throw new IllegalStateException("test failed at " + path + ": expected " + value);
          }
          break;
        case "replace":
          child(parent, last, path);
          set(parent, last, value, false, path);
          break;
        case "add":
          set(parent, last, value, true, path);
          break;
        case "remove":
          child(parent, last, path);
          if (parent.isJsonArray()) {
            parent.getAsJsonArray().remove(Integer.parseInt(last));
          } else {
            parent.getAsJsonObject().remove(last);
          }
          break;
        default:
          throw new IllegalArgumentException("unsupported operation " + op);
      }
    }
  }

  private static JsonElement resolve(JsonObject root, String pointer) {
    JsonElement current = root;
    if (pointer.isEmpty()) {
      return current;
    }
    for (String token : pointer.substring(1).split("/", -1)) {
      current = child(current, unescape(token), pointer);
    }
    return current;
  }

  private static JsonElement child(JsonElement parent, String token, String path) {
    JsonElement found = null;
    if (parent != null && parent.isJsonObject()) {
      found = parent.getAsJsonObject().get(token);
    } else if (parent != null && parent.isJsonArray() && token.matches("[0-9]+")) {
      int index = Integer.parseInt(token);
      JsonArray array = parent.getAsJsonArray();
      found = index < array.size() ? array.get(index) : null;
    }
    if (found == null) {
      throw new IllegalStateException("path " + path + " does not exist");
    }
    return found;
  }

  private static void set(
      JsonElement parent, String token, JsonElement value, boolean add, String path) {
    if (parent.isJsonObject()) {
      parent.getAsJsonObject().add(token, value);
    } else if (parent.isJsonArray()) {
      JsonArray array = parent.getAsJsonArray();
      if (add && token.equals("-")) {
        array.add(value);
      } else if (!add && token.matches("[0-9]+") && Integer.parseInt(token) < array.size()) {
        array.set(Integer.parseInt(token), value);
      } else {
        throw new IllegalStateException("cannot set " + path);
      }
    } else {
      throw new IllegalStateException("cannot set " + path);
    }
  }

  private static String unescape(String token) {
    return token.replace("~1", "/").replace("~0", "~");
  }
}
