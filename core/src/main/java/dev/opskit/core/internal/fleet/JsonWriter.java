package dev.opskit.core.internal.fleet;

/** A minimal JSON writer: objects, arrays, strings and numbers, no whitespace. Not thread-safe. */
public final class JsonWriter {
  private final StringBuilder out = new StringBuilder();
  private boolean needComma;

  /** Starts an object ({@code name} null inside arrays and at the top). */
  public JsonWriter beginObject(String name) {
    open(name, '{');
    return this;
  }

  /** Ends the current object. */
  public JsonWriter endObject() {
    out.append('}');
    needComma = true;
    return this;
  }

  /** Starts an array member named {@code name}. */
  public JsonWriter beginArray(String name) {
    open(name, '[');
    return this;
  }

  /** Ends the current array. */
  public JsonWriter endArray() {
    out.append(']');
    needComma = true;
    return this;
  }

  /** A string member (null writes {@code null}). */
  public JsonWriter string(String name, String value) {
    key(name);
    if (value == null) {
      out.append("null");
    } else {
      quote(value);
    }
    needComma = true;
    return this;
  }

  /** A number member. */
  public JsonWriter number(String name, long value) {
    key(name);
    out.append(value);
    needComma = true;
    return this;
  }

  /** A boolean member. */
  public JsonWriter bool(String name, boolean value) {
    key(name);
    out.append(value);
    needComma = true;
    return this;
  }

  private void open(String name, char bracket) {
    key(name);
    out.append(bracket);
    needComma = false;
  }

  private void key(String name) {
    if (needComma) {
      out.append(',');
    }
    if (name != null) {
      quote(name);
      out.append(':');
    }
  }

  private void quote(String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
