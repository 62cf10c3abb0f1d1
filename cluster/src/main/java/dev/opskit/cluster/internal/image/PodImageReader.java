package dev.opskit.cluster.internal.image;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.opskit.cluster.ClusterRequestException;
import dev.opskit.cluster.ContainerImage;
import dev.opskit.cluster.ContainerKind;
import dev.opskit.cluster.internal.reaper.Retrier;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import okhttp3.Call;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Lists pods page by page and streams each pod's containers out of the JSON, reading only the
 * fields the inventory needs and skipping everything else, so fields a newer API server adds never
 * break it and no page of full pod objects is built. A page is read completely before any of its
 * containers is handed on, so a page cut off in transport can be fetched again without repeating
 * rows.
 */
public final class PodImageReader {
  /** One page: its containers in list order and the {@code continue} token of the next page. */
  public record Page(List<ContainerImage> containers, Optional<String> next) {}

  private final ApiClient client;
  private final Retrier retrier;

  /** A reader sending through {@code retrier} (timeouts, retries, budget). */
  public PodImageReader(ApiClient client, Retrier retrier) {
    this.client = client;
    this.retrier = retrier;
  }

  /**
   * Reads one page, retrying as the retrier allows.
   *
   * @param namespace the namespace, or null for all namespaces
   * @throws ClusterRequestException for an error status after retries
   * @throws IOException for a transport error after retries, or a spent retry budget
   */
  public Page readPage(String namespace, String labelSelector, int limit, String continueToken)
      throws IOException, InterruptedException {
    CoreV1Api api = new CoreV1Api(client);
    String request =
        "GET "
            + (namespace == null ? "/api/v1/pods" : "/api/v1/namespaces/" + namespace + "/pods")
            + (continueToken == null ? "" : "?continue=…");
    try {
      return retrier.run(
          request,
          () -> {
            Call call =
                namespace == null
                    ? api.listPodForAllNamespaces()
                        .limit(limit)
                        ._continue(continueToken)
                        .labelSelector(labelSelector)
                        .buildCall(null)
                    : api.listNamespacedPod(namespace)
                        .limit(limit)
                        ._continue(continueToken)
                        .labelSelector(labelSelector)
                        .buildCall(null);
            try (Response response = retrier.newCall(call).execute()) {
              ResponseBody body = response.body();
              String text = body == null ? "" : body.string();
              if (!response.isSuccessful()) {
                throw new ApiException(
                    response.message(), response.code(), response.headers().toMultimap(), text);
              }
              List<ContainerImage> containers = new ArrayList<>();
              Optional<String> next;
              try {
                next = readList(new StringReader(text), containers::add);
              } catch (IOException | IllegalStateException e) {
                throw new IOException("the answer is not a valid PodList document", e);
              }
              return new Page(containers, next);
            }
          },
          (attempt, status) -> {});
    } catch (ApiException e) {
      throw new ClusterRequestException(
          request, e.getCode(), e.getResponseBody() == null ? "" : e.getResponseBody());
    }
  }

  /** Reads a {@code PodList} document, handing each container to {@code sink}. */
  public static Optional<String> readList(Reader json, Consumer<? super ContainerImage> sink)
      throws IOException {
    JsonReader reader = new JsonReader(json);
    String continueToken = null;
    reader.beginObject();
    while (reader.hasNext()) {
      String field = reader.nextName();
      if (field.equals("metadata") && reader.peek() == JsonToken.BEGIN_OBJECT) {
        reader.beginObject();
        while (reader.hasNext()) {
          if (reader.nextName().equals("continue")) {
            continueToken = nullableString(reader);
          } else {
            reader.skipValue();
          }
        }
        reader.endObject();
      } else if (field.equals("items") && reader.peek() == JsonToken.BEGIN_ARRAY) {
        reader.beginArray();
        while (reader.hasNext()) {
          readPod(reader, sink);
        }
        reader.endArray();
      } else {
        reader.skipValue();
      }
    }
    reader.endObject();
    return Optional.ofNullable(continueToken).filter(t -> !t.isEmpty());
  }

  private static void readPod(JsonReader reader, Consumer<? super ContainerImage> sink)
      throws IOException {
    if (reader.peek() != JsonToken.BEGIN_OBJECT) {
      reader.skipValue();
      return;
    }
    String namespace = null;
    String name = null;
    String uid = "";
    String node = null;
    List<List<String[]>> specs = new ArrayList<>(List.of(List.of(), List.of(), List.of()));
    List<Map<String, String>> statuses = new ArrayList<>(List.of(Map.of(), Map.of(), Map.of()));
    reader.beginObject();
    while (reader.hasNext()) {
      String field = reader.nextName();
      if (reader.peek() != JsonToken.BEGIN_OBJECT) {
        reader.skipValue();
        continue;
      }
      reader.beginObject();
      while (reader.hasNext()) {
        String inner = reader.nextName();
        switch (field + "." + inner) {
          case "metadata.namespace":
            namespace = nullableString(reader);
            break;
          case "metadata.name":
            name = nullableString(reader);
            break;
          case "metadata.uid":
            uid = orEmpty(nullableString(reader));
            break;
          case "spec.nodeName":
            node = nullableString(reader);
            break;
          case "spec.initContainers":
            specs.set(0, readContainers(reader));
            break;
          case "spec.containers":
            specs.set(1, readContainers(reader));
            break;
          case "spec.ephemeralContainers":
            specs.set(2, readContainers(reader));
            break;
          case "status.initContainerStatuses":
            statuses.set(0, readStatuses(reader));
            break;
          case "status.containerStatuses":
            statuses.set(1, readStatuses(reader));
            break;
          case "status.ephemeralContainerStatuses":
            statuses.set(2, readStatuses(reader));
            break;
          default:
            reader.skipValue();
        }
      }
      reader.endObject();
    }
    reader.endObject();
    if (namespace == null || name == null) {
      return;
    }
    ContainerKind[] kinds = ContainerKind.values();
    for (int k = 0; k < kinds.length; k++) {
      for (String[] container : specs.get(k)) {
        sink.accept(
            ContainerImage.builder()
                .namespace(namespace)
                .pod(name)
                .podUid(uid)
                .node(Optional.ofNullable(node).filter(n -> !n.isEmpty()))
                .container(container[0])
                .kind(kinds[k])
                .image(container[1])
                .imageId(statuses.get(k).getOrDefault(container[0], ""))
                .build());
      }
    }
  }

  private static List<String[]> readContainers(JsonReader reader) throws IOException {
    List<String[]> containers = new ArrayList<>();
    if (reader.peek() != JsonToken.BEGIN_ARRAY) {
      reader.skipValue();
      return containers;
    }
    reader.beginArray();
    while (reader.hasNext()) {
      Map<String, String> fields = readStrings(reader, "name", "image");
      String name = fields.get("name");
      if (name != null && !name.isEmpty()) {
        containers.add(new String[] {name, orEmpty(fields.get("image"))});
      }
    }
    reader.endArray();
    return containers;
  }

  private static Map<String, String> readStatuses(JsonReader reader) throws IOException {
    Map<String, String> imageIds = new HashMap<>();
    if (reader.peek() != JsonToken.BEGIN_ARRAY) {
      reader.skipValue();
      return imageIds;
    }
    reader.beginArray();
    while (reader.hasNext()) {
      Map<String, String> fields = readStrings(reader, "name", "imageID");
      String name = fields.get("name");
      if (name != null) {
        imageIds.put(name, orEmpty(fields.get("imageID")));
      }
    }
    reader.endArray();
    return imageIds;
  }

  private static Map<String, String> readStrings(JsonReader reader, String... wanted)
      throws IOException {
    Map<String, String> values = new HashMap<>();
    if (reader.peek() != JsonToken.BEGIN_OBJECT) {
      reader.skipValue();
      return values;
    }
    reader.beginObject();
    while (reader.hasNext()) {
      String field = reader.nextName();
      if (List.of(wanted).contains(field)) {
        values.put(field, nullableString(reader));
      } else {
        reader.skipValue();
      }
    }
    reader.endObject();
    return values;
  }

  private static String nullableString(JsonReader reader) throws IOException {
    JsonToken token = reader.peek();
    if (token == JsonToken.STRING || token == JsonToken.NUMBER) {
      return reader.nextString();
    }
    reader.skipValue();
    return null;
  }

  private static String orEmpty(String value) {
    return value == null ? "" : value;
  }
}
