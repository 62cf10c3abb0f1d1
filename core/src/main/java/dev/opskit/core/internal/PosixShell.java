package dev.opskit.core.internal;

import java.util.List;
import java.util.regex.Pattern;

/** POSIX {@code sh} quoting: turns an argv into one string that a shell splits back exactly. */
public final class PosixShell {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private PosixShell() {}

  /** Quotes one word so that {@code sh} reads it back byte for byte, as a single word. */
  public static String quote(String word) {
    if (!word.isEmpty() && SAFE.matcher(word).matches()) {
      return word;
    }
    return quoteAlways(word);
  }

  /** Single-quotes {@code word} even when it needs no quotes, as a value never read otherwise. */
  public static String quoteAlways(String word) {
    return "'" + word.replace("'", "'\"'\"'") + "'";
  }

  /** Quotes every word and joins them with single spaces. */
  public static String join(List<String> words) {
    StringBuilder line = new StringBuilder();
    for (String word : words) {
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(quote(word));
    }
    return line.toString();
  }
}
