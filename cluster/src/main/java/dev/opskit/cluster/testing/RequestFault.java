package dev.opskit.cluster.testing;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A fault the {@link KubernetesApiFixture} answers instead of the real response, for requests
 * matching a method and a path regex: an HTTP status with a Kubernetes {@code Status} body (404,
 * 409, 429, 500, 503…), optionally a {@code Retry-After} header and a delay before the answer (to
 * provoke client timeouts). A fault fires a given number of times, then the request passes through.
 *
 * <pre>{@code
 * fixture.inject(RequestFault.on("DELETE", "/api/v1/namespaces/batch/pods/.*")
 *     .status(429).retryAfterSeconds(1).times(2));
 * }</pre>
 *
 * <p>Values are immutable; every {@code with}-style method returns a copy.
 */
public final class RequestFault {
  private final String method;
  private final Pattern path;
  private final int status;
  private final int times;
  private final Duration delay;
  private final Optional<Integer> retryAfterSeconds;

  private RequestFault(
      String method,
      Pattern path,
      int status,
      int times,
      Duration delay,
      Optional<Integer> retryAfterSeconds) {
    this.method = method;
    this.path = path;
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
        method.toUpperCase(Locale.ROOT), pattern, 500, 1, Duration.ZERO, Optional.empty());
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
    return new RequestFault(method, path, status, times, delay, retryAfterSeconds);
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
    return new RequestFault(method, path, status, times, delay, retryAfterSeconds);
  }

  /** This fault firing for every matching request until removed. */
  public RequestFault always() {
    return new RequestFault(method, path, status, Integer.MAX_VALUE, delay, retryAfterSeconds);
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
    return new RequestFault(method, path, status, times, delay, retryAfterSeconds);
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
    return new RequestFault(method, path, status, times, delay, Optional.of(seconds));
  }

  /** The HTTP method this fault matches, or {@code "*"}. */
  public String method() {
    return method;
  }

  /** The path regex this fault matches. */
  public String pathRegex() {
    return path.pattern();
  }

  /** The status it answers. */
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

  /** True when this fault applies to a request with this method and path. */
  public boolean matches(String requestMethod, String requestPath) {
    return (method.equals("*") || method.equalsIgnoreCase(requestMethod))
        && path.matcher(requestPath).matches();
  }

  @Override
  public String toString() {
    return "RequestFault{" + method + " " + path.pattern() + " -> " + status + " x" + times + "}";
  }
}
