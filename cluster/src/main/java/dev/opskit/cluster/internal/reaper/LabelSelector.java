package dev.opskit.cluster.internal.reaper;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Kubernetes label selector as the API server parses it: equality ({@code a=b}, {@code a==b},
 * {@code a!=b}), set-based ({@code a in (x,y)}, {@code a notin (x,y)}), existence ({@code a}) and
 * non-existence ({@code !a}), requirements joined by commas and all required to hold.
 */
public final class LabelSelector {
  private static final Pattern KEY =
      Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  private static final Pattern VALUE =
      Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");

  private enum Op {
    EQUALS,
    NOT_EQUALS,
    IN,
    NOT_IN,
    EXISTS,
    NOT_EXISTS
  }

  private record Requirement(String key, Op op, Set<String> values) {
    boolean matches(Map<String, String> labels) {
      String value = labels.get(key);
      switch (op) {
        case EQUALS:
        case IN:
          return value != null && values.contains(value);
        case NOT_EQUALS:
        case NOT_IN:
          return value == null || !values.contains(value);
        case EXISTS:
          return value != null;
        case NOT_EXISTS:
        default:
          return value == null;
      }
    }
  }

  private final List<Requirement> requirements;

  private LabelSelector(List<Requirement> requirements) {
    this.requirements = requirements;
  }

  /**
   * Parses a selector; an empty or null text selects everything.
   *
   * @throws IllegalArgumentException on a syntax error, naming the selector
   */
  public static LabelSelector parse(String text) {
    List<Requirement> requirements = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return new LabelSelector(requirements);
    }
    for (String part : splitTopLevel(text)) {
      requirements.add(parseRequirement(part.strip(), text));
    }
    return new LabelSelector(requirements);
  }

  /** True when every requirement holds for these labels. */
  public boolean matches(Map<String, String> labels) {
    for (Requirement requirement : requirements) {
      if (!requirement.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  /** True when the selector has no requirement. */
  public boolean isEmpty() {
    return requirements.isEmpty();
  }

  private static List<String> splitTopLevel(String text) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
        if (depth < 0) {
          throw invalid(text, "unbalanced ')'");
        }
      } else if (c == ',' && depth == 0) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    if (depth != 0) {
      throw invalid(text, "unbalanced '('");
    }
    parts.add(text.substring(start));
    return parts;
  }

  private static Requirement parseRequirement(String part, String whole) {
    if (part.isEmpty()) {
      throw invalid(whole, "empty requirement");
    }
    if (part.startsWith("!")) {
      return new Requirement(key(part.substring(1).strip(), whole), Op.NOT_EXISTS, Set.of());
    }
    int paren = part.indexOf('(');
    if (paren > 0) {
      String head = part.substring(0, paren).strip();
      if (!part.endsWith(")")) {
        throw invalid(whole, "set must end with ')'");
      }
      Op op;
      String key;
      if (head.endsWith(" notin")) {
        op = Op.NOT_IN;
        key = head.substring(0, head.length() - " notin".length()).strip();
      } else if (head.endsWith(" in")) {
        op = Op.IN;
        key = head.substring(0, head.length() - " in".length()).strip();
      } else {
        throw invalid(whole, "expected 'in' or 'notin' before '('");
      }
      Set<String> values = new LinkedHashSet<>();
      for (String v : part.substring(paren + 1, part.length() - 1).split(",", -1)) {
        values.add(value(v.strip(), whole));
      }
      return new Requirement(key(key, whole), op, values);
    }
    int notEquals = part.indexOf("!=");
    if (notEquals > 0) {
      return new Requirement(
          key(part.substring(0, notEquals).strip(), whole),
          Op.NOT_EQUALS,
          Set.of(value(part.substring(notEquals + 2).strip(), whole)));
    }
    int equals = part.indexOf('=');
    if (equals > 0) {
      int valueStart = part.startsWith("==", equals) ? equals + 2 : equals + 1;
      return new Requirement(
          key(part.substring(0, equals).strip(), whole),
          Op.EQUALS,
          Set.of(value(part.substring(valueStart).strip(), whole)));
    }
    return new Requirement(key(part, whole), Op.EXISTS, Set.of());
  }

  private static String key(String key, String whole) {
    if (key.length() > 316 || !KEY.matcher(key).matches()) {
      throw invalid(whole, "invalid label key '" + key + "'");
    }
    return key;
  }

  private static String value(String value, String whole) {
    if (value.length() > 63 || !VALUE.matcher(value).matches()) {
      throw invalid(whole, "invalid label value '" + value + "'");
    }
    return value;
  }

  private static IllegalArgumentException invalid(String selector, String why) {
    return new IllegalArgumentException(
        "unable to parse requirement in label selector '" + selector + "': " + why);
  }
}
