package dev.opskit.sysctl.internal;

/**
 * glob(7) matching of one path segment: {@code *}, {@code ?} and bracket expressions ({@code
 * [abc]}, {@code [a-z]}, {@code [!a]} or {@code [^a]}). A {@code [} without its closing {@code ]}
 * matches itself. Not part of the public API.
 */
public final class Glob {
  private Glob() {}

  /** True when {@code segment} holds a character glob(7) treats specially. */
  public static boolean isPattern(String segment) {
    return segment.indexOf('*') >= 0 || segment.indexOf('?') >= 0 || segment.indexOf('[') >= 0;
  }

  /** True when {@code pattern} matches all of {@code text}. */
  public static boolean matches(String pattern, String text) {
    return matches(pattern, 0, text, 0);
  }

  private static boolean matches(String pattern, int p, String text, int t) {
    while (p < pattern.length()) {
      char c = pattern.charAt(p);
      if (c == '*') {
        while (p < pattern.length() && pattern.charAt(p) == '*') {
          p++;
        }
        if (p == pattern.length()) {
          return true;
        }
        for (int i = t; i <= text.length(); i++) {
          if (matches(pattern, p, text, i)) {
            return true;
          }
        }
        return false;
      }
      if (t >= text.length()) {
        return false;
      }
      if (c == '?') {
        p++;
        t++;
        continue;
      }
      if (c == '[') {
        int end = closing(pattern, p);
        if (end > 0) {
          if (!inBracket(pattern, p + 1, end, text.charAt(t))) {
            return false;
          }
          p = end + 1;
          t++;
          continue;
        }
      }
      if (c != text.charAt(t)) {
        return false;
      }
      p++;
      t++;
    }
    return t == text.length();
  }

  /** The index of the {@code ]} closing the bracket expression at {@code open}, or -1. */
  private static int closing(String pattern, int open) {
    int i = open + 1;
    if (i < pattern.length() && (pattern.charAt(i) == '!' || pattern.charAt(i) == '^')) {
      i++;
    }
    if (i < pattern.length() && pattern.charAt(i) == ']') {
      i++;
    }
    int end = pattern.indexOf(']', i);
    return end;
  }

  private static boolean inBracket(String pattern, int from, int end, char c) {
    boolean negate = pattern.charAt(from) == '!' || pattern.charAt(from) == '^';
    int i = negate ? from + 1 : from;
    boolean found = false;
    boolean first = true;
    while (i < end) {
      char low = pattern.charAt(i);
      if (!first && low == ']') {
        break;
      }
      first = false;
      if (i + 2 < end && pattern.charAt(i + 1) == '-') {
        char high = pattern.charAt(i + 2);
        if (c >= low && c <= high) {
          found = true;
        }
        i += 3;
      } else {
        if (c == low) {
          found = true;
        }
        i++;
      }
    }
    return found != negate;
  }
}
