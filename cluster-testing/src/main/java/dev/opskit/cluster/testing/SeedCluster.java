package dev.opskit.cluster.testing;

import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerState;
import io.kubernetes.client.openapi.models.V1ContainerStateRunning;
import io.kubernetes.client.openapi.models.V1ContainerStateTerminated;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1EphemeralContainer;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodCondition;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * The sample cluster {@link KubernetesApiFixture#seedRealisticCluster()} stores: 14 pods in four
 * namespaces, ages relative to now. Phases: 6 Running, 1 Pending, 1 Succeeded, 6 Failed.
 *
 * <table>
 *   <caption>Seeded pods</caption>
 *   <tr><th>namespace/name</th><th>state</th><th>owner</th><th>images</th></tr>
 *   <tr><td>shop/web-7c9f8d6b5-2xkqp</td><td>Running, node-a</td><td>ReplicaSet web-7c9f8d6b5</td>
 *       <td>init {@code busybox:1.36}, {@code nginx:1.27}</td></tr>
 *   <tr><td>shop/web-7c9f8d6b5-9mzt4</td><td>Running, node-b</td><td>ReplicaSet</td>
 *       <td>same, same digests</td></tr>
 *   <tr><td>shop/web-7c9f8d6b5-ev1ct</td><td>Failed, reason Evicted (memory), 3 h ago, node-b</td>
 *       <td>ReplicaSet</td><td>{@code nginx:1.27}</td></tr>
 *   <tr><td>shop/web-7c9f8d6b5-ev2ct</td><td>Failed, reason Evicted (ephemeral-storage), 20 min
 *       ago, node-a</td><td>ReplicaSet</td><td>{@code nginx:1.27}</td></tr>
 *   <tr><td>shop/cart-6d5b9c7f4-oomkd</td><td>Failed, container OOMKilled (137), 2 h ago,
 *       node-b</td><td>ReplicaSet</td><td>{@code registry.example.com/shop/cart:2.3.1}</td></tr>
 *   <tr><td>shop/debug-tools</td><td>Running, node-a, with ephemeral container
 *       {@code debugger-x7k2}</td><td>none</td><td>{@code nginx:latest}, ephemeral
 *       {@code busybox}</td></tr>
 *   <tr><td>shop/api-5f7d8c6b9-q4wz8</td><td>Running, node-b</td><td>ReplicaSet</td>
 *       <td>{@code ghcr.io/example/api@sha256:…} (by digest)</td></tr>
 *   <tr><td>batch/report-28193400-xk2lp</td><td>Succeeded (Completed), 1 h ago</td>
 *       <td>Job report-28193400</td><td>{@code busybox:1.36}</td></tr>
 *   <tr><td>batch/report-28193340-b7c2d</td><td>Failed, container Error (1), 4 h ago</td>
 *       <td>Job report-28193340</td><td>{@code busybox:1.36}</td></tr>
 *   <tr><td>kube-system/coredns-5d78c9869d-zt6xq</td><td>Running</td><td>ReplicaSet</td>
 *       <td>{@code registry.k8s.io/coredns/coredns:v1.11.1}</td></tr>
 *   <tr><td>kube-system/kube-proxy-7xq2n</td><td>Running</td><td>DaemonSet kube-proxy</td>
 *       <td>{@code registry.k8s.io/kube-proxy:v1.33.0}</td></tr>
 *   <tr><td>default/orphan-migrate</td><td>Failed, container Error (2), 6 h ago</td>
 *       <td>none</td><td>{@code busybox:1.36}</td></tr>
 *   <tr><td>default/pending-web</td><td>Pending, unscheduled</td><td>none</td>
 *       <td>{@code busybox:1.36}</td></tr>
 *   <tr><td>default/shutdown-victim</td><td>Failed, reason Shutdown, container Error (143), 5 h
 *       ago</td><td>none</td><td>{@code busybox:1.36}</td></tr>
 * </table>
 *
 * <p>Running web pods' {@code web} containers report {@code imageID} {@link #NGINX_DIGEST}; the
 * evicted ones never started a container that reported one.
 */
public final class SeedCluster {
  /** Digest reported for {@code nginx:1.27}. */
  public static final String NGINX_DIGEST =
      "sha256:6784fb0834aa7dbbe12e3d7471e69c290df3e6ba810dc38b34ae33d3c1c05f7d";

  /** Digest reported for {@code registry.example.com/shop/cart:2.3.1}. */
  public static final String CART_DIGEST =
      "sha256:0b5b8f1e3c1d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7";

  /** Digest the api pod is deployed by. */
  public static final String API_DIGEST =
      "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

  /** Names (namespace/name) of the Failed pods. */
  public static final List<String> FAILED =
      List.of(
          "shop/web-7c9f8d6b5-ev1ct",
          "shop/web-7c9f8d6b5-ev2ct",
          "shop/cart-6d5b9c7f4-oomkd",
          "batch/report-28193340-b7c2d",
          "default/orphan-migrate",
          "default/shutdown-victim");

  /** Names of the Failed pods not owned by a Job. */
  public static final List<String> FAILED_NOT_JOB =
      List.of(
          "shop/web-7c9f8d6b5-ev1ct",
          "shop/web-7c9f8d6b5-ev2ct",
          "shop/cart-6d5b9c7f4-oomkd",
          "default/orphan-migrate",
          "default/shutdown-victim");

  /** Total number of seeded pods. */
  public static final int POD_COUNT = 14;

  private SeedCluster() {}

  /** Fresh models of the seeded pods (ages relative to now). */
  public static List<V1Pod> pods() {
    return List.of(
        web("web-7c9f8d6b5-2xkqp", "node-a"),
        web("web-7c9f8d6b5-9mzt4", "node-b"),
        evictedWeb(
            "web-7c9f8d6b5-ev1ct",
            "node-b",
            "The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki."
                + " Container web was using 412Mi, request is 128Mi, has larger consumption of"
                + " memory.",
            Duration.ofHours(3)),
        evictedWeb(
            "web-7c9f8d6b5-ev2ct",
            "node-a",
            "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.",
            Duration.ofMinutes(20)),
        cart(),
        debugTools(),
        api(),
        TestPods.ownedBy(
            TestPods.labeled(
                TestPods.succeeded("batch", "report-28193400-xk2lp", Duration.ofHours(1)),
                "job-name",
                "report-28193400"),
            "Job",
            "report-28193400"),
        TestPods.ownedBy(
            TestPods.labeled(
                TestPods.failed("batch", "report-28193340-b7c2d", "Error", 1, Duration.ofHours(4)),
                "job-name",
                "report-28193340"),
            "Job",
            "report-28193340"),
        system(
            "coredns-5d78c9869d-zt6xq",
            "ReplicaSet",
            "coredns-5d78c9869d",
            "registry.k8s.io/coredns/coredns:v1.11.1",
            "sha256:a0ead06651cf580044aeb0a0feba63591858fb2e43ade8c9dea45a6a89ae7e5e"),
        system(
            "kube-proxy-7xq2n",
            "DaemonSet",
            "kube-proxy",
            "registry.k8s.io/kube-proxy:v1.33.0",
            "sha256:2f5b8d2c1b0f0d5a4b9e3c6f7a8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e"),
        TestPods.failed("default", "orphan-migrate", "Error", 2, Duration.ofHours(6)),
        TestPods.pending("default", "pending-web"),
        shutdown());
  }

  private static V1Pod web(String name, String node) {
    V1Pod pod = TestPods.onNode(TestPods.running("shop", name, Duration.ofDays(2)), node);
    webShape(pod);
    OffsetDateTime started = pod.getStatus().getStartTime();
    pod.getStatus()
        .getContainerStatuses()
        .get(0)
        .name("web")
        .image("docker.io/library/nginx:1.27")
        .imageID("docker.io/library/nginx@" + NGINX_DIGEST);
    pod.getStatus()
        .addInitContainerStatusesItem(
            new V1ContainerStatus()
                .name("init-config")
                .image(TestPods.IMAGE)
                .imageID(TestPods.IMAGE_ID)
                .ready(true)
                .restartCount(0)
                .state(
                    new V1ContainerState()
                        .terminated(
                            new V1ContainerStateTerminated()
                                .reason("Completed")
                                .exitCode(0)
                                .startedAt(started)
                                .finishedAt(started.plusSeconds(3)))));
    return pod;
  }

  private static void webShape(V1Pod pod) {
    TestPods.ownedBy(pod, "ReplicaSet", "web-7c9f8d6b5");
    TestPods.labeled(pod, "app", "web");
    TestPods.labeled(pod, "pod-template-hash", "7c9f8d6b5");
    pod.getSpec().getContainers().get(0).name("web").image("nginx:1.27");
    pod.getSpec()
        .addInitContainersItem(
            new V1Container()
                .name("init-config")
                .image("busybox:1.36")
                .command(List.of("sh", "-c", "cp /config/* /work/")));
  }

  private static V1Pod evictedWeb(String name, String node, String message, Duration ago) {
    V1Pod pod = TestPods.onNode(TestPods.evicted("shop", name, message, ago), node);
    webShape(pod);
    pod.getStatus().getContainerStatuses().get(0).name("web").image("nginx:1.27").imageID("");
    return pod;
  }

  private static V1Pod cart() {
    V1Pod pod =
        TestPods.onNode(
            TestPods.oomKilled("shop", "cart-6d5b9c7f4-oomkd", Duration.ofHours(2)), "node-b");
    TestPods.ownedBy(pod, "ReplicaSet", "cart-6d5b9c7f4");
    TestPods.labeled(pod, "app", "cart");
    pod.getSpec().getContainers().get(0).name("cart").image("registry.example.com/shop/cart:2.3.1");
    pod.getStatus()
        .getContainerStatuses()
        .get(0)
        .name("cart")
        .image("registry.example.com/shop/cart:2.3.1")
        .imageID("registry.example.com/shop/cart@" + CART_DIGEST);
    return pod;
  }

  private static V1Pod debugTools() {
    V1Pod pod = TestPods.running("shop", "debug-tools", Duration.ofHours(5));
    TestPods.labeled(pod, "app", "debug");
    pod.getSpec().getContainers().get(0).image("nginx:latest");
    pod.getStatus()
        .getContainerStatuses()
        .get(0)
        .image("docker.io/library/nginx:latest")
        .imageID("docker.io/library/nginx@" + NGINX_DIGEST);
    pod.getSpec()
        .addEphemeralContainersItem(
            new V1EphemeralContainer()
                .name("debugger-x7k2")
                .image("busybox")
                .targetContainerName("app")
                .stdin(true)
                .tty(true));
    pod.getStatus()
        .addEphemeralContainerStatusesItem(
            new V1ContainerStatus()
                .name("debugger-x7k2")
                .image("docker.io/library/busybox:latest")
                .imageID(TestPods.IMAGE_ID)
                .ready(false)
                .restartCount(0)
                .state(
                    new V1ContainerState()
                        .running(
                            new V1ContainerStateRunning()
                                .startedAt(TestPods.ago(Duration.ofMinutes(30))))));
    return pod;
  }

  private static V1Pod api() {
    V1Pod pod =
        TestPods.onNode(
            TestPods.running("shop", "api-5f7d8c6b9-q4wz8", Duration.ofDays(1)), "node-b");
    TestPods.ownedBy(pod, "ReplicaSet", "api-5f7d8c6b9");
    TestPods.labeled(pod, "app", "api");
    String reference = "ghcr.io/example/api@" + API_DIGEST;
    pod.getSpec().getContainers().get(0).name("api").image(reference);
    pod.getStatus().getContainerStatuses().get(0).name("api").image(reference).imageID(reference);
    return pod;
  }

  private static V1Pod system(
      String name, String ownerKind, String owner, String image, String digest) {
    V1Pod pod = TestPods.running("kube-system", name, Duration.ofDays(30));
    TestPods.ownedBy(pod, ownerKind, owner);
    pod.getSpec().getContainers().get(0).image(image);
    String repository = image.substring(0, image.lastIndexOf(':'));
    pod.getStatus().getContainerStatuses().get(0).image(image).imageID(repository + "@" + digest);
    return pod;
  }

  private static V1Pod shutdown() {
    V1Pod pod = TestPods.failed("default", "shutdown-victim", "Error", 143, Duration.ofHours(5));
    pod.getStatus()
        .reason("Shutdown")
        .message("Pod was terminated in response to imminent node shutdown.")
        .addConditionsItem(
            new V1PodCondition()
                .type("DisruptionTarget")
                .status("True")
                .reason("TerminationByKubelet")
                .lastTransitionTime(TestPods.ago(Duration.ofHours(5))));
    return pod;
  }
}
