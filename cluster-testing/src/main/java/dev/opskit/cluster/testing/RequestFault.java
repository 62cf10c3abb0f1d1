package dev.opskit.cluster.testing;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A fault the {@link KubernetesApiFixture} answers instead of the real response, for requests
 * matching a method, a path regex and optionally a query parameter: an HTTP status with a
 * Kubernetes {@code Status} body (404, 409, 410, 429, 500, 503…), optionally a {@code Retry-After}
 * header and a delay before the answer (to provoke client timeouts); or a transport fault (a reset
 * connection, a truncated body, a server that never answers). A fault fires a given number of
 * times, then the request passes through.
 *
 * <pre>{@code
 * fixture.inject(RequestFault.on("DELETE", "/api/v1/namespaces/batch/pods/.*")
 *     .status(429).retryAfterSeconds(1).times(2));
 * fixture.inject(RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(410));
 * fixture.inject(RequestFault.on("DELETE", ".*").resetAfterHandling());   // needs faultyUrl()
 * }</pre>
 *
 * <p>Transport faults fire only for requests sent through {@link KubernetesApiFixture#faultyUrl()}
 * (a loopback proxy in front of the server); status faults fire on both URLs. Values are immutable;
 * every {@code with}-style method returns a copy.
 */
public final class RequestFault {
  /** What the fault does to a matching request. */
  public enum Kind {
    /** Answers with {@link #status()} and a {@code Status} body. */
    STATUS,
    /** Resets the connection before the server sees the request. */
    RESET,
    /** Lets the server carry the request out, then resets the connection instead of answering. */
    RESET_AFTER_HANDLING,
    /** Lets the server carry the request out, then sends the headers and half the body. */
    TRUNCATED_BODY,
    /** Never answers; the connection stays open until the client gives up. */
    HANG
  }

  private final String method;
  private final Pattern path;
  private final Optional<String> queryParameter;
  private final Kind kind;
  private final int status;
  private final int times;
  private final Duration delay;
  private final Optional<Integer> retryAfterSeconds;

  private RequestFault(
      String method,
      Pattern path,
      Optional<String> queryParameter,
      Kind kind,
      int status,
      int times,
      Duration delay,
      Optional<Integer> retryAfterSeconds) {
    this.method = method;
    this.path = path;
    this.queryParameter = queryParameter;
    this.kind = kind;
    this.status = status;
    this.times = times;
    this.delay = delay;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * A fault for requests with this method ({@code "*"} for any) whose path (without query) matches
   * {@code pathRegex} completely; answers 500 once until configured otherwise.
   *
   * @throws IllegalArgumentException when the regex does not compile
   */
  public static RequestFault on(String method, String pathRegex) {
    Objects.requireNonNull(method, "method");
    Pattern pattern;
    try {
      pattern = Pattern.compile(pathRegex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("path regex '" + pathRegex + "' does not compile", e);
    }
    return new RequestFault(
        method.toUpperCase(Locale.ROOT),
        pattern,
        Optional.empty(),
        Kind.STATUS,
        500,
        1,
        Duration.ZERO,
        Optional.empty());
  }

  /**
   * This fault matching only requests that carry a non-empty query parameter {@code name}, such as
   * {@code continue} (a list page after the first).
   *
   * @throws IllegalArgumentException when the name is blank
   */
  public RequestFault withQueryParameter(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("query parameter name must not be blank");
    }
    return new RequestFault(
        method, path, Optional.of(name), kind, status, times, delay, retryAfterSeconds);
  }

  /**
   * This fault answering with {@code status} (400 to 599).
   *
   * @throws IllegalArgumentException for any other status
   */
  public RequestFault status(int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("fault status must be 400..599, was " + status);
    }
    return new RequestFault(
        method, path, queryParameter, Kind.STATUS, status, times, delay, retryAfterSeconds);
  }

  /** This fault resetting the connection before the server sees the request. */
  public RequestFault reset() {
    return kind(Kind.RESET);
  }

  /** This fault letting the server carry the request out, then resetting the connection. */
  public RequestFault resetAfterHandling() {
    return kind(Kind.RESET_AFTER_HANDLING);
  }

  /** This fault letting the server carry the request out, then cutting the body in half. */
  public RequestFault truncatedBody() {
    return kind(Kind.TRUNCATED_BODY);
  }

  /** This fault never answering, as a stalled API server. */
  public RequestFault hang() {
    return kind(Kind.HANG);
  }

  private RequestFault kind(Kind newKind) {
    return new RequestFault(
        method, path, queryParameter, newKind, status, times, delay, retryAfterSeconds);
  }

  /**
   * This fault firing {@code times} times (at least 1); use {@link #always()} for no limit.
   *
   * @throws IllegalArgumentException when {@code times < 1}
   */
  public RequestFault times(int times) {
    if (times < 1) {
      throw new IllegalArgumentException("fault times must be at least 1, was " + times);
    }
    return new RequestFault(
        method, path, queryParameter, kind, status, times, delay, retryAfterSeconds);
  }

  /** This fault firing for every matching request until removed. */
  public RequestFault always() {
    return new RequestFault(
        method, path, queryParameter, kind, status, Integer.MAX_VALUE, delay, retryAfterSeconds);
  }

  /**
   * This fault answering only after {@code delay}, so a client with a shorter read timeout times
   * out.
   *
   * @throws IllegalArgumentException when the delay is negative
   */
  public RequestFault delay(Duration delay) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("fault delay must not be negative, was " + delay);
    }
    return new RequestFault(
        method, path, queryParameter, kind, status, times, delay, retryAfterSeconds);
  }

  /**
   * This fault sending a {@code Retry-After} header (seconds, at least 0).
   *
   * @throws IllegalArgumentException when negative
   */
  public RequestFault retryAfterSeconds(int seconds) {
    if (seconds < 0) {
      throw new IllegalArgumentException("Retry-After must not be negative, was " + seconds);
    }
    return new RequestFault(
        method, path, queryParameter, kind, status, times, delay, Optional.of(seconds));
  }

  /** The HTTP method this fault matches, or {@code "*"}. */
  public String method() {
    return method;
  }

  /** The path regex this fault matches. */
  public String pathRegex() {
    return path.pattern();
  }

  /** The query parameter a matching request must carry, if any. */
  public Optional<String> queryParameter() {
    return queryParameter;
  }

  /** What the fault does. */
  public Kind kind() {
    return kind;
  }

  /** The status it answers (for {@link Kind#STATUS}). */
  public int status() {
    return status;
  }

  /** How many times it fires ({@link Integer#MAX_VALUE} for always). */
  public int times() {
    return times;
  }

  /** How long it waits before answering. */
  public Duration delay() {
    return delay;
  }

  /** The {@code Retry-After} seconds it sends, if any. */
  public Optional<Integer> retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** True when this fault applies to a request with this method and path (any query). */
  public boolean matches(String requestMethod, String requestPath) {
    return matches(requestMethod, requestPath, Map.of());
  }

  /** True when this fault applies to a request with this method, path and decoded query. */
  public boolean matches(
      String requestMethod, String requestPath, Map<String, List<String>> requestQuery) {
    if (!matchesPath(requestMethod, requestPath)) {
      return false;
    }
    if (queryParameter.isEmpty()) {
      return true;
    }
    List<String> values = requestQuery.get(queryParameter.get());
    return values != null && values.stream().anyMatch(v -> !v.isEmpty());
  }

  private boolean matchesPath(String requestMethod, String requestPath) {
    return (method.equals("*") || method.equalsIgnoreCase(requestMethod))
        && path.matcher(requestPath).matches();
  }

  @Override
  public String toString() {
    return "RequestFault{"
        + method
        + " "
        + path.pattern()
        + queryParameter.map(q -> "?" + q).orElse("")
        + " -> "
        + (kind == Kind.STATUS ? String.valueOf(status) : kind.name())
        + " x"
        + times
        + "}";
  }
}
