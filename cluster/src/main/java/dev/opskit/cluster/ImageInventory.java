package dev.opskit.cluster;

import dev.opskit.cluster.internal.image.PodImageReader;
import dev.opskit.core.internal.OpskitStyle;
import io.kubernetes.client.openapi.ApiClient;
import java.io.IOException;
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
 * ImageInventory inventory = ImageInventory.builder().apiClient(client).pageSize(500).build();
 * ImageViews views = ImageViews.create(ImagePolicy.builder().addAllowedRegistries("quay.io").build());
 * inventory.forEach(views::add);            // pages with limit/continue, bounded memory
 * ImageReportFormat.CSV.writeImages(views.images(), System.out);
 * views.findings().forEach(System.out::println);
 * }</pre>
 *
 * <p>Pods are read page by page ({@code limit}/{@code continue}) and streamed out of the response
 * JSON; only the fields the inventory needs are read and everything else, including fields a newer
 * API server adds that this client version does not know, is skipped. Memory stays bounded by what
 * the consumer keeps. Safe for concurrent use; the {@link ApiClient} is owned by the caller.
 */
@Value.Immutable
@OpskitStyle
public abstract class ImageInventory {
  ImageInventory() {}

  /** A builder; {@link Builder#apiClient(ApiClient)} is required. */
  public static Builder builder() {
    return new Builder();
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
   * Streams every container to {@code sink}, pod by pod (all containers of a pod arrive one after
   * the other), page by page. Nothing is kept after {@code sink} returns.
   *
   * @throws ClusterRequestException when the API answers with an error status (410 when a {@code
   *     continue} token expired during a very long listing)
   * @throws IOException when the API cannot be reached
   */
  public void forEach(Consumer<? super ContainerImage> sink) throws IOException {
    PodImageReader reader = new PodImageReader(apiClient());
    List<String> scopes = new ArrayList<>();
    if (namespaces().isEmpty()) {
      scopes.add(null);
    } else {
      scopes.addAll(namespaces());
    }
    for (String namespace : scopes) {
      String token = null;
      for (int page = 0; page < maxPages(); page++) {
        Optional<String> next =
            reader.readPage(namespace, labelSelector().orElse(null), pageSize(), token, sink);
        if (next.isEmpty()) {
          break;
        }
        if (next.get().equals(token)) {
          throw new IllegalStateException(
              "the API returned the same continue token twice; refusing to loop");
        }
        token = next.get();
      }
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
