package dev.opskit.cluster.internal.reaper;

import com.google.gson.ExclusionStrategy;
import com.google.gson.FieldAttributes;
import com.google.gson.Gson;
import dev.opskit.cluster.internal.json.TolerantJson;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1PodList;
import io.kubernetes.client.openapi.models.V1PodSpec;
import java.io.IOException;
import okhttp3.Call;

/**
 * Reads a pod list for the reaper, binding only what {@link PodFacts} reads: of the spec only
 * {@code nodeName}, and no {@code managedFields} or annotations (often most of a pod's JSON on a
 * real cluster). Those fields are skipped in the stream instead of becoming objects. Thread-safe.
 */
public final class PodListJson {
  private static final Gson GSON =
      TolerantJson.gson()
          .newBuilder()
          .addDeserializationExclusionStrategy(
              new ExclusionStrategy() {
                @Override
                public boolean shouldSkipField(FieldAttributes field) {
                  Class<?> owner = field.getDeclaringClass();
                  if (owner == V1PodSpec.class) {
                    return !field.getName().equals("nodeName");
                  }
                  return owner == V1ObjectMeta.class
                      && (field.getName().equals("managedFields")
                          || field.getName().equals("annotations"));
                }

                @Override
                public boolean shouldSkipClass(Class<?> type) {
                  return false;
                }
              })
          .create();

  private PodListJson() {}

  /**
   * Runs a pod list call and reads its page.
   *
   * @throws ApiException for a non-2xx answer or a body that is not a pod list
   * @throws IOException when the request failed in transport
   */
  public static V1PodList execute(Call call) throws ApiException, IOException {
    return TolerantJson.execute(call, V1PodList.class, GSON);
  }

  /** Reads a pod list document (for tests). */
  static V1PodList parse(String json) {
    return GSON.fromJson(json, V1PodList.class);
  }
}
