package dev.opskit.core.internal.fleet;

import dev.opskit.core.FleetHost;
import dev.opskit.core.HealthCheck;
import dev.opskit.core.HostOutcome;
import dev.opskit.core.HostResult;
import dev.opskit.core.HostStatus;
import dev.opskit.core.HostTask;
import dev.opskit.core.RollbackAction;
import dev.opskit.core.RolloutListener;
import dev.opskit.core.RolloutPolicy;
import dev.opskit.core.RolloutReport;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** One execution of a rollout: batches, workers, budget, health checks and rollback. */
public final class RolloutRun {
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final List<FleetHost> hosts;
  private final HostTask task;
  private final RolloutPolicy policy;
  private final HealthCheck healthCheck;
  private final RolloutListener listener;
  private final HostResult[] results;
  private final RollbackAction[] rollbacks;
  private final AtomicInteger failures = new AtomicInteger();
  private final Set<Thread> running = ConcurrentHashMap.newKeySet();
  private final int budget;
  private final int id = RUNS.incrementAndGet();

  /** A run of {@code task} over {@code hosts}; {@code healthCheck} may be null. */
  public RolloutRun(
      List<FleetHost> hosts,
      HostTask task,
      RolloutPolicy policy,
      HealthCheck healthCheck,
      RolloutListener listener) {
    this.hosts = hosts;
    this.task = task;
    this.policy = policy;
    this.healthCheck = healthCheck;
    this.listener = listener;
    this.results = new HostResult[hosts.size()];
    this.rollbacks = new RollbackAction[hosts.size()];
    this.budget = policy.maxFailures().floorOf(hosts.size());
  }

  /** The batches as {@code [start, end)} index ranges: canary hosts alone, then equal batches. */
  public static List<int[]> batches(int total, RolloutPolicy policy) {
    List<int[]> batches = new ArrayList<>();
    int canary = Math.min(policy.canary(), total);
    for (int i = 0; i < canary; i++) {
      batches.add(new int[] {i, i + 1});
    }
    int size = Math.max(1, policy.batch().ceilOf(total));
    for (int start = canary; start < total; start += size) {
      batches.add(new int[] {start, Math.min(total, start + size)});
    }
    return batches;
  }

  /** Runs every batch and returns the report; an interrupt is reported and re-asserted. */
  public RolloutReport run() {
    long start = System.nanoTime();
    List<int[]> batches = batches(hosts.size(), policy);
    int largest = batches.stream().mapToInt(b -> b[1] - b[0]).max().orElse(1);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService workers =
        Executors.newFixedThreadPool(
            Math.min(policy.maxParallel(), largest),
            r -> daemon(r, "opskit-rollout-" + id + "-" + threads.incrementAndGet()));
    ExecutorService checker =
        Executors.newCachedThreadPool(r -> daemon(r, "opskit-rollout-" + id + "-health"));
    String stopReason = null;
    boolean interrupted = Thread.interrupted();
    try {
      for (int number = 1; number <= batches.size() && stopReason == null; number++) {
        int[] batch = batches.get(number - 1);
        boolean canary = number <= Math.min(policy.canary(), hosts.size());
        if (interrupted) {
          stopReason = "interrupted";
          break;
        }
        List<String> names = new ArrayList<>();
        for (int i = batch[0]; i < batch[1]; i++) {
          names.add(hosts.get(i).name());
        }
        listener.batchStarted(number, names);
        int failedBefore = failures.get();
        interrupted = runBatch(workers, batch);
        String failure;
        if (interrupted) {
          failure = "interrupted";
        } else if (canary && failures.get() > failedBefore) {
          failure = "canary host " + hosts.get(batch[0]).name() + " failed";
        } else if (failures.get() > budget) {
          failure =
              "failure budget exceeded: "
                  + failures.get()
                  + " hosts failed, at most "
                  + budget
                  + " allowed";
        } else {
          failure = healthCheck == null ? null : checkHealth(checker, batch, number);
          if ("interrupted".equals(failure)) {
            interrupted = true;
          }
        }
        if (failure != null) {
          stopReason = "batch " + number + ": " + failure;
          if (policy.rollBackOnFailure()) {
            interrupted |= rollBack(workers, batch);
          }
        }
        listener.batchFinished(number, Optional.ofNullable(failure));
      }
    } finally {
      workers.shutdownNow();
      checker.shutdownNow();
    }
    for (int i = 0; i < results.length; i++) {
      if (results[i] == null) {
        finish(i, HostResult.of(hosts.get(i).name(), HostStatus.SKIPPED, "not run", Duration.ZERO));
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return RolloutReport.of(
        Arrays.asList(results),
        Duration.ofNanos(System.nanoTime() - start),
        stopReason,
        interrupted);
  }

  private static Thread daemon(Runnable runnable, String name) {
    Thread thread = new Thread(runnable, name);
    thread.setDaemon(true);
    return thread;
  }

  /** Runs one batch to its end; returns true when the calling thread was interrupted meanwhile. */
  private boolean runBatch(ExecutorService workers, int[] batch) {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(batch[1] - batch[0]);
    for (int i = batch[0]; i < batch[1]; i++) {
      int index = i;
      workers.execute(
          () -> {
            try {
              runHost(index, stop);
            } finally {
              done.countDown();
            }
          });
    }
    boolean interrupted = false;
    while (true) {
      try {
        done.await();
        return interrupted;
      } catch (InterruptedException e) {
        if (!interrupted) {
          interrupted = true;
          stop.set(true);
          if (policy.interruptRunningHosts()) {
            running.forEach(Thread::interrupt);
          }
        }
      }
    }
  }

  private void runHost(int index, AtomicBoolean stop) {
    FleetHost host = hosts.get(index);
    if (stop.get()) {
      finish(index, HostResult.of(host.name(), HostStatus.SKIPPED, "not run", Duration.ZERO));
      return;
    }
    Thread self = Thread.currentThread();
    running.add(self);
    long start = System.nanoTime();
    HostResult result;
    try {
      if (stop.get()) {
        result = HostResult.of(host.name(), HostStatus.SKIPPED, "not run", Duration.ZERO);
      } else {
        HostOutcome outcome = task.run(host);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (outcome == null) {
          result = HostResult.of(host.name(), HostStatus.FAILED, "task returned no outcome", took);
        } else {
          outcome.rollback().ifPresent(action -> rollbacks[index] = action);
          HostStatus status = outcome.changed() ? HostStatus.CHANGED : HostStatus.UNCHANGED;
          result = HostResult.of(host.name(), status, outcome.summary(), took);
        }
      }
    } catch (IOException e) {
      result = failed(host, HostStatus.UNREACHABLE, message(e), start);
    } catch (InterruptedException e) {
      result = failed(host, HostStatus.FAILED, "interrupted", start);
    } catch (Exception | Error e) {
      result = failed(host, HostStatus.FAILED, message(e), start);
    } finally {
      running.remove(self);
      Thread.interrupted();
    }
    if (result.status().isFailure() && failures.incrementAndGet() > budget) {
      stop.set(true);
    }
    finish(index, result);
  }

  private static HostResult failed(FleetHost host, HostStatus status, String summary, long start) {
    return HostResult.of(host.name(), status, summary, Duration.ofNanos(System.nanoTime() - start));
  }

  private void finish(int index, HostResult result) {
    results[index] = result;
    listener.hostFinished(result);
  }

  private String checkHealth(ExecutorService checker, int[] batch, int number) {
    List<FleetHost> members = List.copyOf(hosts.subList(batch[0], batch[1]));
    Future<Boolean> check = checker.submit(() -> healthCheck.isHealthy(members));
    Duration timeout = policy.healthCheckTimeout();
    try {
      return check.get(timeout.toNanos(), TimeUnit.NANOSECONDS)
          ? null
          : "health check after batch " + number + " failed";
    } catch (TimeoutException e) {
      check.cancel(true);
      return "health check after batch " + number + " timed out after " + timeout;
    } catch (ExecutionException e) {
      return "health check after batch " + number + " failed: " + message(e.getCause());
    } catch (InterruptedException e) {
      check.cancel(true);
      return "interrupted";
    }
  }

  /** Rolls back the changed hosts of a batch; returns true when interrupted meanwhile. */
  private boolean rollBack(ExecutorService workers, int[] batch) {
    List<Integer> changed = new ArrayList<>();
    for (int i = batch[0]; i < batch[1]; i++) {
      if (results[i] != null && results[i].status() == HostStatus.CHANGED && rollbacks[i] != null) {
        changed.add(i);
      }
    }
    CountDownLatch done = new CountDownLatch(changed.size());
    for (int index : changed) {
      workers.execute(
          () -> {
            try {
              rollBackHost(index);
            } finally {
              done.countDown();
            }
          });
    }
    boolean interrupted = false;
    while (true) {
      try {
        done.await();
        return interrupted;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }

  private void rollBackHost(int index) {
    HostResult before = results[index];
    long start = System.nanoTime();
    HostResult after;
    try {
      rollbacks[index].rollBack();
      after =
          before.with(
              HostStatus.ROLLED_BACK,
              before.summary(),
              Duration.ofNanos(System.nanoTime() - start));
    } catch (Exception | Error e) {
      after =
          before.with(
              HostStatus.FAILED,
              "rollback failed: " + message(e) + " (after: " + before.summary() + ")",
              Duration.ofNanos(System.nanoTime() - start));
    }
    results[index] = after;
    listener.hostRolledBack(after);
  }

  private static String message(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank()
        ? e.getClass().getSimpleName()
        : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }
}
