package dev.opskit.cluster.internal.json;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.JSON;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.lang.reflect.Type;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import okhttp3.Call;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Reads Kubernetes JSON into the client's generated model classes while ignoring fields the models
 * do not know.
 *
 * <p>The generated models of client-java 27 reject any field that is not in their OpenAPI schema
 * ({@code validateJsonElement} throws "The field `x` in the JSON string is not defined"), so a
 * newer API server that adds a field to {@code PodStatus} breaks every list call. The client's JSON
 * setup is global (static), so changing it would change every other user of the client in the same
 * JVM. Instead this class builds its own Gson with the client's date, time and byte adapters and
 * plain reflective binding for models: unknown fields are skipped, known fields bind as usual
 * ({@code IntOrString} and {@code Quantity} keep their own adapters through their annotations).
 *
 * <p>Use it with a call built by the typed API: {@code TolerantJson.execute(api.listNamespacedPod(
 * ns).limit(500).buildCall(null), V1PodList.class)}. Thread-safe.
 */
public final class TolerantJson {
  private static final Gson GSON =
      new GsonBuilder()
          .registerTypeAdapter(OffsetDateTime.class, new JSON.OffsetDateTimeTypeAdapter())
          .registerTypeAdapter(LocalDate.class, new JSON.LocalDateTypeAdapter())
          .registerTypeAdapter(byte[].class, new JSON.ByteArrayAdapter())
          .disableHtmlEscaping()
          .create();

  private TolerantJson() {}

  /** The tolerant Gson instance. */
  public static Gson gson() {
    return GSON;
  }

  /**
   * Parses JSON text into a model type, ignoring unknown fields.
   *
   * @throws IllegalArgumentException when the text is not JSON of that shape
   */
  public static <T> T parse(String json, Type type) {
    return parse(new StringReader(json), type);
  }

  /**
   * Parses JSON from a reader into a model type, ignoring unknown fields.
   *
   * @throws IllegalArgumentException when the text is not JSON of that shape
   */
  public static <T> T parse(Reader json, Type type) {
    try {
      T value = GSON.fromJson(json, type);
      return value;
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(
          "the answer is not a valid " + simpleName(type) + " document", e);
    }
  }

  private static String simpleName(Type type) {
    return type instanceof Class<?> c ? c.getSimpleName() : type.getTypeName();
  }

  /** Serializes a model with the client's own settings (serialization never validates). */
  public static String serialize(Object model) {
    return JSON.serialize(model);
  }

  /**
   * Runs a call built by a typed API ({@code ….buildCall(null)}) and reads its body as {@code
   * type}, ignoring unknown fields. The whole body is read before parsing, so an answer cut off in
   * transport is an {@link IOException}, never a parse error.
   *
   * @throws ApiException for a non-2xx answer, with its code, headers and body, like the typed API
   * @throws IOException when the request failed in transport (including timeouts)
   */
  public static <T> T execute(Call call, Type type) throws ApiException, IOException {
    return execute(call, type, GSON);
  }

  /**
   * Like {@link #execute(Call, Type)}, reading the body with {@code gson} (one derived from {@link
   * #gson()}, for example one that skips fields its caller never reads).
   */
  public static <T> T execute(Call call, Type type, Gson gson) throws ApiException, IOException {
    try (Response response = call.execute()) {
      ResponseBody body = response.body();
      Map<String, List<String>> headers = response.headers().toMultimap();
      if (!response.isSuccessful()) {
        String text = body == null ? "" : body.string();
        throw new ApiException(response.message(), response.code(), headers, text);
      }
      if (body == null) {
        throw new ApiException("empty response body", response.code(), headers, "");
      }
      String text = body.string();
      if (type == null) {
        return null;
      }
      try {
        T value = gson.fromJson(text, type);
        return value;
      } catch (JsonParseException e) {
        throw new ApiException(
            "the answer is not a valid " + simpleName(type) + " document",
            e,
            response.code(),
            headers);
      }
    }
  }
}
