package dev.opskit.cluster.internal.reaper;

import io.kubernetes.client.openapi.models.V1ContainerStateTerminated;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1OwnerReference;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodCondition;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The facts about a pod the reaper's filters read, null-safe over the client models. */
public final class PodFacts {
  private final V1Pod pod;

  /** Facts about {@code pod}. */
  public PodFacts(V1Pod pod) {
    this.pod = pod;
  }

  private V1ObjectMeta meta() {
    return pod.getMetadata() == null ? new V1ObjectMeta() : pod.getMetadata();
  }

  /** Namespace, or the empty string. */
  public String namespace() {
    return nullToEmpty(meta().getNamespace());
  }

  /** Name, or the empty string. */
  public String name() {
    return nullToEmpty(meta().getName());
  }

  /** UID, or the empty string. */
  public String uid() {
    return nullToEmpty(meta().getUid());
  }

  /** Labels (never null). */
  public Map<String, String> labels() {
    return meta().getLabels() == null ? Map.of() : meta().getLabels();
  }

  /** True when the pod already has a deletion timestamp. */
  public boolean terminating() {
    return meta().getDeletionTimestamp() != null;
  }

  /** Phase, or the empty string. */
  public String phase() {
    return pod.getStatus() == null ? "" : nullToEmpty(pod.getStatus().getPhase());
  }

  /** Node name, or the empty string. */
  public String node() {
    return pod.getSpec() == null ? "" : nullToEmpty(pod.getSpec().getNodeName());
  }

  /** The pod's {@code status.reason}, or the empty string. */
  public String podReason() {
    return pod.getStatus() == null ? "" : nullToEmpty(pod.getStatus().getReason());
  }

  /** Terminated states of the containers (and init containers when asked). */
  public List<V1ContainerStateTerminated> terminated(boolean includeInit) {
    List<V1ContainerStateTerminated> states = new ArrayList<>();
    if (pod.getStatus() == null) {
      return states;
    }
    add(states, pod.getStatus().getContainerStatuses());
    if (includeInit) {
      add(states, pod.getStatus().getInitContainerStatuses());
    }
    return states;
  }

  private static void add(List<V1ContainerStateTerminated> states, List<V1ContainerStatus> list) {
    if (list == null) {
      return;
    }
    for (V1ContainerStatus status : list) {
      if (status.getState() != null && status.getState().getTerminated() != null) {
        states.add(status.getState().getTerminated());
      }
    }
  }

  /** The pod reason and every terminated container reason (init containers when asked). */
  public List<String> reasons(boolean includeInit) {
    List<String> reasons = new ArrayList<>();
    if (!podReason().isEmpty()) {
      reasons.add(podReason());
    }
    for (V1ContainerStateTerminated state : terminated(includeInit)) {
      if (state.getReason() != null && !reasons.contains(state.getReason())) {
        reasons.add(state.getReason());
      }
    }
    return reasons;
  }

  /** Exit codes of terminated containers (init containers when asked). */
  public List<Integer> exitCodes(boolean includeInit) {
    List<Integer> codes = new ArrayList<>();
    for (V1ContainerStateTerminated state : terminated(includeInit)) {
      if (state.getExitCode() != null) {
        codes.add(state.getExitCode());
      }
    }
    return codes;
  }

  /** The reason used for grouping: pod reason, else first container reason, else phase. */
  public String groupingReason() {
    if (!podReason().isEmpty()) {
      return podReason();
    }
    for (V1ContainerStateTerminated state : terminated(true)) {
      if (state.getReason() != null && !state.getReason().isEmpty()) {
        return state.getReason();
      }
    }
    return phase();
  }

  /**
   * When the pod failed: the latest container (or init container) {@code finishedAt}, else the
   * latest condition transition, else its creation time.
   */
  public Optional<Instant> failedAt() {
    Instant latest = null;
    for (V1ContainerStateTerminated state : terminated(true)) {
      latest = later(latest, state.getFinishedAt());
    }
    if (latest == null && pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      for (V1PodCondition condition : pod.getStatus().getConditions()) {
        latest = later(latest, condition.getLastTransitionTime());
      }
    }
    if (latest == null && meta().getCreationTimestamp() != null) {
      latest = meta().getCreationTimestamp().toInstant();
    }
    return Optional.ofNullable(latest);
  }

  private static Instant later(Instant current, OffsetDateTime candidate) {
    if (candidate == null) {
      return current;
    }
    Instant instant = candidate.toInstant();
    return current == null || instant.isAfter(current) ? instant : current;
  }

  /** The first owner reference of one of these kinds, as {@code Kind/name}. */
  public Optional<String> ownerOfKind(Set<String> kinds) {
    if (meta().getOwnerReferences() == null) {
      return Optional.empty();
    }
    for (V1OwnerReference owner : meta().getOwnerReferences()) {
      if (kinds.contains(owner.getKind())) {
        return Optional.of(owner.getKind() + "/" + owner.getName());
      }
    }
    return Optional.empty();
  }

  private static String nullToEmpty(String text) {
    return text == null ? "" : text;
  }
}
