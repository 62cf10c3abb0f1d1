package dev.opskit.examples.cli;

import dev.opskit.core.Command;
import dev.opskit.core.CommandFailedException;
import dev.opskit.core.ExecResult;
import dev.opskit.core.FleetHost;
import dev.opskit.core.HealthCheck;
import dev.opskit.core.HostResult;
import dev.opskit.core.HostTask;
import dev.opskit.core.Rollout;
import dev.opskit.core.RolloutListener;
import dev.opskit.core.RolloutPolicy;
import dev.opskit.core.RolloutReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs one command's per-host task over a fleet under the options' policy and prints the report:
 * exit 0 when every host ended as planned, 1 otherwise. On SIGINT or SIGTERM no further host
 * starts, the running ones finish, their batch is rolled back, and the report is printed before the
 * JVM exits.
 */
final class FleetRun {
  /** How long a shutdown waits for the running hosts and the rollback of their batch. */
  private static final Duration SHUTDOWN_GRACE = Duration.ofMinutes(10);

  /** The most unhealthy hosts named in a failed health check's message. */
  private static final int NAMED = 3;

  private FleetRun() {}

  /**
   * Runs {@code task} on every host the options select.
   *
   * @param observe true for a read-only task (dry run, diff, show): the whole fleet at once, never
   *     stopping, nothing rolled back
   * @param footer a line printed after the table, or null
   */
  /**
   * Runs a change on the fleet: {@code apply} on every host, or {@code plan} with the dry-run
   * footer when {@code dryRun} is set (which also makes the rollout a read-only observe).
   */
  static int change(
      CommandSpec spec,
      HostOptions host,
      FleetOptions options,
      boolean dryRun,
      HostTask plan,
      HostTask apply)
      throws IOException, InterruptedException {
    return run(
        spec, host, options, dryRun, dryRun ? plan : apply, dryRun ? SysctlCommand.DRY_RUN : null);
  }

  /** Runs the read-only {@code task} on the whole fleet at once. */
  static int observe(CommandSpec spec, HostOptions host, FleetOptions options, HostTask task)
      throws IOException, InterruptedException {
    return run(spec, host, options, true, task, null);
  }

  private static int run(
      CommandSpec spec,
      HostOptions host,
      FleetOptions options,
      boolean observe,
      HostTask task,
      String footer)
      throws IOException, InterruptedException {
    boolean json = options.json();
    RolloutPolicy policy = options.policy(observe);
    List<String> health = observe ? List.of() : options.healthArgv();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ExecCommand.StopOnShutdown stop = ExecCommand.StopOnShutdown.install(SHUTDOWN_GRACE);
    try {
      RolloutReport report;
      ProgressBar bar = ProgressBar.onTerminal(err);
      try (FleetOptions.Fleet fleet = options.open(host)) {
        Rollout.Builder rollout =
            Rollout.builder()
                .hosts(fleet.hosts)
                .task(readable(task))
                .policy(policy)
                .listener(progress(bar, fleet.hosts.size()));
        if (!health.isEmpty()) {
          Command check = Command.of(health).withTimeout(policy.healthCheckTimeout());
          rollout.healthCheck(healthCheck(check, policy.maxParallel()));
        }
        report = rollout.build().run();
      } finally {
        bar.close();
      }
      if (json) {
        out.println(report.toJson());
      } else {
        out.print(report.renderTable());
        if (footer != null) {
          out.println(footer);
        }
      }
      out.flush();
      return report.isSuccess() ? 0 : OpskitCli.FAILED;
    } finally {
      stop.close();
    }
  }

  /** The task with its errors worded for people, as the rest of the command line words them. */
  private static HostTask readable(HostTask task) {
    return host -> {
      try {
        return task.run(host);
      } catch (IOException e) {
        throw new IOException(CliErrors.describe(e), e);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(CliErrors.describe(e), e);
      }
    };
  }

  private static RolloutListener progress(ProgressBar bar, int total) {
    if (!bar.enabled()) {
      return RolloutListener.NONE;
    }
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    return new RolloutListener() {
      @Override
      public void hostFinished(HostResult result) {
        if (result.status().isFailure()) {
          failed.incrementAndGet();
        }
        int failures = failed.get();
        bar.update(
            failures == 0 ? "hosts" : "hosts, " + failures + " failed",
            done.incrementAndGet(),
            total);
      }
    };
  }

  /**
   * Runs {@code command} on every host of a batch, up to {@code parallel} at once; a non-zero exit
   * or an unreachable host fails the check, naming the hosts.
   */
  static HealthCheck healthCheck(Command command, int parallel) {
    return batch -> {
      AtomicInteger threads = new AtomicInteger();
      ExecutorService pool =
          Executors.newFixedThreadPool(
              Math.max(1, Math.min(parallel, batch.size())),
              r -> {
                Thread thread = new Thread(r, "opskit-health-" + threads.incrementAndGet());
                thread.setDaemon(true);
                return thread;
              });
      try {
        List<Future<String>> checks = new ArrayList<>();
        for (FleetHost member : batch) {
          checks.add(pool.submit(() -> problem(member, command)));
        }
        List<String> unhealthy = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
          String problem;
          try {
            problem = checks.get(i).get();
          } catch (ExecutionException e) {
            problem = CliErrors.describe(e.getCause());
          }
          if (problem != null) {
            unhealthy.add(batch.get(i).name() + ": " + problem);
          }
        }
        if (unhealthy.isEmpty()) {
          return true;
        }
        String named = String.join("; ", unhealthy.subList(0, Math.min(NAMED, unhealthy.size())));
        throw new IllegalStateException(
            unhealthy.size()
                + (unhealthy.size() == 1 ? " host unhealthy: " : " hosts unhealthy: ")
                + named
                + (unhealthy.size() > NAMED ? "; …" : ""));
      } finally {
        pool.shutdownNow();
      }
    };
  }

  private static String problem(FleetHost host, Command command) throws InterruptedException {
    try {
      ExecResult result = host.executor().execute(command);
      return result.isSuccess() ? null : CliErrors.describe(new CommandFailedException(result));
    } catch (IOException | RuntimeException e) {
      return CliErrors.describe(e);
    }
  }
}
