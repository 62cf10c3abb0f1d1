package dev.opskit.examples.cli;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * Which namespaces a cluster command covers: {@code -A} for all, {@code -n NS} (repeatable, or
 * comma-separated) for some, else the kubeconfig context's namespace, as kubectl does.
 */
final class ClusterScope {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "Every namespace.")
  boolean allNamespaces;

  @Option(
      names = {"-n", "--namespace"},
      paramLabel = "NS",
      split = ",",
      description = "A namespace (repeatable; default: the kubeconfig context's namespace).")
  List<String> namespaces = List.of();

  /**
   * The namespaces to cover; empty means every namespace.
   *
   * @throws IllegalArgumentException when {@code -A} and {@code -n} are both given or a name is not
   *     a namespace name
   */
  Set<String> resolve(String contextNamespace) {
    if (allNamespaces && !namespaces.isEmpty()) {
      throw new IllegalArgumentException(
          "-A (all namespaces) and -n " + String.join(",", namespaces) + " exclude each other");
    }
    if (allNamespaces) {
      return Set.of();
    }
    if (namespaces.isEmpty()) {
      return Set.of(contextNamespace);
    }
    Set<String> chosen = new TreeSet<>();
    for (String namespace : namespaces) {
      if (!DNS_LABEL.matcher(namespace).matches()) {
        throw new IllegalArgumentException(
            "namespace '" + namespace + "' is not a DNS-1123 label (a-z, 0-9, '-', at most 63)");
      }
      chosen.add(namespace);
    }
    return chosen;
  }
}
