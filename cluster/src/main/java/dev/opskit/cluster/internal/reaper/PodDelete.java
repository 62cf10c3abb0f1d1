package dev.opskit.cluster.internal.reaper;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import okhttp3.Call;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Okio;

/**
 * One pod delete with a UID precondition, at the least client cost: the same request as {@code
 * CoreV1Api.deleteNamespacedPod(name, namespace).body(new V1DeleteOptions().preconditions(…))}
 * (path, headers, authentication through the {@link ApiClient}), but the body is written as text
 * instead of through Gson's model adapters, and the answer, the deleted pod, is drained unread (its
 * status code is all the reaper needs). Thread-safe.
 */
public final class PodDelete {
  private static final String[] AUTH = {"BearerToken"};
  private static final String BODY_START =
      "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"preconditions\":{\"uid\":\"";
  private static final String BODY_END = "\"}}";

  private final ApiClient client;
  private final UnaryOperator<Call> transport;

  /**
   * Deletes through {@code client}; {@code transport} turns each built call into the one to run
   * (for example the same request on a client with the caller's timeouts).
   */
  public PodDelete(ApiClient client, UnaryOperator<Call> transport) {
    this.client = client;
    this.transport = transport;
  }

  /**
   * Sends the delete once.
   *
   * @throws ApiException for a non-2xx answer, with its code, headers and body, like the typed API
   * @throws IOException when the request failed in transport (including timeouts)
   */
  public void send(String namespace, String name, String uid) throws ApiException, IOException {
    String path =
        "/api/v1/namespaces/"
            + client.escapeString(namespace)
            + "/pods/"
            + client.escapeString(name);
    Map<String, String> headers = new HashMap<>(4);
    headers.put("Accept", "application/json");
    headers.put("Content-Type", "application/json");
    Call call =
        transport.apply(
            client.buildCall(
                null,
                path,
                "DELETE",
                List.of(),
                List.of(),
                body(uid),
                headers,
                new HashMap<>(),
                new HashMap<>(),
                AUTH,
                null));
    try (Response response = call.execute()) {
      ResponseBody answer = response.body();
      if (!response.isSuccessful()) {
        throw new ApiException(
            response.message(),
            response.code(),
            response.headers().toMultimap(),
            answer == null ? "" : answer.string());
      }
      if (answer != null) {
        // Read to the end so the connection goes back to the pool.
        answer.source().readAll(Okio.blackhole());
      }
    }
  }

  /** The {@code DeleteOptions} body: the UID as a JSON string, everything else fixed. */
  static byte[] body(String uid) {
    StringBuilder json = new StringBuilder(BODY_START.length() + uid.length() + 8);
    json.append(BODY_START);
    for (int i = 0; i < uid.length(); i++) {
      char c = uid.charAt(i);
      if (c == '"' || c == '\\') {
        json.append('\\').append(c);
      } else if (c < 0x20) {
        json.append(String.format("\\u%04x", (int) c));
      } else {
        json.append(c);
      }
    }
    return json.append(BODY_END).toString().getBytes(StandardCharsets.UTF_8);
  }
}
