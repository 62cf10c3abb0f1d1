package dev.opskit.cluster.testing;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP request the {@link KubernetesApiFixture} received: method, path without the query,
 * decoded query parameters, content type and body. Tests read these to prove what a client sent,
 * for example that a delete carried a UID precondition or that a list asked for {@code limit}.
 *
 * @param method the HTTP method, upper case
 * @param path the request path without the query string
 * @param query the decoded query parameters, in request order
 * @param contentType the {@code Content-Type} header, or the empty string
 * @param body the request body as UTF-8 text, or the empty string
 */
public record RecordedCall(
    String method, String path, Map<String, List<String>> query, String contentType, String body) {

  /** Copies the query map so the record stays immutable. */
  public RecordedCall {
    query = Map.copyOf(query);
  }

  /** The first value of a query parameter, if present. */
  public Optional<String> queryParameter(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Method and path, as in {@code DELETE /api/v1/namespaces/ns/pods/name}. */
  @Override
  public String toString() {
    return method + " " + path + (query.isEmpty() ? "" : " " + query);
  }
}
