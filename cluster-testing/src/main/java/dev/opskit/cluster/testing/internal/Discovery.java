package dev.opskit.cluster.testing.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** The discovery documents ({@code /api}, {@code /apis}, {@code /api/v1}, …) the fixture serves. */
public final class Discovery {
  /** One served resource type. */
  public record Resource(
      String group, String version, String kind, String plural, boolean namespaced) {
    String apiVersion() {
      return group.isEmpty() ? version : group + "/" + version;
    }
  }

  private static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  private final List<Resource> resources = new CopyOnWriteArrayList<>();

  /** Discovery with the built-in core, apps and batch resources. */
  public Discovery() {
    core("Pod", "pods", true);
    core("Namespace", "namespaces", false);
    core("Node", "nodes", false);
    core("ConfigMap", "configmaps", true);
    core("Secret", "secrets", true);
    core("Service", "services", true);
    core("ServiceAccount", "serviceaccounts", true);
    core("Event", "events", true);
    core("Endpoints", "endpoints", true);
    core("PersistentVolumeClaim", "persistentvolumeclaims", true);
    core("PersistentVolume", "persistentvolumes", false);
    add(new Resource("apps", "v1", "Deployment", "deployments", true));
    add(new Resource("apps", "v1", "DaemonSet", "daemonsets", true));
    add(new Resource("apps", "v1", "ReplicaSet", "replicasets", true));
    add(new Resource("apps", "v1", "StatefulSet", "statefulsets", true));
    add(new Resource("batch", "v1", "Job", "jobs", true));
    add(new Resource("batch", "v1", "CronJob", "cronjobs", true));
    add(
        new Resource(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false));
  }

  private void core(String kind, String plural, boolean namespaced) {
    add(new Resource("", "v1", kind, plural, namespaced));
  }

  /** Adds a resource type (for example a custom resource). */
  public void add(Resource resource) {
    resources.add(resource);
  }

  /** The resource type served at this group, version and plural, if any. */
  public Optional<Resource> find(String group, String version, String plural) {
    return resources.stream()
        .filter(
            r ->
                r.group().equals(group) && r.version().equals(version) && r.plural().equals(plural))
        .findFirst();
  }

  /** {@code /api}. */
  public String coreVersions(String serverAddress) {
    JsonObject root = new JsonObject();
    root.addProperty("kind", "APIVersions");
    JsonArray versions = new JsonArray();
    versions.add("v1");
    root.add("versions", versions);
    JsonArray addresses = new JsonArray();
    JsonObject address = new JsonObject();
    address.addProperty("clientCIDR", "0.0.0.0/0");
    address.addProperty("serverAddress", serverAddress);
    addresses.add(address);
    root.add("serverAddressByClientCIDRs", addresses);
    return root.toString();
  }

  /** {@code /apis}. */
  public String groups() {
    Map<String, List<String>> byGroup = new TreeMap<>();
    for (Resource r : resources) {
      if (!r.group().isEmpty()) {
        List<String> versions = byGroup.computeIfAbsent(r.group(), g -> new ArrayList<>());
        if (!versions.contains(r.version())) {
          versions.add(r.version());
        }
      }
    }
    JsonObject root = new JsonObject();
    root.addProperty("kind", "APIGroupList");
    root.addProperty("apiVersion", "v1");
    JsonArray groups = new JsonArray();
    byGroup.forEach(
        (group, versions) -> {
          JsonObject g = new JsonObject();
          g.addProperty("name", group);
          JsonArray vs = new JsonArray();
          for (String v : versions) {
            vs.add(groupVersion(group, v));
          }
          g.add("versions", vs);
          g.add("preferredVersion", groupVersion(group, versions.get(0)));
          groups.add(g);
        });
    root.add("groups", groups);
    return root.toString();
  }

  private static JsonObject groupVersion(String group, String version) {
    JsonObject gv = new JsonObject();
    gv.addProperty("groupVersion", group + "/" + version);
    gv.addProperty("version", version);
    return gv;
  }

  /** {@code /api/v1} or {@code /apis/GROUP/VERSION}; empty when nothing is served there. */
  public Optional<String> resourceList(String group, String version) {
    JsonArray list = new JsonArray();
    String groupVersion = group.isEmpty() ? version : group + "/" + version;
    for (Resource r : resources) {
      if (r.group().equals(group) && r.version().equals(version)) {
        JsonObject resource = new JsonObject();
        resource.addProperty("name", r.plural());
        resource.addProperty("singularName", r.kind().toLowerCase(Locale.ROOT));
        resource.addProperty("namespaced", r.namespaced());
        resource.addProperty("kind", r.kind());
        JsonArray verbs = new JsonArray();
        VERBS.forEach(verbs::add);
        resource.add("verbs", verbs);
        list.add(resource);
        if (r.plural().equals("pods")) {
          list.add(subresource("pods/exec", "PodExecOptions", "create", "get"));
          list.add(subresource("pods/log", "Pod", "get"));
          list.add(subresource("pods/status", "Pod", "get", "patch", "update"));
        }
      }
    }
    if (list.isEmpty()) {
      return Optional.empty();
    }
    JsonObject root = new JsonObject();
    root.addProperty("kind", "APIResourceList");
    root.addProperty("apiVersion", "v1");
    root.addProperty("groupVersion", groupVersion);
    root.add("resources", list);
    return Optional.of(root.toString());
  }

  private static JsonObject subresource(String name, String kind, String... verbs) {
    JsonObject resource = new JsonObject();
    resource.addProperty("name", name);
    resource.addProperty("singularName", "");
    resource.addProperty("namespaced", true);
    resource.addProperty("kind", kind);
    JsonArray list = new JsonArray();
    for (String verb : verbs) {
      list.add(verb);
    }
    resource.add("verbs", list);
    return resource;
  }
}
