package dev.opskit.cluster.internal.calico;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.opskit.cluster.ClusterRequestException;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import java.io.IOException;
import java.util.Optional;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;

/**
 * Runs calls built by the typed API and reads answers as generic JSON objects, which never fail on
 * fields this client version does not know.
 */
public final class JsonCall {
  /** Builds a call; the typed request builders throw the checked {@link ApiException}. */
  public interface CallSource {
    Call build() throws ApiException;
  }

  private JsonCall() {}

  /**
   * Runs the call and returns its JSON object; a 404 is an empty optional.
   *
   * @throws ClusterRequestException for any other error status
   */
  public static Optional<JsonObject> find(ApiClient client, CallSource source) throws IOException {
    try {
      return Optional.of(execute(client, source, null));
    } catch (ClusterRequestException e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /**
   * Runs the call, optionally with its body re-sent under another content type (patch formats), and
   * returns the answer's JSON object.
   *
   * @throws ClusterRequestException for an error status
   */
  public static JsonObject execute(ApiClient client, CallSource source, String contentType)
      throws IOException {
    return execute(client, source, contentType, null);
  }

  /**
   * Runs the call with {@code body} (JSON) in place of the body the typed API serialised, so a
   * generic object read earlier is written back with every field it had.
   *
   * @throws ClusterRequestException for an error status
   */
  public static JsonObject execute(
      ApiClient client, CallSource source, String contentType, byte[] body) throws IOException {
    Call call;
    try {
      call = source.build();
    } catch (ApiException e) {
      throw new IllegalStateException("cannot build the request: " + e.getMessage(), e);
    }
    Request request = call.request();
    if ((contentType != null || body != null) && request.body() != null) {
      String type = contentType != null ? contentType : "application/json";
      byte[] bytes = body;
      if (bytes == null) {
        Buffer buffer = new Buffer();
        request.body().writeTo(buffer);
        bytes = buffer.readByteArray();
      }
      RequestBody replaced = RequestBody.create(bytes, MediaType.get(type));
      request =
          request
              .newBuilder()
              .header("Content-Type", type)
              .method(request.method(), replaced)
              .build();
      call = client.getHttpClient().newCall(request);
    }
    String described = request.method() + " " + request.url().encodedPath();
    try (Response response = call.execute()) {
      ResponseBody answer = response.body();
      String text = answer == null ? "" : answer.string();
      if (!response.isSuccessful()) {
        throw new ClusterRequestException(described, response.code(), text);
      }
      try {
        JsonElement json = JsonParser.parseString(text);
        if (!json.isJsonObject()) {
          throw new IOException(described + " answered with JSON that is not an object");
        }
        return json.getAsJsonObject();
      } catch (JsonParseException e) {
        throw new IOException(described + " answered with text that is not JSON", e);
      }
    }
  }

  /** The string at a dotted path of object fields, if every step exists. */
  public static Optional<String> string(JsonObject root, String... path) {
    JsonElement current = root;
    for (String step : path) {
      if (current == null || !current.isJsonObject()) {
        return Optional.empty();
      }
      current = current.getAsJsonObject().get(step);
    }
    return current != null && current.isJsonPrimitive()
        ? Optional.of(current.getAsString())
        : Optional.empty();
  }
}
