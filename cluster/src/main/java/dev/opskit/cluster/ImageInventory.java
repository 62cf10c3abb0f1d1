package dev.opskit.cluster;

import dev.opskit.cluster.internal.image.PodImageReader;
import dev.opskit.cluster.internal.reaper.Retrier;
import dev.opskit.core.internal.OpskitStyle;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.immutables.value.Value;

/**
 * Lists every init, regular and ephemeral container of every pod in the chosen namespaces (or all)
 * with its spec {@code image} and running {@code imageID} side by side: the typed form of {@code
 * kubectl get pods -A -o jsonpath='{..image}'}.
 *
 * <pre>{@code
 * ImageInventory inventory = ImageInventory.builder(client).pageSize(500).build();
 * ImageViews views = ImageViews.create(ImagePolicy.builder().addAllowedRegistries("quay.io").build());
 * inventory.forEach(views::add);            // pages with limit/continue, bounded memory
 * ImageReportFormat.CSV.writeImages(views.images(), System.out);
 * views.findings().forEach(System.out::println);
 * }</pre>
 *
 * <p>Pods are read page by page ({@code limit}/{@code continue}) and streamed out of the response
 * JSON; only the fields the inventory needs are read and everything else, including fields a newer
 * API server adds that this client version does not know, is skipped. Requests follow {@link
 * #requestPolicy()}: timeouts, retries, a global pause on 429 and a retry budget. Memory stays
 * bounded by what the consumer keeps. Safe for concurrent use; the {@link ApiClient} is owned by
 * the caller.
 */
@Value.Immutable
@OpskitStyle
public abstract class ImageInventory {
  /** Fresh lists after an expired {@code continue} token, per namespace. */
  private static final int MAX_RESTARTS = 5;

  ImageInventory() {}

  /** An inventory with every default, listing pods through {@code client} (owned by the caller). */
  public static ImageInventory on(ApiClient client) {
    return builder(client).build();
  }

  /** A builder for an inventory listing pods through {@code client} (owned by the caller). */
  public static Builder builder(ApiClient client) {
    return new Builder().apiClient(client);
  }

  /** The client to list pods with; the caller configures (and owns) it. */
  public abstract ApiClient apiClient();

  /** The namespaces to list; empty (the default) lists all namespaces. */
  public abstract Set<String> namespaces();

  /** A label selector pods must match, such as {@code app=web}; none by default. */
  public abstract Optional<String> labelSelector();

  /** Pods per page ({@code limit}); 500 by default. */
  @Value.Default
  public int pageSize() {
    return 500;
  }

  /** An upper bound on pages per namespace, a guard against a server that never ends a list. */
  @Value.Default
  public int maxPages() {
    return 1_000_000;
  }

  /**
   * Timeouts, retries and the retry budget of the listing (the same policy {@link PodReaper} uses);
   * {@link RequestPolicy#defaults()} by default.
   */
  @Value.Default
  public RequestPolicy requestPolicy() {
    return RequestPolicy.defaults();
  }

  /**
   * Streams every container to {@code sink}, pod by pod (all containers of a pod arrive one after
   * the other), page by page. Nothing is kept after {@code sink} returns. A page reaches the sink
   * only once it was read completely, so a page that is retried (timeout, reset, cut-off answer,
   * 429, 5xx) is never delivered twice. When a {@code continue} token expires (410 Gone) during a
   * long listing, the list starts again and pods already delivered are skipped (pages come in
   * namespace/name order, which is what a {@code continue} token encodes).
   *
   * @throws ClusterRequestException when the API answers with an error status after retries
   * @throws IOException when the API cannot be reached after retries, or the retry budget of {@link
   *     #requestPolicy()} is spent; the sink has then seen only whole pods, each once
   */
  public void forEach(Consumer<? super ContainerImage> sink) throws IOException {
    PodImageReader reader =
        new PodImageReader(apiClient(), new Retrier(requestPolicy(), apiClient()));
    List<String> scopes = new ArrayList<>();
    if (namespaces().isEmpty()) {
      scopes.add(null);
    } else {
      scopes.addAll(namespaces());
    }
    try {
      for (String namespace : scopes) {
        listScope(reader, namespace, sink);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while listing pods");
    }
  }

  private void listScope(
      PodImageReader reader, String namespace, Consumer<? super ContainerImage> sink)
      throws IOException, InterruptedException {
    String token = null;
    String lastPod = null;
    String skipThrough = null;
    int restarts = 0;
    for (int page = 0; page < maxPages(); page++) {
      PodImageReader.Page read;
      try {
        read = reader.readPage(namespace, labelSelector().orElse(null), pageSize(), token);
      } catch (ClusterRequestException e) {
        if (e.statusCode() == 410 && token != null) {
          if (++restarts > MAX_RESTARTS) {
            throw new IOException(
                e.request() + ": the continue token expired (410) " + restarts + " times; gave up",
                e);
          }
          token = null;
          skipThrough = lastPod;
          continue;
        }
        throw e;
      }
      for (ContainerImage container : read.containers()) {
        String pod = container.namespace() + "/" + container.pod();
        if (skipThrough != null && pod.compareTo(skipThrough) <= 0) {
          continue;
        }
        sink.accept(container);
        lastPod = pod;
      }
      if (read.next().isEmpty()) {
        return;
      }
      if (read.next().get().equals(token)) {
        throw new IllegalStateException(
            "the API returned the same continue token twice; refusing to loop");
      }
      token = read.next().get();
    }
  }

  /** Every container, in list order; convenient for small clusters, {@link #forEach} otherwise. */
  public List<ContainerImage> list() throws IOException {
    List<ContainerImage> containers = new ArrayList<>();
    forEach(containers::add);
    return containers;
  }

  /** Lists every container into fresh {@link ImageViews} under {@code policy}. */
  public ImageViews views(ImagePolicy policy) throws IOException {
    ImageViews views = ImageViews.create(policy);
    forEach(views::add);
    return views;
  }

  @Value.Check
  void check() {
    if (pageSize() < 1) {
      throw new IllegalArgumentException("pageSize must be at least 1, was " + pageSize());
    }
    if (maxPages() < 1) {
      throw new IllegalArgumentException("maxPages must be at least 1, was " + maxPages());
    }
    for (String namespace : namespaces()) {
      if (!namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        throw new IllegalArgumentException(
            "namespace '" + namespace + "' is not a DNS-1123 label (a-z, 0-9, '-', max 63)");
      }
    }
  }

  /** Builds an {@link ImageInventory}. */
  public static final class Builder extends ImmutableImageInventory.Builder {
    Builder() {}
  }
}
