package dev.opskit.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.opskit.cluster.internal.calico.CalicoPlanner;
import dev.opskit.cluster.internal.calico.JsonCall;
import dev.opskit.cluster.internal.calico.LocalJsonPatch;
import dev.opskit.core.OpskitException;
import dev.opskit.core.internal.OpskitStyle;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.CustomObjectsApi;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * Sets how calico-node picks each node's address: {@code IP_AUTODETECTION_METHOD} and {@code
 * IP6_AUTODETECTION_METHOD} on the calico-node DaemonSet, as the seed note's {@code
 * interface=eth0|en0|en2} does by hand.
 *
 * <pre>{@code
 * CalicoAutodetection calico = CalicoAutodetection.builder(client)
 *     .ipv4(CalicoAutodetectionMethod.interfaces("^eth0$", "^en[02]$"))
 *     .build();
 * CalicoAutodetectionPlan plan = calico.plan();
 * System.out.print(plan.render());
 * CalicoAutodetectionResult result = calico.apply(plan);
 * }</pre>
 *
 * <p>The DaemonSet is looked up in {@link #namespaces()} in order ({@code kube-system}, then {@code
 * calico-system}). Apply sends a JSON patch whose {@code test} operations pin the resourceVersion
 * the plan saw, so a DaemonSet changed in between is never overwritten (the API answers with an
 * error and nothing changes; plan again). Every entry of a variable defined more than once is
 * replaced by one (the container sees the last definition), and verifying reads that effective
 * value. A method calico-node would not read (an IPv6 method while {@code IP6} is not {@code
 * autodetect}, an IPv4 method under a fixed {@code IP}) is refused unless {@link #force()} is set.
 * When an {@code operator.tigera.io/v1 Installation} exists, or the DaemonSet has an ownerReference
 * to a Tigera operator object (even one that is gone), the Tigera operator owns the DaemonSet and
 * reverts edits: the plan says so and {@link #apply} throws {@link CalicoOperatorManagedException}
 * carrying the equivalent change to the Installation's {@code
 * spec.calicoNetwork.nodeAddressAutodetectionV4}. Objects are read as generic JSON, so fields newer
 * than this client never break it. Safe for concurrent use.
 */
@Value.Immutable
@OpskitStyle
public abstract class CalicoAutodetection {
  CalicoAutodetection() {}

  /**
   * A builder for a change made through {@code client} (owned by the caller); at least one of IPv4
   * and IPv6 method is required.
   */
  public static Builder builder(ApiClient client) {
    return new Builder().apiClient(client);
  }

  /** The client; owned by the caller. */
  public abstract ApiClient apiClient();

  /** The IPv4 method ({@code IP_AUTODETECTION_METHOD}); unchanged when empty. */
  public abstract Optional<CalicoAutodetectionMethod> ipv4();

  /** The IPv6 method ({@code IP6_AUTODETECTION_METHOD}); unchanged when empty. */
  public abstract Optional<CalicoAutodetectionMethod> ipv6();

  /** Namespaces to look for the DaemonSet in, in order. */
  @Value.Default
  public List<String> namespaces() {
    return List.of("kube-system", "calico-system");
  }

  /** The DaemonSet's name. */
  @Value.Default
  public String daemonSet() {
    return "calico-node";
  }

  /** The container whose environment is changed. */
  @Value.Default
  public String container() {
    return "calico-node";
  }

  /**
   * Whether {@link #apply} writes a plan whose methods would have no effect ({@link
   * CalicoAutodetectionPlan#ineffective()}), for example an IPv6 method before {@code
   * IP6=autodetect} is set; false by default.
   */
  @Value.Default
  public boolean force() {
    return false;
  }

  /**
   * Observes the DaemonSet and the operator's Installation and plans the change; no writes.
   *
   * @throws OpskitException when no DaemonSet is found and no operator manages Calico
   * @throws IOException when the API cannot be reached
   */
  public CalicoAutodetectionPlan plan() throws IOException {
    Optional<String> installation = operatorInstallation();
    for (String namespace : namespaces()) {
      Optional<JsonObject> found = readDaemonSet(namespace);
      if (found.isPresent()) {
        Optional<String> owner =
            installation.isPresent() ? installation : CalicoPlanner.operatorOwner(found.get());
        return CalicoPlanner.plan(found.get(), container(), ipv4(), ipv6(), owner);
      }
    }
    if (installation.isPresent()) {
      return CalicoAutodetectionPlan.builder()
          .namespace("calico-system")
          .daemonSet(daemonSet())
          .resourceVersion("")
          .jsonPatch("[]")
          .operatorInstallation(installation)
          .installationPatch(CalicoPlanner.installationPatch(ipv4(), ipv6()))
          .build();
    }
    throw new OpskitException(
        "no DaemonSet '" + daemonSet() + "' in " + namespaces() + " and no Tigera Installation");
  }

  /**
   * Applies a plan made by {@link #plan()}, then observes again to verify.
   *
   * @throws CalicoOperatorManagedException when the operator manages Calico
   * @throws IllegalStateException when a method would have no effect and {@link #force()} is off
   * @throws ClusterRequestException when the API refuses the update, with 409 when the DaemonSet
   *     changed after the plan was made (plan again)
   * @throws IOException when the API cannot be reached
   */
  public CalicoAutodetectionResult apply(CalicoAutodetectionPlan plan) throws IOException {
    if (plan.operatorManaged()) {
      throw new CalicoOperatorManagedException(
          plan.operatorInstallation().orElseThrow(), plan.installationPatch().orElse("{}"));
    }
    if (!plan.ineffective().isEmpty() && !force()) {
      throw new IllegalStateException(
          "refusing to set a method calico-node would not read: "
              + String.join("; ", plan.ineffective())
              + " (or force the change)");
    }
    if (plan.isEmpty()) {
      return CalicoAutodetectionResult.builder()
          .plan(plan)
          .changed(false)
          .resourceVersion(plan.resourceVersion())
          .verified(true)
          .build();
    }
    AppsV1Api api = new AppsV1Api(apiClient());
    JsonObject current =
        readDaemonSet(plan.namespace())
            .orElseThrow(
                () ->
                    new OpskitException(
                        "daemonset " + plan.namespace() + "/" + plan.daemonSet() + " vanished"));
    Optional<String> owner = CalicoPlanner.operatorOwner(current);
    if (owner.isPresent()) {
      throw new CalicoOperatorManagedException(
          owner.get(), CalicoPlanner.installationPatch(ipv4(), ipv6()));
    }
    JsonObject metadata = current.getAsJsonObject("metadata");
    metadata.addProperty("resourceVersion", plan.resourceVersion());
    try {
      LocalJsonPatch.apply(current, plan.jsonPatch());
    } catch (IllegalStateException e) {
      throw new ClusterRequestException(
          "PUT daemonset " + plan.namespace() + "/" + plan.daemonSet(),
          409,
          "the DaemonSet changed since the plan was made (" + e.getMessage() + "); plan again");
    }
    JsonCall.execute(
        apiClient(),
        () ->
            api.replaceNamespacedDaemonSet(plan.daemonSet(), plan.namespace(), new V1DaemonSet())
                .buildCall(null),
        null,
        current.toString().getBytes(StandardCharsets.UTF_8));
    JsonObject after =
        readDaemonSet(plan.namespace())
            .orElseThrow(
                () ->
                    new OpskitException(
                        "daemonset " + plan.namespace() + "/" + plan.daemonSet() + " vanished"));
    CalicoAutodetectionPlan check =
        CalicoPlanner.plan(after, container(), ipv4(), ipv6(), Optional.empty());
    return CalicoAutodetectionResult.builder()
        .plan(plan)
        .changed(true)
        .resourceVersion(check.resourceVersion())
        .verified(check.isEmpty())
        .build();
  }

  /** Plans and applies in one step. */
  public CalicoAutodetectionResult apply() throws IOException {
    return apply(plan());
  }

  private Optional<JsonObject> readDaemonSet(String namespace) throws IOException {
    AppsV1Api api = new AppsV1Api(apiClient());
    return JsonCall.find(
        apiClient(), () -> api.readNamespacedDaemonSet(daemonSet(), namespace).buildCall(null));
  }

  private Optional<String> operatorInstallation() throws IOException {
    CustomObjectsApi api = new CustomObjectsApi(apiClient());
    Optional<JsonObject> list =
        JsonCall.find(
            apiClient(),
            () ->
                api.listClusterCustomObject("operator.tigera.io", "v1", "installations")
                    .buildCall(null));
    if (list.isEmpty()) {
      return Optional.empty();
    }
    JsonElement items = list.get().get("items");
    if (items == null || !items.isJsonArray()) {
      return Optional.empty();
    }
    JsonArray array = items.getAsJsonArray();
    for (JsonElement item : array) {
      if (item.isJsonObject()) {
        Optional<String> name = JsonCall.string(item.getAsJsonObject(), "metadata", "name");
        if (name.isPresent()) {
          return name;
        }
      }
    }
    return Optional.empty();
  }

  @Value.Check
  void check() {
    if (ipv4().isEmpty() && ipv6().isEmpty()) {
      throw new IllegalArgumentException("set an ipv4 or an ipv6 autodetection method (or both)");
    }
    ipv4()
        .ifPresent(
            m -> {
              if (!m.fitsFamily(false)) {
                throw new IllegalArgumentException(
                    "ipv4 autodetection method '" + m + "' names an IPv6 address");
              }
            });
    ipv6()
        .ifPresent(
            m -> {
              if (!m.fitsFamily(true)) {
                throw new IllegalArgumentException(
                    "ipv6 autodetection method '" + m + "' names an IPv4 address");
              }
            });
    if (namespaces().isEmpty()) {
      throw new IllegalArgumentException("namespaces must not be empty");
    }
  }

  /** Builds a {@link CalicoAutodetection}. */
  public static final class Builder extends ImmutableCalicoAutodetection.Builder {
    Builder() {}
  }
}
