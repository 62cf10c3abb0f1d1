package dev.opskit.cluster.internal.calico;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.Map;

/**
 * Writes JSON trees as block-style YAML. Strings are always double-quoted with JSON escapes (valid
 * YAML), so no value is ever misread as a number, boolean or null.
 */
public final class YamlText {
  private YamlText() {}

  /** One YAML document for {@code root}, without the leading {@code ---}. */
  public static String of(JsonObject root) {
    StringBuilder out = new StringBuilder();
    writeObject(root, 0, out);
    return out.toString();
  }

  private static void writeObject(JsonObject object, int indent, StringBuilder out) {
    for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
      out.append(" ".repeat(indent)).append(entry.getKey()).append(':');
      writeValue(entry.getValue(), indent, out);
    }
  }

  private static void writeValue(JsonElement value, int indent, StringBuilder out) {
    if (value.isJsonObject()) {
      if (value.getAsJsonObject().size() == 0) {
        out.append(" {}\n");
      } else {
        out.append('\n');
        writeObject(value.getAsJsonObject(), indent + 2, out);
      }
    } else if (value.isJsonArray()) {
      JsonArray array = value.getAsJsonArray();
      if (array.size() == 0) {
        out.append(" []\n");
        return;
      }
      out.append('\n');
      for (JsonElement item : array) {
        out.append(" ".repeat(indent)).append("- ");
        if (item.isJsonObject() && item.getAsJsonObject().size() > 0) {
          StringBuilder nested = new StringBuilder();
          writeObject(item.getAsJsonObject(), indent + 2, nested);
          out.append(nested.substring(indent + 2));
        } else {
          StringBuilder scalar = new StringBuilder();
          writeValue(item, indent + 2, scalar);
          out.append(scalar.substring(1));
        }
      }
    } else {
      out.append(' ').append(scalar(value)).append('\n');
    }
  }

  private static String scalar(JsonElement value) {
    if (value.isJsonNull()) {
      return "null";
    }
    JsonPrimitive primitive = value.getAsJsonPrimitive();
    if (primitive.isString()) {
      return primitive.toString();
    }
    return primitive.getAsString();
  }
}
