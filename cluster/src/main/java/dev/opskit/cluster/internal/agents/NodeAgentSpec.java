package dev.opskit.cluster.internal.agents;

import io.kubernetes.client.custom.Quantity;
import io.kubernetes.client.openapi.models.V1Affinity;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1DaemonSetSpec;
import io.kubernetes.client.openapi.models.V1LabelSelector;
import io.kubernetes.client.openapi.models.V1NodeAffinity;
import io.kubernetes.client.openapi.models.V1NodeSelector;
import io.kubernetes.client.openapi.models.V1NodeSelectorRequirement;
import io.kubernetes.client.openapi.models.V1NodeSelectorTerm;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1PodTemplateSpec;
import io.kubernetes.client.openapi.models.V1ResourceRequirements;
import io.kubernetes.client.openapi.models.V1SecurityContext;
import io.kubernetes.client.openapi.models.V1Toleration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The DaemonSet that puts one agent pod on each selected node, and the labels that find it. */
public final class NodeAgentSpec {
  /** The agent container's name. */
  public static final String CONTAINER = "agent";

  /** Label on every agent DaemonSet and pod. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  /** Label on every agent DaemonSet and pod. */
  public static final String COMPONENT = "app.kubernetes.io/component";

  /** Label whose value is one deployment's id. */
  public static final String RUN = "opskit.dev/node-agents";

  /** Annotation with the instant after which any later deployment may delete the DaemonSet. */
  public static final String EXPIRES = "opskit.dev/expires-at";

  /** Selects every agent DaemonSet opskit created. */
  public static final String ALL_AGENTS = MANAGED_BY + "=opskit," + COMPONENT + "=node-agent";

  private NodeAgentSpec() {}

  /** The DaemonSet named {@code name} with agents on exactly {@code nodes}. */
  public static V1DaemonSet daemonSet(
      String name,
      String namespace,
      String run,
      String image,
      List<String> nodes,
      Instant expires) {
    Map<String, String> labels = Map.of(MANAGED_BY, "opskit", COMPONENT, "node-agent", RUN, run);
    return new V1DaemonSet()
        .apiVersion("apps/v1")
        .kind("DaemonSet")
        .metadata(
            new V1ObjectMeta()
                .name(name)
                .namespace(namespace)
                .labels(labels)
                .annotations(Map.of(EXPIRES, expires.toString())))
        .spec(
            new V1DaemonSetSpec()
                .selector(new V1LabelSelector().matchLabels(Map.of(RUN, run)))
                .template(
                    new V1PodTemplateSpec()
                        .metadata(new V1ObjectMeta().labels(labels))
                        .spec(podSpec(image, nodes))));
  }

  private static V1PodSpec podSpec(String image, List<String> nodes) {
    return new V1PodSpec()
        .hostPID(true)
        .hostNetwork(true)
        .hostIPC(true)
        .automountServiceAccountToken(false)
        .terminationGracePeriodSeconds(0L)
        .addTolerationsItem(new V1Toleration().operator("Exists"))
        .affinity(
            new V1Affinity()
                .nodeAffinity(
                    new V1NodeAffinity()
                        .requiredDuringSchedulingIgnoredDuringExecution(
                            new V1NodeSelector()
                                .addNodeSelectorTermsItem(
                                    new V1NodeSelectorTerm()
                                        .addMatchFieldsItem(
                                            new V1NodeSelectorRequirement()
                                                .key("metadata.name")
                                                .operator("In")
                                                .values(List.copyOf(nodes)))))))
        .addContainersItem(
            new V1Container()
                .name(CONTAINER)
                .image(image)
                .command(List.of("sleep", "2147483647"))
                .securityContext(new V1SecurityContext().privileged(true))
                .resources(
                    new V1ResourceRequirements()
                        .requests(
                            Map.of(
                                "cpu", Quantity.fromString("10m"),
                                "memory", Quantity.fromString("16Mi")))));
  }
}
