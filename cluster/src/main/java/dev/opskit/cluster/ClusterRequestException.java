package dev.opskit.cluster;

import dev.opskit.core.OpskitException;

/**
 * The Kubernetes API answered a request with an error status (not a transport failure, which is an
 * {@link java.io.IOException}). Carries the HTTP status and the response body, usually a {@code
 * Status} object, so callers can act on {@link #statusCode()} without parsing the message.
 */
public class ClusterRequestException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final int statusCode;
  private final String request;
  private final String responseBody;

  /** Creates the exception for {@code request} (such as {@code GET /api/v1/pods}). */
  public ClusterRequestException(String request, int statusCode, String responseBody) {
    super(describe(request, statusCode, responseBody));
    this.request = request;
    this.statusCode = statusCode;
    this.responseBody = responseBody;
  }

  /** The HTTP status code, such as 404, 409 or 410. */
  public int statusCode() {
    return statusCode;
  }

  /** The method and path of the failed request. */
  public String request() {
    return request;
  }

  /** The response body as text, possibly empty. */
  public String responseBody() {
    return responseBody;
  }

  private static String describe(String request, int statusCode, String body) {
    String shown = body.length() > 300 ? body.substring(0, 300) + "…" : body;
    return request + " answered HTTP " + statusCode + (shown.isEmpty() ? "" : ": " + shown);
  }
}
