package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fleet of 1,000 in-memory hosts running {@link SomaxconnTask}: the report must account for every
 * host exactly, and a failed batch must be restored to each host's own prior value.
 */
@Timeout(120)
class SimulatedFleetTest {
  private static final int SIZE = 1_000;

  private final List<MemorySysctlHost> machines = new ArrayList<>();
  private final List<FleetHost> fleet = new ArrayList<>();

  SimulatedFleetTest() {
    for (int i = 0; i < SIZE; i++) {
      // A third is already at the desired value; the rest have one of two older values.
      String value = i % 3 == 0 ? "32768" : i % 3 == 1 ? "4096" : "128";
      MemorySysctlHost machine = new MemorySysctlHost(value);
      if (i % 100 == 99) {
        machine.unreachable();
      }
      machines.add(machine);
      fleet.add(FleetHost.of("node-" + i, machine));
    }
  }

  @Test
  void everyHostIsAccountedForAndASecondRolloutChangesNothing() {
    RolloutPolicy policy =
        RolloutPolicy.builder()
            .canary(3)
            .batch(HostCount.percent(5))
            .maxParallel(32)
            .maxFailures(HostCount.percent(2))
            .build();
    AtomicInteger finished = new AtomicInteger();
    RolloutListener counting =
        new RolloutListener() {
          @Override
          public void hostFinished(HostResult result) {
            finished.incrementAndGet();
          }
        };
    RolloutReport first =
        Rollout.builder()
            .hosts(fleet)
            .task(new SomaxconnTask("32768"))
            .policy(policy)
            .listener(counting)
            .build()
            .run();

    int unchanged = 0;
    int from4096 = 0;
    int from128 = 0;
    for (int i = 0; i < SIZE; i++) {
      if (i % 100 == 99) {
        continue;
      }
      if (i % 3 == 0) {
        unchanged++;
      } else if (i % 3 == 1) {
        from4096++;
      } else {
        from128++;
      }
    }
    assertThat(first.hosts()).hasSize(SIZE);
    assertThat(finished.get()).isEqualTo(SIZE);
    assertThat(first.stopReason()).isEmpty();
    assertThat(first.count(HostStatus.UNREACHABLE)).isEqualTo(10);
    assertThat(first.count(HostStatus.UNCHANGED)).isEqualTo(unchanged);
    assertThat(first.groups())
        .containsEntry("changed: set net.core.somaxconn 4096 -> 32768", names(i -> i % 3 == 1))
        .containsEntry("changed: set net.core.somaxconn 128 -> 32768", names(i -> i % 3 == 2));
    assertThat(first.summary())
        .isEqualTo(
            unchanged
                + " hosts unchanged: net.core.somaxconn already 32768, "
                + from4096
                + " hosts changed: set net.core.somaxconn 4096 -> 32768, "
                + from128
                + " hosts changed: set net.core.somaxconn 128 -> 32768, "
                + "10 hosts unreachable");
    for (int i = 0; i < SIZE; i++) {
      assertThat(machines.get(i).value())
          .as("node-%d", i)
          .isEqualTo(i % 100 == 99 ? initial(i) : "32768");
    }

    RolloutReport second =
        Rollout.builder()
            .hosts(fleet)
            .task(new SomaxconnTask("32768"))
            .policy(policy)
            .build()
            .run();
    assertThat(second.count(HostStatus.UNCHANGED)).isEqualTo(SIZE - 10);
    assertThat(second.count(HostStatus.UNREACHABLE)).isEqualTo(10);
  }

  @Test
  void aFailedBatchInALargeFleetIsRestoredToEachHostsPriorValue() {
    List<MemorySysctlHost> reachable = new ArrayList<>();
    List<FleetHost> hosts = new ArrayList<>();
    for (int i = 0; i < 990; i++) {
      reachable.add(new MemorySysctlHost(initial(i)));
      hosts.add(FleetHost.of("node-" + i, reachable.get(i)));
    }
    AtomicInteger batches = new AtomicInteger();
    RolloutReport report =
        Rollout.builder()
            .hosts(hosts)
            .task(new SomaxconnTask("65535"))
            .policy(RolloutPolicy.builder().batch(HostCount.of(100)).maxParallel(16).build())
            .healthCheck(batch -> batches.incrementAndGet() < 4)
            .build()
            .run();
    assertThat(report.stopReason()).hasValue("batch 4: health check after batch 4 failed");
    for (int i = 0; i < 990; i++) {
      HostStatus expected =
          i < 300 ? HostStatus.CHANGED : i < 400 ? HostStatus.ROLLED_BACK : HostStatus.SKIPPED;
      assertThat(report.hosts().get(i).status()).as("node-%d", i).isEqualTo(expected);
      assertThat(reachable.get(i).value())
          .as("node-%d", i)
          .isEqualTo(i < 300 ? "65535" : initial(i));
    }
  }

  private static String initial(int i) {
    return i % 3 == 0 ? "32768" : i % 3 == 1 ? "4096" : "128";
  }

  private static List<String> names(java.util.function.IntPredicate which) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      if (i % 100 != 99 && which.test(i)) {
        names.add("node-" + i);
      }
    }
    return names;
  }
}
