package dev.opskit.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Aggregates containers streamed from an {@link ImageInventory} into the per-image view and the
 * findings, keeping one small record per unique image (not per container), so a cluster of any size
 * fits in little memory.
 *
 * <pre>{@code
 * ImageViews views = ImageViews.create(ImagePolicy.defaults());
 * inventory.forEach(views::add);
 * views.images();    // one ImageSummary per unique image, most-used first
 * views.findings();  // :latest, untagged, several digests, registry not allowed, invalid
 * }</pre>
 *
 * <p>Pod counts assume a pod's containers arrive one after the other, as {@link
 * ImageInventory#forEach} delivers them. Not thread-safe: feed it from one thread.
 */
public final class ImageViews {
  private final ImagePolicy policy;
  private final Map<String, Accumulator> images = new LinkedHashMap<>();
  private long containers;
  private long pods;
  private String lastPod;

  private ImageViews(ImagePolicy policy) {
    this.policy = policy;
  }

  /** Empty views that report findings under {@code policy}. */
  public static ImageViews create(ImagePolicy policy) {
    return new ImageViews(policy);
  }

  /** Adds one container. */
  public void add(ContainerImage container) {
    String podKey = container.namespace() + "/" + container.pod() + "/" + container.podUid();
    if (!podKey.equals(lastPod)) {
      pods++;
      lastPod = podKey;
    }
    containers++;
    Accumulator image =
        images.computeIfAbsent(container.imageKey(), key -> new Accumulator(container.reference()));
    image.containers++;
    if (!podKey.equals(image.lastPod)) {
      image.pods++;
      image.lastPod = podKey;
    }
    image.namespaces.add(container.namespace());
    container.runningDigest().ifPresent(image.digests::add);
  }

  /** Containers added so far. */
  public long containers() {
    return containers;
  }

  /** Pods seen so far. */
  public long pods() {
    return pods;
  }

  /** One summary per unique image, most pods first, then by image. */
  public List<ImageSummary> images() {
    List<ImageSummary> summaries = new ArrayList<>();
    images.forEach(
        (key, image) ->
            summaries.add(
                ImageSummary.builder()
                    .image(key)
                    .reference(image.reference)
                    .pods(image.pods)
                    .containers(image.containers)
                    .namespaces(image.namespaces)
                    .runningDigests(image.digests)
                    .build()));
    summaries.sort(
        (a, b) ->
            a.pods() != b.pods()
                ? Long.compare(b.pods(), a.pods())
                : a.image().compareTo(b.image()));
    return summaries;
  }

  /** The findings under the policy, grouped by kind, then by image. */
  public List<ImageFinding> findings() {
    List<ImageFinding> findings = new ArrayList<>();
    for (ImageSummary summary : images()) {
      Optional<ImageReference> parsed = summary.reference();
      if (parsed.isEmpty()) {
        findings.add(
            finding(
                ImageFinding.Kind.INVALID_REFERENCE,
                summary,
                "not a valid image reference; the runtime cannot pull it as written"));
        continue;
      }
      ImageReference ref = parsed.get();
      if (policy.flagLatest() && ref.isUntagged()) {
        findings.add(
            finding(
                ImageFinding.Kind.UNTAGGED,
                summary,
                "no tag or digest, so nodes pull whatever :latest is; pin a version tag or a"
                    + " digest"));
      } else if (policy.flagLatest() && ref.isLatest()) {
        findings.add(
            finding(
                ImageFinding.Kind.LATEST_TAG,
                summary,
                ":latest moves; pin a version tag or a digest"));
      }
      if (ref.digest().isEmpty() && summary.runningDigests().size() > 1) {
        findings.add(
            finding(
                ImageFinding.Kind.SEVERAL_DIGESTS,
                summary,
                "tag runs as "
                    + summary.runningDigests().size()
                    + " different digests "
                    + summary.runningDigests()
                    + "; pods started at different times run different code"));
      }
      if (!policy.allows(ref)) {
        findings.add(
            finding(
                ImageFinding.Kind.REGISTRY_NOT_ALLOWED,
                summary,
                "registry "
                    + ref.registry()
                    + " is not in the allowlist "
                    + policy.allowedRegistries()));
      }
    }
    findings.sort(
        (a, b) ->
            a.kind() != b.kind() ? a.kind().compareTo(b.kind()) : a.image().compareTo(b.image()));
    return findings;
  }

  private static ImageFinding finding(ImageFinding.Kind kind, ImageSummary summary, String detail) {
    return ImageFinding.builder()
        .kind(kind)
        .image(summary.image())
        .detail(detail)
        .pods(summary.pods())
        .build();
  }

  private static final class Accumulator {
    final Optional<ImageReference> reference;
    final TreeSet<String> namespaces = new TreeSet<>();
    final TreeSet<String> digests = new TreeSet<>();
    long pods;
    long containers;
    String lastPod;

    Accumulator(Optional<ImageReference> reference) {
      this.reference = reference;
    }
  }
}
