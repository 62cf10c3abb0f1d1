package dev.opskit.cluster.internal.reaper;

import dev.opskit.cluster.RequestPolicy;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.OkHttpClient;

/**
 * Sends the API calls of one run under a {@link RequestPolicy}: every call goes through a client
 * with the policy's timeouts; 429, 5xx and transport errors are retried with exponential backoff
 * and jitter; a 429 or 503 pauses every caller of this instance (global backoff, honouring {@code
 * Retry-After}); all retries draw on one budget, and once it is spent every further call fails with
 * {@link BudgetSpentException}. Thread-safe; one instance per run.
 */
public final class Retrier {
  /** One API call. */
  @FunctionalInterface
  public interface Call<T> {
    /** Runs the call once. */
    T run() throws ApiException, IOException, InterruptedException;
  }

  /** Told about each retry. */
  @FunctionalInterface
  public interface RetryListener {
    /** About to retry after {@code status} (0 = transport). */
    void retrying(int attempt, int status);
  }

  /** The run's retry budget is spent: no more requests. */
  public static final class BudgetSpentException extends IOException {
    private static final long serialVersionUID = 1L;

    BudgetSpentException(String message) {
      super(message);
    }
  }

  private final RequestPolicy policy;
  private final OkHttpClient http;
  private final AtomicInteger budget;
  private final AtomicLong pauseUntil = new AtomicLong(System.nanoTime());
  private final AtomicReference<String> spent = new AtomicReference<>();

  /**
   * A retrier for one run, sending through {@code client}'s HTTP client with the policy's timeouts.
   */
  public Retrier(RequestPolicy policy, ApiClient client) {
    this.policy = policy;
    this.budget = new AtomicInteger(policy.retryBudget());
    this.http =
        client
            .getHttpClient()
            .newBuilder()
            .connectTimeout(policy.connectTimeout())
            .readTimeout(policy.readTimeout())
            .writeTimeout(policy.readTimeout())
            .callTimeout(policy.requestTimeout())
            .retryOnConnectionFailure(false)
            .build();
  }

  /**
   * The same request as {@code built} (from a typed API's {@code buildCall}), with our timeouts.
   */
  public okhttp3.Call newCall(okhttp3.Call built) {
    return http.newCall(built.request());
  }

  /** Why the run must stop, once the retry budget is spent. */
  public Optional<String> stopped() {
    return Optional.ofNullable(spent.get());
  }

  /** True for statuses worth retrying. */
  public static boolean retryable(int status) {
    return status == 429 || status >= 500;
  }

  /**
   * Runs {@code call}, retrying retryable failures; the last failure is rethrown, a transport error
   * as an {@link IOException} whose message says what happened to {@code request}.
   *
   * @throws ApiException the final non-retryable or last retryable API error
   * @throws BudgetSpentException when the run's retry budget is spent
   * @throws IOException the last transport error
   */
  public <T> T run(String request, Call<T> call, RetryListener listener)
      throws ApiException, IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      awaitPause();
      String why = spent.get();
      if (why != null) {
        throw new BudgetSpentException(why);
      }
      try {
        return call.run();
      } catch (ApiException e) {
        int status = e.getCode();
        if (!retryable(status) || attempt >= policy.maxAttempts()) {
          throw e;
        }
        Duration wait = backoff(attempt, retryAfter(e));
        if (status == 429 || status == 503) {
          pauseAll(wait);
        }
        spend(request, "HTTP " + status);
        listener.retrying(attempt, status);
        sleep(wait);
      } catch (BudgetSpentException e) {
        throw e;
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedException(request + " interrupted");
        }
        if (attempt >= policy.maxAttempts()) {
          throw new IOException(
              request
                  + " failed: "
                  + describe(e)
                  + (attempt > 1 ? " (" + attempt + " attempts)" : ""),
              e);
        }
        spend(request, describe(e));
        listener.retrying(attempt, 0);
        sleep(backoff(attempt, null));
      }
    }
  }

  /** What a transport error means, in words (no class names). */
  public String describe(IOException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    String lower = message.toLowerCase(Locale.ROOT);
    if (e instanceof SocketTimeoutException) {
      if (lower.contains("connect")) {
        return "could not connect within " + seconds(policy.connectTimeout());
      }
      return "no answer within the read timeout of " + seconds(policy.readTimeout());
    }
    if (e instanceof InterruptedIOException) {
      return "no complete answer within the request timeout of " + seconds(policy.requestTimeout());
    }
    if (e instanceof ConnectException) {
      return "cannot connect (" + message + ")";
    }
    if (e instanceof EOFException
        || e instanceof ProtocolException
        || lower.contains("unexpected end of stream")
        || lower.contains("end of input")) {
      return "the answer was cut off before its end";
    }
    if (e instanceof SocketException && lower.contains("reset")) {
      return "the connection was reset";
    }
    if (lower.contains("closed") || lower.contains("broken pipe")) {
      return "the connection was closed";
    }
    return message.isEmpty() ? "transport error" : message;
  }

  private static String seconds(Duration duration) {
    return duration.toMillis() % 1000 == 0
        ? duration.toSeconds() + "s"
        : duration.toMillis() + "ms";
  }

  private void spend(String request, String cause) throws BudgetSpentException {
    if (budget.decrementAndGet() < 0) {
      String why =
          "retry budget of "
              + policy.retryBudget()
              + " retries spent (last: "
              + request
              + ": "
              + cause
              + ")";
      spent.compareAndSet(null, why);
      throw new BudgetSpentException(spent.get());
    }
  }

  private Duration backoff(int attempt, Duration retryAfter) {
    long base = policy.initialBackoff().toMillis() << Math.min(attempt - 1, 20);
    long capped = Math.min(base, policy.maxBackoff().toMillis());
    long delay =
        capped / 2 + (capped > 1 ? ThreadLocalRandom.current().nextLong(capped / 2 + 1) : 0);
    if (retryAfter != null) {
      delay = Math.max(delay, Math.min(retryAfter.toMillis(), policy.maxRetryAfter().toMillis()));
    }
    return Duration.ofMillis(delay);
  }

  private void pauseAll(Duration wait) {
    long until = System.nanoTime() + wait.toNanos();
    pauseUntil.accumulateAndGet(until, (a, b) -> a - b > 0 ? a : b);
  }

  private void awaitPause() throws InterruptedException {
    long remaining = pauseUntil.get() - System.nanoTime();
    if (remaining > 0) {
      TimeUnit.NANOSECONDS.sleep(remaining);
    }
  }

  private static void sleep(Duration wait) throws InterruptedException {
    if (!wait.isZero()) {
      Thread.sleep(wait.toMillis());
    }
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
          return Duration.ofSeconds(Math.max(0, Long.parseLong(header.getValue().get(0).strip())));
        } catch (NumberFormatException ignored) {
          return null;
        }
      }
    }
    return null;
  }
}
