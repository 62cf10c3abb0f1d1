package dev.opskit.cluster.testing.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A label selector as the API server reads the {@code labelSelector} query parameter: comma-joined
 * requirements that must all hold, each {@code key=value}, {@code key==value}, {@code key!=value},
 * {@code key in (a,b)}, {@code key notin (a,b)}, {@code key} (exists) or {@code !key} (absent). A
 * malformed selector is an {@link IllegalArgumentException}, which the fixture answers with 400.
 */
public final class LabelSelector {
  private static final String KEY =
      "(?:[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?";
  private static final String VALUE = "(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?";
  private static final Pattern ABSENT = Pattern.compile("!\\s*(" + KEY + ")");
  private static final Pattern EXISTS = Pattern.compile(KEY);
  private static final Pattern COMPARE =
      Pattern.compile("(" + KEY + ")\\s*(==|=|!=)\\s*(" + VALUE + ")");
  private static final Pattern SET =
      Pattern.compile(
          "("
              + KEY
              + ")\\s+(in|notin)\\s*\\(\\s*("
              + VALUE
              + "(?:\\s*,\\s*"
              + VALUE
              + ")*)\\s*\\)");

  private final List<Predicate<Map<String, String>>> requirements;

  private LabelSelector(List<Predicate<Map<String, String>>> requirements) {
    this.requirements = requirements;
  }

  /**
   * Reads a selector; null or blank selects everything.
   *
   * @throws IllegalArgumentException naming the selector when a requirement is malformed
   */
  public static LabelSelector parse(String text) {
    List<Predicate<Map<String, String>>> requirements = new ArrayList<>();
    if (text != null && !text.isBlank()) {
      for (String part : splitOutsideParentheses(text)) {
        requirements.add(requirement(part.strip(), text));
      }
    }
    return new LabelSelector(requirements);
  }

  /** True when every requirement holds for these labels. */
  public boolean matches(Map<String, String> labels) {
    return requirements.stream().allMatch(r -> r.test(labels));
  }

  /** True when the selector selects everything. */
  public boolean isEmpty() {
    return requirements.isEmpty();
  }

  private static Predicate<Map<String, String>> requirement(String part, String selector) {
    Matcher absent = ABSENT.matcher(part);
    if (absent.matches()) {
      String key = absent.group(1);
      return labels -> !labels.containsKey(key);
    }
    if (EXISTS.matcher(part).matches()) {
      return labels -> labels.containsKey(part);
    }
    Matcher compare = COMPARE.matcher(part);
    if (compare.matches()) {
      String key = compare.group(1);
      String value = compare.group(3);
      boolean equal = !compare.group(2).equals("!=");
      return labels -> value.equals(labels.get(key)) == equal;
    }
    Matcher set = SET.matcher(part);
    if (set.matches()) {
      String key = set.group(1);
      Set<String> values = new HashSet<>(Arrays.asList(set.group(3).split("\\s*,\\s*", -1)));
      boolean in = set.group(2).equals("in");
      // An absent label is in no set, so "notin" holds for it.
      return labels -> values.contains(labels.get(key)) == in;
    }
    throw new IllegalArgumentException(
        "unable to parse requirement '" + part + "' in label selector '" + selector + "'");
  }

  private static List<String> splitOutsideParentheses(String text) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      if (c == ',' && depth == 0) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(text.substring(start));
    return parts;
  }
}
