package dev.opskit.cluster;

import dev.opskit.cluster.internal.reaper.LabelSelector;
import dev.opskit.core.internal.OpskitStyle;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.immutables.value.Value;

/**
 * What a {@link PodReaper} run deletes and how: which terminal pods qualify (phase, namespaces,
 * labels, reasons, exit codes, age since failure, owners to keep), how many it may delete, and how
 * it talks to the API (page size, concurrency, {@link #requests()}). Immutable; validated when
 * built.
 *
 * <pre>{@code
 * ReapPolicy policy = ReapPolicy.builder()
 *     .addExcludedNamespaces("kube-system")
 *     .addReasons("Evicted", "OOMKilled")
 *     .minAge(Duration.ofHours(1))
 *     .maxDeletions(500)
 *     .build();
 * }</pre>
 *
 * <p>Defaults: phase Failed only; every namespace; any reason and exit code; no minimum age; pods
 * owned by a {@code Job} are kept (the Job controller counts its failed pods for {@code
 * backoffLimit}, and deleting them makes it start new ones); no cap; a first page of 500 and pages
 * of 2,000 once the server shows it applies the phase selector; 4 concurrent deletes; {@link
 * RequestPolicy#defaults()} for timeouts and retries.
 */
@Value.Immutable
@OpskitStyle
public abstract class ReapPolicy {
  ReapPolicy() {}

  /** A builder with the defaults above. */
  public static Builder builder() {
    return new Builder();
  }

  /** The default policy: every Failed pod not owned by a Job. */
  public static ReapPolicy defaults() {
    return builder().build();
  }

  /** Also delete pods in phase Succeeded (completed pods nobody cleans up). */
  @Value.Default
  public boolean includeSucceeded() {
    return false;
  }

  /** Only these namespaces (listed one by one); empty means every namespace. */
  public abstract Set<String> namespaces();

  /** Namespaces never touched, even when listed in {@link #namespaces()}. */
  public abstract Set<String> excludedNamespaces();

  /**
   * A label selector sent to the server and re-checked on the client, such as {@code app=web} or
   * {@code tier in (batch, ci),!keep}.
   */
  public abstract Optional<String> labelSelector();

  /**
   * Reasons that qualify a pod, matched against the pod's {@code status.reason} (Evicted, Shutdown,
   * NodeAffinity, UnexpectedAdmissionError…) and its containers' terminated reasons (OOMKilled,
   * Error, ContainerStatusUnknown…); empty means any reason.
   */
  public abstract Set<String> reasons();

  /** Whether init containers' terminated reasons and exit codes count too. */
  @Value.Default
  public boolean includeInitContainers() {
    return false;
  }

  /** Container exit codes that qualify a pod (any container); empty means any. */
  public abstract Set<Integer> exitCodes();

  /**
   * Minimum time since the pod failed: its latest container {@code finishedAt}, else its latest
   * condition transition, else (only then) its creation time.
   */
  @Value.Default
  public Duration minAge() {
    return Duration.ZERO;
  }

  /** Owner kinds whose pods are kept (matched against every owner reference). */
  @Value.Default
  public Set<String> keepOwnerKinds() {
    return Set.of("Job");
  }

  /** At most this many deletions (or would-be deletions in a dry run) per run. */
  @Value.Default
  public int maxDeletions() {
    return Integer.MAX_VALUE;
  }

  /** Report what would be deleted without sending a single delete request. */
  @Value.Default
  public boolean dryRun() {
    return false;
  }

  /**
   * Pods per list page ({@code limit}), as kubectl's {@code --chunk-size}; memory holds one page at
   * a time. Always the size of the first page; see {@link #selectedPageSize()} for later ones.
   */
  @Value.Default
  public int pageSize() {
    return 500;
  }

  /**
   * Pods per list page after a page has shown that the server applies the phase selector (every pod
   * on it was in the phase asked for). The API server counts {@code limit} after its field and
   * label selectors, so such pages hold only pods the run looks at anyway; fewer, larger pages mean
   * fewer requests, and for lists the server reads from etcd, fewer restarts of its scan past pods
   * that do not match. A server or proxy that ignores the selector keeps getting {@link
   * #pageSize()}, so its pages of pods of every phase stay small. Defaults to four times {@link
   * #pageSize()}, at most 10,000; set it to {@code pageSize()} for pages of one size.
   */
  @Value.Default
  public int selectedPageSize() {
    return Math.min(10_000, pageSize() * 4);
  }

  /** Delete requests in flight at once. */
  @Value.Default
  public int concurrency() {
    return 4;
  }

  /**
   * Timeouts, retries and the retry budget of the run's API requests (the same policy {@link
   * ImageInventory} uses).
   */
  @Value.Default
  public RequestPolicy requests() {
    return RequestPolicy.defaults();
  }

  @Value.Check
  void check() {
    labelSelector().ifPresent(LabelSelector::parse);
    positive("maxDeletions", maxDeletions());
    if (pageSize() < 1 || pageSize() > 10_000) {
      throw new IllegalArgumentException("pageSize must be 1..10000, was " + pageSize());
    }
    if (selectedPageSize() < 1 || selectedPageSize() > 10_000) {
      throw new IllegalArgumentException(
          "selectedPageSize must be 1..10000, was " + selectedPageSize());
    }
    if (concurrency() < 1 || concurrency() > 256) {
      throw new IllegalArgumentException("concurrency must be 1..256, was " + concurrency());
    }
    if (minAge().isNegative()) {
      throw new IllegalArgumentException("minAge must not be negative, was " + minAge());
    }
    for (String namespace : namespaces()) {
      if (namespace.isBlank()) {
        throw new IllegalArgumentException("namespaces must not contain a blank name");
      }
    }
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, was " + value);
    }
  }

  /** Builds a {@link ReapPolicy}; {@code build()} validates it. */
  public static final class Builder extends ImmutableReapPolicy.Builder {
    Builder() {}
  }
}
