package dev.opskit.cluster.internal.agents;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A client-side limit on API calls: at most {@code maxConcurrent} in flight, and calls started at
 * most {@code perSecond} times a second (evenly spaced, no burst). Thread-safe.
 *
 * <pre>{@code
 * ApiThrottle.Permit permit = throttle.acquire();
 * try {
 *   // one API call
 * } finally {
 *   permit.close();
 * }
 * }</pre>
 */
public final class ApiThrottle {
  /** A slot for one call, released by {@link #close()}. */
  public interface Permit extends AutoCloseable {
    @Override
    void close();
  }

  private final Semaphore inFlight;
  private final long spacingNanos;
  private long nextStart = System.nanoTime();

  /** A throttle of {@code perSecond} calls a second, {@code maxConcurrent} at once. */
  public ApiThrottle(double perSecond, int maxConcurrent) {
    this.inFlight = new Semaphore(maxConcurrent, true);
    this.spacingNanos = (long) (TimeUnit.SECONDS.toNanos(1) / perSecond);
  }

  /** Waits for a free slot and the next start time. */
  public Permit acquire() throws InterruptedException {
    inFlight.acquire();
    try {
      long wait = reserve() - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
    } catch (InterruptedException e) {
      inFlight.release();
      throw e;
    }
    return inFlight::release;
  }

  private synchronized long reserve() {
    long now = System.nanoTime();
    long start = Math.max(now, nextStart);
    nextStart = start + spacingNanos;
    return start;
  }
}
