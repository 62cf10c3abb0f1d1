package dev.opskit.cluster.internal.reaper;

import io.kubernetes.client.openapi.ApiException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retries API calls that failed with 429, 5xx or a timeout/transport error, with exponential
 * backoff and jitter, honouring {@code Retry-After} up to the maximum delay.
 */
public final class Retrier {
  /** One API call. */
  @FunctionalInterface
  public interface Call<T> {
    /** Runs the call once. */
    T run() throws ApiException, IOException;
  }

  /** Told about each retry. */
  @FunctionalInterface
  public interface RetryListener {
    /** About to retry after {@code status} (0 = transport). */
    void retrying(int attempt, int status);
  }

  private final int maxAttempts;
  private final Duration initial;
  private final Duration max;

  /** A retrier with these limits. */
  public Retrier(int maxAttempts, Duration initial, Duration max) {
    this.maxAttempts = maxAttempts;
    this.initial = initial;
    this.max = max;
  }

  /** True for statuses worth retrying. */
  public static boolean retryable(int status) {
    return status == 0 || status == 429 || status >= 500;
  }

  /**
   * Runs {@code call}, retrying retryable failures; the last failure is rethrown.
   *
   * @throws ApiException the final non-retryable or last retryable API error
   * @throws IOException the last transport error
   */
  public <T> T run(Call<T> call, RetryListener listener)
      throws ApiException, IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.run();
      } catch (ApiException e) {
        int status = statusOf(e);
        if (!retryable(status) || attempt >= maxAttempts) {
          throw e;
        }
        listener.retrying(attempt, status);
        sleep(attempt, retryAfter(e));
      } catch (IOException e) {
        if (e instanceof InterruptedIOException && !(e instanceof SocketTimeoutException)) {
          throw e;
        }
        if (attempt >= maxAttempts) {
          throw e;
        }
        listener.retrying(attempt, 0);
        sleep(attempt, null);
      }
    }
  }

  /** The HTTP status of an API error; 0 when the request never got an answer. */
  public static int statusOf(ApiException e) {
    return e.getCode();
  }

  private static Duration retryAfter(ApiException e) {
    Map<String, List<String>> headers = e.getResponseHeaders();
    if (headers == null) {
      return null;
    }
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      if (header.getKey() != null
          && header.getKey().equalsIgnoreCase("Retry-After")
          && !header.getValue().isEmpty()) {
        try {
          return Duration.ofSeconds(Long.parseLong(header.getValue().get(0).strip()));
        } catch (NumberFormatException ignored) {
          return null;
        }
      }
    }
    return null;
  }

  private void sleep(int attempt, Duration retryAfter) throws InterruptedException {
    long base = initial.toMillis() << Math.min(attempt - 1, 20);
    long capped = Math.min(base, max.toMillis());
    long delay =
        capped / 2 + (capped > 1 ? ThreadLocalRandom.current().nextLong(capped / 2 + 1) : 0);
    if (retryAfter != null) {
      delay = Math.max(delay, Math.min(retryAfter.toMillis(), max.toMillis()));
    }
    if (delay > 0) {
      Thread.sleep(delay);
    }
  }
}
