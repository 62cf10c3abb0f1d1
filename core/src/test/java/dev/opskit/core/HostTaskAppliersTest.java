package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * {@link HostTask#applying} and {@link HostTask#observing} turn any {@link Applier} into a rollout
 * task: apply with rollback through the applier, or plan only.
 */
class HostTaskAppliersTest {
  /** Each host's one value, by the executor that reaches it. */
  private final Map<CommandExecutor, String> values = new ConcurrentHashMap<>();

  private record ValuePlan(String from, String to) implements Applier.Plan {
    @Override
    public boolean isEmpty() {
      return from.equals(to);
    }

    @Override
    public String summary() {
      return isEmpty() ? "up to date" : "set " + from + " -> " + to;
    }

    @Override
    public String render() {
      return summary() + "\n";
    }
  }

  private record ValueResult(ValuePlan plan) implements Applier.Result {
    @Override
    public boolean changed() {
      return !plan.isEmpty();
    }

    @Override
    public String summary() {
      return plan.summary();
    }
  }

  /** An applier of one value per host, kept in {@link #values}. */
  private final class ValueApplier implements Applier<String, String, ValuePlan, ValueResult> {
    private final CommandExecutor executor;

    ValueApplier(CommandExecutor executor) {
      this.executor = executor;
    }

    @Override
    public String observe(String desired) {
      return values.get(executor);
    }

    @Override
    public ValuePlan plan(String desired) {
      return new ValuePlan(observe(desired), desired);
    }

    @Override
    public ValueResult apply(String desired) {
      ValuePlan plan = plan(desired);
      values.put(executor, desired);
      return new ValueResult(plan);
    }

    @Override
    public ValuePlan verify(String desired) {
      return plan(desired);
    }

    @Override
    public void rollBack(ValueResult applied) {
      values.put(executor, applied.plan().from());
    }
  }

  private List<FleetHost> hosts(String... start) {
    List<FleetHost> hosts = new ArrayList<>();
    for (int i = 0; i < start.length; i++) {
      CommandExecutor executor = FakeCommandExecutor.create();
      values.put(executor, start[i]);
      hosts.add(FleetHost.of("host-" + i, executor));
    }
    return hosts;
  }

  private static RolloutReport run(List<FleetHost> hosts, HostTask task, HealthCheck check) {
    return Rollout.builder()
        .hosts(hosts)
        .task(task)
        .policy(RolloutPolicy.builder().batch(HostCount.percent(100)).build())
        .healthCheck(check)
        .build()
        .run();
  }

  @Test
  void applyingChangesHostsThatDifferAndGroupsThemBySummary() {
    List<FleetHost> hosts = hosts("1", "1", "2");

    RolloutReport report = run(hosts, HostTask.applying(ValueApplier::new, "2"), batch -> true);

    assertThat(report.count(HostStatus.CHANGED)).isEqualTo(2);
    assertThat(report.count(HostStatus.UNCHANGED)).isEqualTo(1);
    assertThat(report.groups())
        .containsEntry("changed: set 1 -> 2", List.of("host-0", "host-1"))
        .containsEntry("unchanged: up to date", List.of("host-2"));
    assertThat(values.values()).containsOnly("2");
  }

  @Test
  void aFailedBatchIsRolledBackThroughTheApplier() {
    List<FleetHost> hosts = hosts("1", "3");

    RolloutReport report = run(hosts, HostTask.applying(ValueApplier::new, "2"), batch -> false);

    assertThat(report.count(HostStatus.ROLLED_BACK)).isEqualTo(2);
    assertThat(values.get(hosts.get(0).executor())).isEqualTo("1");
    assertThat(values.get(hosts.get(1).executor())).isEqualTo("3");
  }

  @Test
  void observingPlansOnlyAndReportsHostsThatDiffer() {
    List<FleetHost> hosts = hosts("1", "2");

    RolloutReport report =
        Rollout.builder()
            .hosts(hosts)
            .task(HostTask.observing(ValueApplier::new, "2"))
            .observe()
            .build()
            .run();

    assertThat(report.host("host-0").orElseThrow().status()).isEqualTo(HostStatus.CHANGED);
    assertThat(report.host("host-0").orElseThrow().summary()).isEqualTo("set 1 -> 2");
    assertThat(report.host("host-1").orElseThrow().status()).isEqualTo(HostStatus.UNCHANGED);
    assertThat(values.get(hosts.get(0).executor())).isEqualTo("1");
  }
}
