package dev.opskit.core;

import dev.opskit.core.internal.fleet.RolloutRun;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Runs one {@link HostTask} over a fleet of hosts under a {@link RolloutPolicy}: canary hosts
 * first, each alone, then batches with bounded parallelism, a failure budget, an optional health
 * check after each batch, and rollback of a failed batch through the rollback actions its tasks
 * returned. The result is a {@link RolloutReport}.
 *
 * <pre>{@code
 * try (SshInventory fleet = SshInventory.read(Path.of("nodes.txt"),
 *     target -> SshExecutor.builder(target).identityFile(key).knownHosts(knownHosts).build())) {
 *   fleet.connect();
 *   RolloutReport report = Rollout.builder()
 *       .hosts(fleet.hosts())
 *       .task(host -> setSomaxconn(host, "32768"))   // returns HostOutcome.changed(..., rollback)
 *       .policy(RolloutPolicy.builder().canary(1).batch(HostCount.parse("10%")).build())
 *       .healthCheck(batch -> probe(batch))
 *       .build()
 *       .run();
 *   System.out.print(report.renderTable());
 * }
 * }</pre>
 *
 * <p><b>Fleet observe.</b> {@link Builder#observe()} runs a read-only task (one that plans but does
 * not apply, reporting differing hosts as {@linkplain HostOutcome#changed(String) changed}) over
 * the whole fleet at once with {@link RolloutPolicy#observe()}: nothing stops it and nothing is
 * rolled back.
 *
 * <p><b>Interrupts.</b> When the thread calling {@link #run()} is interrupted, no further host
 * starts, the hosts running finish (or are interrupted, with {@link
 * RolloutPolicy#interruptRunningHosts()}), the current batch is rolled back, the remaining hosts
 * are reported skipped, and {@link #run()} returns the report with {@link
 * RolloutReport#interrupted()} set and the thread's interrupt status set again.
 *
 * <p><b>Threads and ownership.</b> {@link #run()} uses up to {@link RolloutPolicy#maxParallel()}
 * worker threads of its own, stopped when it returns; tasks, health checks and listeners are called
 * from them. The rollout owns nothing it is given: executors are closed by whoever built them. A
 * {@code Rollout} is immutable and may run more than once (each run calls the task again).
 */
public final class Rollout {
  private final List<FleetHost> hosts;
  private final HostTask task;
  private final RolloutPolicy policy;
  private final HealthCheck healthCheck;
  private final RolloutListener listener;

  private Rollout(Builder builder) {
    this.hosts = List.copyOf(builder.hosts);
    this.task = builder.task;
    this.policy = builder.policy;
    this.healthCheck = builder.healthCheck;
    this.listener = builder.listener;
  }

  /** A builder; hosts and a task are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The hosts in rollout order. */
  public List<FleetHost> hosts() {
    return hosts;
  }

  /** The policy. */
  public RolloutPolicy policy() {
    return policy;
  }

  /**
   * Runs the task over the fleet and reports how every host ended. Never throws for a host's
   * failure; an interrupt ends the run early (see the class description).
   */
  public RolloutReport run() {
    return new RolloutRun(hosts, task, policy, healthCheck, listener).run();
  }

  /** Configures a {@link Rollout}. Not thread-safe. */
  public static final class Builder {
    private List<FleetHost> hosts;
    private HostTask task;
    private RolloutPolicy policy = RolloutPolicy.defaults();
    private HealthCheck healthCheck;
    private RolloutListener listener = RolloutListener.NONE;

    private Builder() {}

    /**
     * The hosts, in the order they are rolled out to (the first ones are the canaries).
     *
     * @throws IllegalArgumentException when two hosts have the same name
     */
    public Builder hosts(List<FleetHost> hosts) {
      Set<String> names = new HashSet<>();
      for (FleetHost host : Objects.requireNonNull(hosts, "hosts")) {
        Objects.requireNonNull(host, "host");
        if (!names.add(host.name())) {
          throw new IllegalArgumentException(
              "host name '" + host.name() + "' appears twice; names must be unique");
        }
      }
      this.hosts = List.copyOf(hosts);
      return this;
    }

    /** The task run on each host. */
    public Builder task(HostTask task) {
      this.task = Objects.requireNonNull(task, "task");
      return this;
    }

    /** The policy; {@link RolloutPolicy#defaults()} unless set. */
    public Builder policy(RolloutPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Uses {@link RolloutPolicy#observe()}: for read-only tasks, no stop, no rollback. */
    public Builder observe() {
      return policy(RolloutPolicy.observe());
    }

    /** A check run after each batch; a failing check fails the batch. None by default. */
    public Builder healthCheck(HealthCheck healthCheck) {
      this.healthCheck = Objects.requireNonNull(healthCheck, "healthCheck");
      return this;
    }

    /** Receives progress events; {@link RolloutListener#NONE} by default. */
    public Builder listener(RolloutListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * A new rollout.
     *
     * @throws IllegalStateException when hosts or the task are missing
     */
    public Rollout build() {
      if (hosts == null) {
        throw new IllegalStateException("hosts(...) was not called");
      }
      if (task == null) {
        throw new IllegalStateException("task(...) was not called");
      }
      return new Rollout(this);
    }
  }
}
