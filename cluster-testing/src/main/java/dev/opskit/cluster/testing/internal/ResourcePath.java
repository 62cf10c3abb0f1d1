package dev.opskit.cluster.testing.internal;

import java.util.Arrays;
import java.util.List;

/**
 * A Kubernetes REST path split into its parts: {@code /api/v1/namespaces/ns/pods/name/exec} or
 * {@code /apis/apps/v1/namespaces/ns/daemonsets}. {@link #plural} is null for discovery paths.
 *
 * @param group API group, empty for the core group
 * @param version API version
 * @param namespace namespace, or null for cluster-scoped and all-namespaces paths
 * @param plural resource plural, or null for the group-version root
 * @param name object name, or null for collections
 * @param subresource subresource such as {@code status} or {@code exec}, or null
 */
public record ResourcePath(
    String group,
    String version,
    String namespace,
    String plural,
    String name,
    String subresource) {

  /** Parses a path without query; null when it is not under {@code /api} or {@code /apis}. */
  public static ResourcePath parse(String path) {
    List<String> segments = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    if (segments.isEmpty()) {
      return null;
    }
    String group;
    String version;
    int rest;
    if (segments.get(0).equals("api") && segments.size() >= 2) {
      group = "";
      version = segments.get(1);
      rest = 2;
    } else if (segments.get(0).equals("apis") && segments.size() >= 3) {
      group = segments.get(1);
      version = segments.get(2);
      rest = 3;
    } else {
      return null;
    }
    List<String> tail = segments.subList(rest, segments.size());
    if (tail.isEmpty()) {
      return new ResourcePath(group, version, null, null, null, null);
    }
    if (tail.get(0).equals("namespaces") && tail.size() >= 3) {
      return new ResourcePath(
          group,
          version,
          tail.get(1),
          tail.get(2),
          tail.size() > 3 ? tail.get(3) : null,
          tail.size() > 4 ? tail.get(4) : null);
    }
    return new ResourcePath(
        group,
        version,
        null,
        tail.get(0),
        tail.size() > 1 ? tail.get(1) : null,
        tail.size() > 2 ? tail.get(2) : null);
  }

  /** {@code v1} or {@code group/version}. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** The collection path of this resource in its namespace (no name, no subresource). */
  public String collectionPath() {
    String prefix = group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
    return namespace == null
        ? prefix + "/" + plural
        : prefix + "/namespaces/" + namespace + "/" + plural;
  }

  /** The object path (collection path plus name). */
  public String objectPath() {
    return collectionPath() + "/" + name;
  }
}
