package dev.opskit.cluster;

import dev.opskit.core.internal.OpskitStyle;
import java.time.Duration;
import org.immutables.value.Value;

/**
 * How {@link PodReaper} and {@link ImageInventory} talk to the API server: timeouts per request,
 * retries with backoff, and a retry budget shared by the whole run. Immutable; validated when
 * built.
 *
 * <pre>{@code
 * RequestPolicy requests = RequestPolicy.builder()
 *     .requestTimeout(Duration.ofSeconds(20))   // kubectl's --request-timeout
 *     .retryBudget(20)
 *     .build();
 * ImageInventory.builder(client).requestPolicy(requests).build();
 * }</pre>
 *
 * <p>What is retried: reads (lists, gets) after a timeout, a reset connection, a cut-off answer,
 * 429 or 5xx; deletes after 429 or 5xx, and after a transport error only once a re-read of the pod
 * shows it still there with the same UID (the UID precondition makes a repeated delete safe). A 429
 * or 503 pauses every request of the run, not only the one that got it, for the server's {@code
 * Retry-After} (up to {@link #maxRetryAfter()}) or the backoff. Each retry spends one unit of
 * {@link #retryBudget()}; when it is spent the run stops and reports itself incomplete instead of
 * hammering a server that keeps refusing.
 *
 * <p>Defaults: connect timeout 10 s, read timeout 30 s, 60 s for a whole request; 5 attempts per
 * request, backoff from 200 ms doubling up to 10 s with jitter, {@code Retry-After} honoured up to
 * 60 s, 50 retries per run.
 */
@Value.Immutable
@OpskitStyle
public abstract class RequestPolicy {
  RequestPolicy() {}

  /** A builder with the defaults above. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults above. */
  public static RequestPolicy defaults() {
    return builder().build();
  }

  /** Longest wait to open a connection. */
  @Value.Default
  public Duration connectTimeout() {
    return Duration.ofSeconds(10);
  }

  /** Longest silence while waiting for or reading an answer. */
  @Value.Default
  public Duration readTimeout() {
    return Duration.ofSeconds(30);
  }

  /**
   * Longest time for one whole request: connect, send, wait, read the full answer (kubectl's {@code
   * --request-timeout}); {@link Duration#ZERO} means no limit beyond the other two.
   */
  @Value.Default
  public Duration requestTimeout() {
    return Duration.ofSeconds(60);
  }

  /** Attempts per request, the first included. */
  @Value.Default
  public int maxAttempts() {
    return 5;
  }

  /** First retry delay; doubled per attempt, with jitter, up to {@link #maxBackoff()}. */
  @Value.Default
  public Duration initialBackoff() {
    return Duration.ofMillis(200);
  }

  /** Longest computed retry delay. */
  @Value.Default
  public Duration maxBackoff() {
    return Duration.ofSeconds(10);
  }

  /** Longest {@code Retry-After} honoured; a server asking for more waits this long. */
  @Value.Default
  public Duration maxRetryAfter() {
    return Duration.ofSeconds(60);
  }

  /** Retries allowed in one run, across all requests and threads; 0 disables retries. */
  @Value.Default
  public int retryBudget() {
    return 50;
  }

  @Value.Check
  void check() {
    positive("connectTimeout", connectTimeout());
    positive("readTimeout", readTimeout());
    if (requestTimeout().isNegative()) {
      throw new IllegalArgumentException(
          "requestTimeout must not be negative (zero means none), was " + requestTimeout());
    }
    if (maxAttempts() < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts());
    }
    if (retryBudget() < 0) {
      throw new IllegalArgumentException("retryBudget must not be negative, was " + retryBudget());
    }
    if (initialBackoff().isNegative() || maxBackoff().compareTo(initialBackoff()) < 0) {
      throw new IllegalArgumentException(
          "backoff must satisfy 0 <= initialBackoff <= maxBackoff, was "
              + initialBackoff()
              + " and "
              + maxBackoff());
    }
    if (maxRetryAfter().isNegative()) {
      throw new IllegalArgumentException(
          "maxRetryAfter must not be negative, was " + maxRetryAfter());
    }
  }

  private static void positive(String name, Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }

  /** Builds a {@link RequestPolicy}; {@code build()} validates it. */
  public static final class Builder extends ImmutableRequestPolicy.Builder {
    Builder() {}
  }
}
