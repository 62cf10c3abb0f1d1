package dev.opskit.cluster.internal.agents;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The throttle never lets more calls run at once than allowed, nor start them faster. */
class ApiThrottleTest {
  @Test
  void atMostMaxConcurrentCallsRunAtOnce() throws Exception {
    ApiThrottle throttle = new ApiThrottle(10_000, 3);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(12);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        calls.add(
            pool.submit(
                () -> {
                  ApiThrottle.Permit permit = throttle.acquire();
                  try {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    Thread.sleep(2);
                    running.decrementAndGet();
                  } finally {
                    permit.close();
                  }
                  return null;
                }));
      }
      for (Future<?> call : calls) {
        call.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(most.get()).isBetween(1, 3);
  }

  @Test
  void callsStartNoFasterThanTheRate() throws Exception {
    ApiThrottle throttle = new ApiThrottle(50, 5); // one start every 20 ms
    long started = System.nanoTime();
    for (int i = 0; i < 11; i++) {
      throttle.acquire().close();
    }
    // the 11th start is at least 10 intervals after the first: a lower bound, never flaky
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(199);
  }
}
