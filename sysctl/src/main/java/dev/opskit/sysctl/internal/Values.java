package dev.opskit.sysctl.internal;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** Validation and comparison of sysctl values. Not part of the public API. */
public final class Values {
  /** Longest accepted value, in characters. */
  public static final int MAX_LENGTH = 4096;

  private static final Pattern WHITESPACE = Pattern.compile("[ \\t]+");
  private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

  private Values() {}

  /**
   * Checks a value for use in a profile or a rendered file: one line, no control characters but
   * tab, at most {@link #MAX_LENGTH} characters.
   */
  public static void check(String what, String value) {
    if (value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          what
              + " is "
              + value.length()
              + " characters long; values are limited to "
              + MAX_LENGTH
              + " characters");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\n' || c == '\r') {
        throw new IllegalArgumentException(
            what + " " + quote(value) + " must not contain a line break (at index " + i + ")");
      }
      if (c != '\t' && (Character.isISOControl(c) || c == '\u2028' || c == '\u2029')) {
        throw new IllegalArgumentException(
            what
                + " "
                + quote(value)
                + " must not contain control characters (at index "
                + i
                + ")");
      }
      if (Character.isSurrogate(c)) {
        boolean paired =
            Character.isHighSurrogate(c)
                && i + 1 < value.length()
                && Character.isLowSurrogate(value.charAt(i + 1));
        if (!paired) {
          throw new IllegalArgumentException(
              what + " has an unpaired UTF-16 surrogate at index " + i);
        }
        i++;
      }
    }
    if (!value.equals(value.strip())) {
      throw new IllegalArgumentException(
          what + " " + quote(value) + " must not start or end with whitespace");
    }
  }

  /**
   * Checks a folder on the target: absolute, no line break or NUL.
   *
   * @return the folder, unchanged
   */
  public static String absoluteDirectory(String what, String directory) {
    if (!directory.startsWith("/")) {
      throw new IllegalArgumentException(
          what + " " + quote(directory) + " must be an absolute path");
    }
    if (directory.indexOf('\n') >= 0
        || directory.indexOf('\r') >= 0
        || directory.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          what + " " + quote(directory) + " must not hold line breaks or NUL");
    }
    return directory;
  }

  /** {@code directory} and {@code name} joined by exactly one slash. */
  public static String join(String directory, String name) {
    return (directory.endsWith("/") ? directory : directory + "/") + name;
  }

  /** The value with runs of spaces and tabs collapsed to one space and the ends stripped. */
  public static String normalize(String value) {
    return WHITESPACE.matcher(value.strip()).replaceAll(" ");
  }

  /** True when two values are equal after {@link #normalize(String) normalising} whitespace. */
  public static boolean same(String a, String b) {
    return normalize(a).equals(normalize(b));
  }

  /** The value as one integer, when it is exactly one (sign and digits only). */
  public static Optional<BigInteger> integer(String value) {
    String text = value.strip();
    return INTEGER.matcher(text).matches() ? Optional.of(new BigInteger(text)) : Optional.empty();
  }

  /** The whitespace-separated fields of the value. */
  public static List<String> fields(String value) {
    String normal = normalize(value);
    return normal.isEmpty() ? List.of() : List.of(normal.split(" "));
  }

  /** The value quoted for an error message: shortened, line breaks escaped. */
  public static String quote(String value) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
    return "'" + shown.replace("\n", "\\n").replace("\r", "\\r").replace("\0", "\\0") + "'";
  }
}
