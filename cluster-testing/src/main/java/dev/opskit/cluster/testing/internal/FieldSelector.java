package dev.opskit.cluster.testing.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A Kubernetes field selector: {@code field=value}, {@code field==value} or {@code field!=value},
 * joined by commas. Only the fields the API server supports for a resource may be used; others are
 * rejected as the server rejects them.
 */
public final class FieldSelector {
  private static final Set<String> COMMON = Set.of("metadata.name", "metadata.namespace");
  private static final Map<String, Set<String>> SUPPORTED =
      Map.of(
          "pods",
          Set.of(
              "spec.nodeName",
              "spec.restartPolicy",
              "spec.schedulerName",
              "spec.serviceAccountName",
              "spec.hostNetwork",
              "status.phase",
              "status.podIP",
              "status.nominatedNodeName"),
          "nodes",
          Set.of("spec.unschedulable"),
          "secrets",
          Set.of("type"),
          "events",
          Set.of(
              "involvedObject.kind",
              "involvedObject.namespace",
              "involvedObject.name",
              "involvedObject.uid",
              "involvedObject.apiVersion",
              "involvedObject.resourceVersion",
              "involvedObject.fieldPath",
              "reason",
              "reportingComponent",
              "source",
              "type"));

  /** One {@code field op value} term. */
  public record Term(String field, boolean equals, String value) {}

  private final List<Term> terms;

  private FieldSelector(List<Term> terms) {
    this.terms = terms;
  }

  /**
   * Parses a selector for a resource (by plural name); null or empty selects everything.
   *
   * @throws IllegalArgumentException for a malformed term or a field the server does not support
   */
  public static FieldSelector parse(String text, String plural) {
    List<Term> terms = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return new FieldSelector(terms);
    }
    for (String part : text.split(",")) {
      String term = part.strip();
      int notEquals = term.indexOf("!=");
      int equals = term.indexOf('=');
      String field;
      String value;
      boolean isEquals;
      if (notEquals > 0) {
        field = term.substring(0, notEquals);
        value = term.substring(notEquals + 2);
        isEquals = false;
      } else if (equals > 0) {
        field = term.substring(0, equals);
        value = term.substring(term.startsWith("==", equals) ? equals + 2 : equals + 1);
        isEquals = true;
      } else {
        throw new IllegalArgumentException(
            "invalid selector: '" + text + "'; can't understand '" + term + "'");
      }
      field = field.strip();
      if (!supports(plural, field)) {
        throw new IllegalArgumentException(
            "field label not supported: " + field + " (for " + plural + ")");
      }
      terms.add(new Term(field, isEquals, value.strip()));
    }
    return new FieldSelector(terms);
  }

  /** True when the server supports selecting {@code plural} by {@code field}. */
  public static boolean supports(String plural, String field) {
    return COMMON.contains(field) || SUPPORTED.getOrDefault(plural, Set.of()).contains(field);
  }

  /** Every field the server supports in selectors for {@code plural}. */
  public static Set<String> supportedFields(String plural) {
    Set<String> fields = new HashSet<>(COMMON);
    fields.addAll(SUPPORTED.getOrDefault(plural, Set.of()));
    return fields;
  }

  /** The fields this selector reads. */
  public List<Term> terms() {
    return terms;
  }

  /** True when every term holds; {@code fields} maps a field path to its value ("" if unset). */
  public boolean matches(Function<String, String> fields) {
    for (Term term : terms) {
      String actual = fields.apply(term.field());
      boolean same = term.value().equals(actual == null ? "" : actual);
      if (same != term.equals()) {
        return false;
      }
    }
    return true;
  }

  /** True when the selector has no term. */
  public boolean isEmpty() {
    return terms.isEmpty();
  }
}
