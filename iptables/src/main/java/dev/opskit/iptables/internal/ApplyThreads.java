package dev.opskit.iptables.internal;

import dev.opskit.iptables.ApplyCheck;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The short-lived threads of an apply: the host read run beside planning, and the caller's check.
 */
public final class ApplyThreads {
  private ApplyThreads() {}

  /** A fresh read of the host. */
  @FunctionalInterface
  public interface Reader {
    /** Reads the host under its lock. */
    HostRead read() throws IOException, InterruptedException;
  }

  /**
   * Starts {@code read} on a thread of its own, so that the caller can build what it needs from the
   * desired state meanwhile; {@link #finish} waits for it.
   */
  public static FutureTask<HostRead> startReading(Reader read) {
    FutureTask<HostRead> task = new FutureTask<>(read::read);
    Thread thread = new Thread(task, "opskit-iptables-read");
    thread.setDaemon(true);
    thread.start();
    return task;
  }

  /** Waits for a read {@link #startReading} started, rethrowing what it threw. */
  public static HostRead finish(FutureTask<HostRead> reading)
      throws IOException, InterruptedException {
    try {
      return reading.get();
    } catch (InterruptedException e) {
      reading.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      if (cause instanceof RuntimeException unchecked) {
        throw unchecked;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    }
  }

  /** Runs {@code check} for at most {@code timeout}; null when it passed, else why not. */
  public static String runCheck(ApplyCheck check, Duration timeout) throws InterruptedException {
    ExecutorService thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "opskit-apply-check");
              t.setDaemon(true);
              return t;
            });
    try {
      Future<Boolean> future = thread.submit(check::passes);
      try {
        return Boolean.TRUE.equals(future.get(timeout.toNanos(), TimeUnit.NANOSECONDS))
            ? null
            : "check returned false";
      } catch (TimeoutException e) {
        future.cancel(true);
        return "check timed out after " + timeout;
      } catch (ExecutionException e) {
        return "check threw " + e.getCause();
      }
    } finally {
      thread.shutdownNow();
    }
  }
}
