package dev.opskit.cluster.testing;

import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerState;
import io.kubernetes.client.openapi.models.V1ContainerStateRunning;
import io.kubernetes.client.openapi.models.V1ContainerStateTerminated;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1OwnerReference;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodCondition;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1PodStatus;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Pods in typical states for tests, as client-java models you can adjust further with the models'
 * fluent setters before storing them with {@link KubernetesApiFixture#createPod}. Every pod has one
 * container {@code app} running {@code docker.io/library/busybox:1.36} on node {@code node-a}; ages
 * are relative to now.
 *
 * <pre>{@code
 * V1Pod pod = TestPods.failed("ci", "build-7", "Error", 2, Duration.ofHours(5));
 * TestPods.ownedBy(pod, "Job", "build");
 * fixture.createPod(pod);
 * }</pre>
 */
public final class TestPods {
  /** The container image of every pod made here. */
  public static final String IMAGE = "docker.io/library/busybox:1.36";

  /** The image digest reported as {@code imageID} for started containers. */
  public static final String IMAGE_ID =
      "docker.io/library/busybox@sha256:"
          + "768e5c6f5cb6db0794eec98dc7a967f40631746c32232b78a3105fb946f3ab83";

  private TestPods() {}

  /** A Running pod created {@code age} ago. */
  public static V1Pod running(String namespace, String name, Duration age) {
    OffsetDateTime created = ago(age);
    V1Pod pod = base(namespace, name, created);
    pod.getStatus()
        .phase("Running")
        .startTime(created)
        .addContainerStatusesItem(
            status()
                .ready(true)
                .started(true)
                .state(
                    new V1ContainerState()
                        .running(new V1ContainerStateRunning().startedAt(created))));
    pod.getStatus().addConditionsItem(condition("Ready", "True", created));
    return pod;
  }

  /** A Running pod created an hour ago. */
  public static V1Pod running(String namespace, String name) {
    return running(namespace, name, Duration.ofHours(1));
  }

  /** A Pending pod not yet scheduled (no node, no container status). */
  public static V1Pod pending(String namespace, String name) {
    V1Pod pod = base(namespace, name, ago(Duration.ofMinutes(5)));
    pod.getSpec().setNodeName(null);
    pod.getStatus().phase("Pending");
    pod.getStatus()
        .addConditionsItem(condition("PodScheduled", "False", ago(Duration.ofMinutes(5))));
    return pod;
  }

  /** A Succeeded pod whose container exited 0 ({@code Completed}) {@code finishedAgo} ago. */
  public static V1Pod succeeded(String namespace, String name, Duration finishedAgo) {
    return terminated(namespace, name, "Succeeded", "Completed", 0, finishedAgo);
  }

  /**
   * A Failed pod whose container terminated with {@code reason} and {@code exitCode} {@code
   * finishedAgo} ago (created ten minutes before that).
   */
  public static V1Pod failed(
      String namespace, String name, String reason, int exitCode, Duration finishedAgo) {
    return terminated(namespace, name, "Failed", reason, exitCode, finishedAgo);
  }

  /** A Failed pod whose container was {@code OOMKilled} (exit 137) {@code finishedAgo} ago. */
  public static V1Pod oomKilled(String namespace, String name, Duration finishedAgo) {
    return failed(namespace, name, "OOMKilled", 137, finishedAgo);
  }

  /**
   * A pod the kubelet evicted {@code evictedAgo} ago: phase Failed, {@code status.reason} Evicted
   * with {@code message}, a {@code DisruptionTarget} condition at that time, and a container that
   * was never seen terminating (no {@code finishedAt}), as kubelets report it.
   */
  public static V1Pod evicted(String namespace, String name, String message, Duration evictedAgo) {
    OffsetDateTime evicted = ago(evictedAgo);
    V1Pod pod = base(namespace, name, evicted.minusHours(1));
    pod.getStatus()
        .phase("Failed")
        .reason("Evicted")
        .message(message)
        .startTime(evicted.minusHours(1))
        .addConditionsItem(
            condition("DisruptionTarget", "True", evicted).reason("TerminationByKubelet"))
        .addContainerStatusesItem(
            status()
                .ready(false)
                .state(
                    new V1ContainerState()
                        .terminated(
                            new V1ContainerStateTerminated()
                                .reason("ContainerStatusUnknown")
                                .exitCode(137)
                                .message(
                                    "The container could not be located when the pod was terminated"))));
    return pod;
  }

  /**
   * Adds a controller owner reference of {@code kind} (Job, ReplicaSet, DaemonSet…) and returns the
   * pod.
   */
  public static V1Pod ownedBy(V1Pod pod, String kind, String ownerName) {
    String apiVersion =
        switch (kind) {
          case "Job", "CronJob" -> "batch/v1";
          case "ReplicaSet", "DaemonSet", "StatefulSet", "Deployment" -> "apps/v1";
          default -> "v1";
        };
    pod.getMetadata()
        .addOwnerReferencesItem(
            new V1OwnerReference()
                .apiVersion(apiVersion)
                .kind(kind)
                .name(ownerName)
                .uid(
                    UUID.nameUUIDFromBytes(
                            (kind + "/" + ownerName)
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .toString())
                .controller(true)
                .blockOwnerDeletion(true));
    return pod;
  }

  /** Adds a label and returns the pod. */
  public static V1Pod labeled(V1Pod pod, String key, String value) {
    pod.getMetadata().putLabelsItem(key, value);
    return pod;
  }

  /** Sets the node name and returns the pod. */
  public static V1Pod onNode(V1Pod pod, String nodeName) {
    pod.getSpec().setNodeName(nodeName);
    return pod;
  }

  private static V1Pod terminated(
      String namespace,
      String name,
      String phase,
      String reason,
      int exitCode,
      Duration finishedAgo) {
    OffsetDateTime finished = ago(finishedAgo);
    OffsetDateTime created = finished.minusMinutes(10);
    V1Pod pod = base(namespace, name, created);
    pod.getSpec().setRestartPolicy("Never");
    pod.getStatus()
        .phase(phase)
        .startTime(created)
        .addConditionsItem(condition("Ready", "False", finished).reason("PodCompleted"))
        .addContainerStatusesItem(
            status()
                .ready(false)
                .started(false)
                .state(
                    new V1ContainerState()
                        .terminated(
                            new V1ContainerStateTerminated()
                                .reason(reason)
                                .exitCode(exitCode)
                                .startedAt(created.plusSeconds(5))
                                .finishedAt(finished)
                                .containerID(
                                    "containerd://"
                                        + UUID.randomUUID().toString().replace("-", "")))));
    return pod;
  }

  private static V1Pod base(String namespace, String name, OffsetDateTime created) {
    return new V1Pod()
        .apiVersion("v1")
        .kind("Pod")
        .metadata(new V1ObjectMeta().namespace(namespace).name(name).creationTimestamp(created))
        .spec(
            new V1PodSpec()
                .nodeName("node-a")
                .restartPolicy("Always")
                .addContainersItem(new V1Container().name("app").image(IMAGE)))
        .status(new V1PodStatus().hostIP("198.18.0.10"));
  }

  private static V1ContainerStatus status() {
    return new V1ContainerStatus().name("app").image(IMAGE).imageID(IMAGE_ID).restartCount(0);
  }

  private static V1PodCondition condition(String type, String status, OffsetDateTime at) {
    return new V1PodCondition().type(type).status(status).lastTransitionTime(at);
  }

  static OffsetDateTime ago(Duration age) {
    return OffsetDateTime.now(ZoneOffset.UTC).minus(age).truncatedTo(ChronoUnit.SECONDS);
  }
}
