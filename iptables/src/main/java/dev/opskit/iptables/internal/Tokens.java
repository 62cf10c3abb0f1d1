package dev.opskit.iptables.internal;

import java.util.ArrayList;
import java.util.List;

/** Splits and quotes rule text the way iptables-save and iptables-restore do. */
public final class Tokens {
  private Tokens() {}

  /**
   * Splits a rule line into tokens as written: a double-quoted token keeps its quotes and backslash
   * escapes, so that raw segments render byte for byte.
   *
   * @throws IllegalArgumentException on an unterminated quote
   */
  public static List<String> split(String line) {
    List<String> tokens = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (i < n) {
      char c = line.charAt(i);
      if (c == ' ' || c == '\t') {
        i++;
        continue;
      }
      int start = i;
      boolean quoted = false;
      while (i < n) {
        c = line.charAt(i);
        if (quoted) {
          if (c == '\\' && i + 1 < n) {
            i += 2;
            continue;
          }
          if (c == '"') {
            quoted = false;
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == ' ' || c == '\t') {
          break;
        }
        i++;
      }
      if (quoted) {
        throw new IllegalArgumentException("unterminated quote in: " + line);
      }
      tokens.add(line.substring(start, i));
    }
    return tokens;
  }

  /** The value of a token as written: quotes removed, backslash escapes resolved. */
  public static String unquote(String token) {
    if (token.indexOf('"') < 0) {
      return token;
    }
    StringBuilder out = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (quoted && c == '\\' && i + 1 < token.length()) {
        out.append(token.charAt(++i));
      } else if (c == '"') {
        quoted = !quoted;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * A value written as iptables-save writes comments and log prefixes: bare when it is a non-empty
   * run of letters, digits, {@code _} and {@code -}; otherwise in double quotes, with {@code "},
   * {@code \\} and {@code '} escaped by a backslash.
   */
  public static String quote(String value) {
    if (!value.isEmpty() && value.chars().allMatch(Tokens::isBare)) {
      return value;
    }
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\' || c == '\'') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append('"').toString();
  }

  private static boolean isBare(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '-';
  }
}
