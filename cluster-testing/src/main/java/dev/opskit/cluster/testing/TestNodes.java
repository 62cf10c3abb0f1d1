package dev.opskit.cluster.testing;

import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeCondition;
import io.kubernetes.client.openapi.models.V1NodeSpec;
import io.kubernetes.client.openapi.models.V1NodeStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Taint;
import java.util.Map;

/**
 * Builds nodes to seed a {@link KubernetesApiFixture} with ({@link
 * KubernetesApiFixture#createNode}): Ready nodes with labels and taints.
 *
 * <pre>{@code
 * fixture.createNode(TestNodes.tainted(
 *     TestNodes.ready("worker-1", Map.of("pool", "web")), "dedicated", "db", "NoSchedule"));
 * }</pre>
 */
public final class TestNodes {
  private TestNodes() {}

  /** A Ready node with {@code kubernetes.io/hostname} and the given labels. */
  public static V1Node ready(String name, Map<String, String> labels) {
    V1Node node =
        new V1Node()
            .apiVersion("v1")
            .kind("Node")
            .metadata(new V1ObjectMeta().name(name).putLabelsItem("kubernetes.io/hostname", name))
            .spec(new V1NodeSpec())
            .status(
                new V1NodeStatus()
                    .addConditionsItem(
                        new V1NodeCondition().type("Ready").status("True").reason("KubeletReady")));
    labels.forEach(node.getMetadata()::putLabelsItem);
    return node;
  }

  /** {@code node} with one more taint ({@code value} may be null); returns the same node. */
  public static V1Node tainted(V1Node node, String key, String value, String effect) {
    node.getSpec().addTaintsItem(new V1Taint().key(key).value(value).effect(effect));
    return node;
  }
}
