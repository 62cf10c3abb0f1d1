package dev.opskit.iptables.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the option part of a match or target ({@code [!] --name [VALUE...]}), the shape
 * every iptables extension shares.
 */
public final class Options {
  private final List<String> tokens = new ArrayList<>();

  /** One option as written: negated or not, its name with dashes, and its values. */
  public record Option(boolean negated, String name, List<String> values) {
    /** The only value; throws when there is not exactly one. */
    public String value() {
      if (values.size() != 1) {
        throw new IllegalArgumentException(name + " takes one value, got " + values);
      }
      return values.get(0);
    }

    /** Throws unless the option has no value. */
    public Option flag() {
      if (!values.isEmpty()) {
        throw new IllegalArgumentException(name + " takes no value, got " + values);
      }
      return this;
    }

    /** Throws when the option is negated. */
    public Option plain() {
      if (negated) {
        throw new IllegalArgumentException(name + " cannot be negated");
      }
      return this;
    }
  }

  /**
   * Splits option tokens: an option starts at {@code --name} (or {@code ! --name}, or {@code --name
   * !} as older iptables wrote it) and takes every following token until the next option.
   */
  public static List<Option> read(List<String> tokens) {
    List<Option> options = new ArrayList<>();
    int i = 0;
    while (i < tokens.size()) {
      boolean negated = false;
      if (tokens.get(i).equals("!")) {
        negated = true;
        i++;
      }
      if (i >= tokens.size() || !tokens.get(i).startsWith("--")) {
        throw new IllegalArgumentException(
            "expected an option at '" + (i < tokens.size() ? tokens.get(i) : "end") + "'");
      }
      String name = tokens.get(i++);
      List<String> values = new ArrayList<>();
      while (i < tokens.size() && !tokens.get(i).startsWith("--") && !tokens.get(i).equals("!")) {
        values.add(tokens.get(i++));
      }
      options.add(new Option(negated, name, List.copyOf(values)));
    }
    return options;
  }

  /** A writer of option tokens. */
  public static Options writer() {
    return new Options();
  }

  /** Adds {@code [!] NAME VALUES...}. */
  public Options add(boolean negated, String name, String... values) {
    if (negated) {
      tokens.add("!");
    }
    tokens.add(name);
    tokens.addAll(List.of(values));
    return this;
  }

  /** Adds {@code NAME VALUES...}. */
  public Options add(String name, String... values) {
    return add(false, name, values);
  }

  /** Adds {@code NAME} when {@code present}. */
  public Options flag(boolean present, String name) {
    if (present) {
      tokens.add(name);
    }
    return this;
  }

  /** The tokens written so far. */
  public List<String> tokens() {
    return List.copyOf(tokens);
  }

  /**
   * A 32-bit value and mask as iptables prints marks: {@code 0xVALUE/0xMASK} or {@code 0xVALUE}.
   */
  public static String mark(long value, long mask) {
    return mask == 0xffffffffL
        ? "0x" + Long.toHexString(value)
        : "0x" + Long.toHexString(value) + "/0x" + Long.toHexString(mask);
  }

  /** Parses {@code VALUE[/MASK]} (decimal or 0x hex); the mask defaults to all ones. */
  public static long[] parseMark(String text) {
    int slash = text.indexOf('/');
    long value = parseU32(slash < 0 ? text : text.substring(0, slash));
    long mask = slash < 0 ? 0xffffffffL : parseU32(text.substring(slash + 1));
    return new long[] {value, mask};
  }

  /** Parses a 32-bit unsigned number, decimal or {@code 0x} hex. */
  public static long parseU32(String text) {
    long value;
    try {
      value =
          text.startsWith("0x") || text.startsWith("0X")
              ? Long.parseLong(text.substring(2), 16)
              : Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a number", e);
    }
    checkU32(value, text);
    return value;
  }

  /** Throws unless {@code value} fits in 32 unsigned bits. */
  public static long checkU32(long value, String what) {
    if (value < 0 || value > 0xffffffffL) {
      throw new IllegalArgumentException(what + " " + value + " must be between 0 and 0xffffffff");
    }
    return value;
  }
}
