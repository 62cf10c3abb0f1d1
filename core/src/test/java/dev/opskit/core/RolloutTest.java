package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Scheduling, budget, health checks, rollback and interrupts of {@link Rollout} on fake hosts. */
@Timeout(60)
class RolloutTest {
  private static final CommandExecutor NOWHERE =
      command -> {
        throw new IOException("not used");
      };

  private static List<FleetHost> hosts(int count) {
    List<FleetHost> hosts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      hosts.add(FleetHost.of(String.format("h%02d", i), NOWHERE));
    }
    return hosts;
  }

  /** A rollout of {@code task} over {@code count} fake hosts under {@code policy}. */
  private static Rollout.Builder rollout(int count, RolloutPolicy policy, HostTask task) {
    return Rollout.builder().hosts(hosts(count)).policy(policy).task(task);
  }

  /** A policy of batches of {@code size} hosts. */
  private static RolloutPolicy.Builder batchesOf(int size) {
    return RolloutPolicy.builder().batch(HostCount.of(size));
  }

  /** Records batches, rollbacks and the order hosts start and end in. */
  private static final class Recorder implements RolloutListener {
    final List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());
    final List<String> rolledBack = Collections.synchronizedList(new ArrayList<>());
    final List<Optional<String>> batchFailures = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger finished = new AtomicInteger();

    @Override
    public void hostFinished(HostResult result) {
      finished.incrementAndGet();
    }

    @Override
    public void batchStarted(int number, List<String> hosts) {
      batches.add(hosts);
    }

    @Override
    public void batchFinished(int number, Optional<String> failure) {
      batchFailures.add(failure);
    }

    @Override
    public void hostRolledBack(HostResult result) {
      rolledBack.add(result.host());
    }
  }

  /** A task that changes every host, with a rollback that records the host. */
  private static HostTask changing(Set<String> failing, Set<String> rolledBack) {
    return host -> {
      if (failing.contains(host.name())) {
        throw new IllegalStateException("broken step on " + host.name());
      }
      return HostOutcome.changed("set x 1 -> 2", () -> rolledBack.add(host.name()));
    };
  }

  @Test
  void canaryHostsRunFirstEachAloneThenBatchesByCount() {
    AtomicInteger running = new AtomicInteger();
    List<Integer> concurrency = Collections.synchronizedList(new ArrayList<>());
    List<String> started = Collections.synchronizedList(new ArrayList<>());
    Recorder recorder = new Recorder();
    RolloutReport report =
        rollout(
                10,
                batchesOf(3).canary(2).maxParallel(3).build(),
                host -> {
                  started.add(host.name());
                  concurrency.add(running.incrementAndGet());
                  Thread.sleep(5);
                  running.decrementAndGet();
                  return HostOutcome.changed("done");
                })
            .listener(recorder)
            .build()
            .run();

    assertThat(recorder.batches)
        .containsExactly(
            List.of("h00"),
            List.of("h01"),
            List.of("h02", "h03", "h04"),
            List.of("h05", "h06", "h07"),
            List.of("h08", "h09"));
    assertThat(started.subList(0, 2)).containsExactly("h00", "h01");
    assertThat(concurrency.subList(0, 2)).containsOnly(1);
    assertThat(report.isSuccess()).isTrue();
    assertThat(report.count(HostStatus.CHANGED)).isEqualTo(10);
  }

  /** A percentage of the hosts is rounded up: 25% of 7 is 1.75, so 2 hosts per batch. */
  @ParameterizedTest(name = "{0} hosts, canary {1}, batch {2}: {3}")
  @CsvSource({"7, 0, 25%, 2 2 2 1", "100, 1, 30%, 1 30 30 30 9"})
  void batchesByPercentageRoundUp(int count, int canary, String batch, String sizes) {
    Recorder recorder = new Recorder();
    rollout(
            count,
            RolloutPolicy.builder().canary(canary).batch(HostCount.parse(batch)).build(),
            host -> HostOutcome.unchanged("ok"))
        .listener(recorder)
        .build()
        .run();
    assertThat(recorder.batches)
        .extracting(List::size)
        .containsExactlyElementsOf(
            Arrays.stream(sizes.split(" ")).map(Integer::valueOf).collect(Collectors.toList()));
  }

  @Test
  void maxParallelBoundsHostsRunningAtOnce() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    rollout(
            40,
            batchesOf(40).maxParallel(4).build(),
            host -> {
              peak.accumulateAndGet(running.incrementAndGet(), Math::max);
              Thread.sleep(2);
              running.decrementAndGet();
              return HostOutcome.unchanged("ok");
            })
        .build()
        .run();
    assertThat(peak.get()).isBetween(1, 4);
  }

  @Test
  void failureBeyondTheBudgetStopsAndRollsBackTheFailedBatch() {
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    Recorder recorder = new Recorder();
    RolloutReport report =
        rollout(
                20,
                batchesOf(5).maxParallel(1).maxFailures(HostCount.of(1)).build(),
                changing(Set.of("h06", "h07"), rolledBack))
            .listener(recorder)
            .build()
            .run();

    // Batch 1 (h00-h04) is kept; in batch 2 the second failure (h07) exceeds the budget of 1.
    assertThat(report.host("h00").get().status()).isEqualTo(HostStatus.CHANGED);
    assertThat(report.host("h05").get().status()).isEqualTo(HostStatus.ROLLED_BACK);
    assertThat(report.host("h06").get().status()).isEqualTo(HostStatus.FAILED);
    assertThat(report.host("h06").get().summary()).isEqualTo("broken step on h06");
    assertThat(report.host("h07").get().status()).isEqualTo(HostStatus.FAILED);
    assertThat(report.host("h08").get().status()).isEqualTo(HostStatus.SKIPPED);
    assertThat(report.host("h19").get().status()).isEqualTo(HostStatus.SKIPPED);
    assertThat(rolledBack).containsExactly("h05");
    assertThat(report.counts())
        .containsEntry(HostStatus.CHANGED, 5)
        .containsEntry(HostStatus.ROLLED_BACK, 1)
        .containsEntry(HostStatus.FAILED, 2)
        .containsEntry(HostStatus.SKIPPED, 12);
    assertThat(report.stopReason())
        .hasValue("batch 2: failure budget exceeded: 2 hosts failed, at most 1 allowed");
    assertThat(recorder.batches).hasSize(2);
    assertThat(recorder.finished.get()).isEqualTo(20);
    assertThat(recorder.rolledBack).containsExactly("h05");
    assertThat(recorder.batchFailures)
        .containsExactly(Optional.empty(), Optional.of(report.stopReason().get().substring(9)));
    assertThat(report.isSuccess()).isFalse();
  }

  @Test
  void failuresWithinTheBudgetAreReportedAndTheRolloutGoesOn() {
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    RolloutReport report =
        rollout(
                10,
                batchesOf(5).maxFailures(HostCount.percent(10)).build(),
                changing(Set.of("h03"), rolledBack))
            .build()
            .run();
    assertThat(report.stopReason()).isEmpty();
    assertThat(report.count(HostStatus.CHANGED)).isEqualTo(9);
    assertThat(report.count(HostStatus.FAILED)).isEqualTo(1);
    assertThat(rolledBack).isEmpty();
    assertThat(report.isSuccess()).isFalse();
  }

  @Test
  void transportErrorsAreUnreachableAndCountAgainstTheBudget() {
    RolloutReport report =
        rollout(
                4,
                batchesOf(2).maxParallel(1).build(),
                host -> {
                  if (host.name().equals("h02")) {
                    host.executor().execute("true");
                  }
                  return HostOutcome.changed("done", () -> {});
                })
            .build()
            .run();
    assertThat(report.host("h02").get().status()).isEqualTo(HostStatus.UNREACHABLE);
    assertThat(report.host("h02").get().summary()).isEqualTo("not used");
    assertThat(report.host("h03").get().status()).isEqualTo(HostStatus.SKIPPED);
    assertThat(report.host("h00").get().status()).isEqualTo(HostStatus.CHANGED);
    assertThat(report.stopReason()).hasValueSatisfying(r -> r.contains("failure budget"));
  }

  @Test
  void aFailedCanaryStopsWhateverTheBudget() {
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    RolloutReport report =
        rollout(
                10,
                batchesOf(5).canary(1).maxFailures(HostCount.of(5)).build(),
                changing(Set.of("h00"), rolledBack))
            .build()
            .run();
    assertThat(report.host("h00").get().status()).isEqualTo(HostStatus.FAILED);
    assertThat(report.count(HostStatus.SKIPPED)).isEqualTo(9);
    assertThat(report.stopReason()).hasValue("batch 1: canary host h00 failed");
  }

  @Test
  void anUnhealthyBatchIsRolledBackAndStopsTheRollout() {
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    AtomicInteger checks = new AtomicInteger();
    RolloutReport report =
        rollout(9, batchesOf(3).build(), changing(Set.of(), rolledBack))
            .healthCheck(batch -> checks.incrementAndGet() < 2)
            .build()
            .run();
    assertThat(rolledBack).containsExactlyInAnyOrder("h03", "h04", "h05");
    assertThat(report.count(HostStatus.CHANGED)).isEqualTo(3);
    assertThat(report.count(HostStatus.ROLLED_BACK)).isEqualTo(3);
    assertThat(report.count(HostStatus.SKIPPED)).isEqualTo(3);
    assertThat(report.host("h04").get().summary()).isEqualTo("set x 1 -> 2");
    assertThat(report.stopReason()).hasValue("batch 2: health check after batch 2 failed");
  }

  @Test
  void aHealthCheckThatThrowsFailsTheBatchWithItsMessage() {
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    RolloutReport report =
        rollout(4, batchesOf(2).build(), changing(Set.of(), rolledBack))
            .healthCheck(
                batch -> {
                  throw new IOException("probe of " + batch.get(0) + " refused");
                })
            .build()
            .run();
    assertThat(rolledBack).containsExactlyInAnyOrder("h00", "h01");
    assertThat(report.stopReason())
        .hasValue("batch 1: health check after batch 1 failed: probe of h00 refused");
  }

  @Test
  void aHealthCheckThatHangsTimesOutAndTheBatchIsRolledBack() {
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    CountDownLatch never = new CountDownLatch(1);
    AtomicReference<Boolean> checkInterrupted = new AtomicReference<>(false);
    RolloutReport report =
        rollout(
                4,
                batchesOf(2).healthCheckTimeout(Duration.ofMillis(200)).build(),
                changing(Set.of(), rolledBack))
            .healthCheck(
                batch -> {
                  try {
                    return never.await(1, TimeUnit.MINUTES);
                  } catch (InterruptedException e) {
                    checkInterrupted.set(true);
                    throw e;
                  }
                })
            .build()
            .run();
    assertThat(rolledBack).containsExactlyInAnyOrder("h00", "h01");
    assertThat(report.stopReason())
        .hasValue("batch 1: health check after batch 1 timed out after PT0.2S");
    assertThat(report.count(HostStatus.SKIPPED)).isEqualTo(2);
  }

  @Test
  void unchangedHostsAndChangesWithoutRollbackAreLeftAsTheyAre() {
    RolloutReport report =
        rollout(
                3,
                batchesOf(3).build(),
                host -> {
                  switch (host.name()) {
                    case "h00":
                      return HostOutcome.unchanged("already up to date");
                    case "h01":
                      return HostOutcome.changed("restarted a service");
                    default:
                      return HostOutcome.changed("set x", () -> {});
                  }
                })
            .healthCheck(batch -> false)
            .build()
            .run();
    assertThat(report.hosts())
        .extracting(HostResult::status)
        .containsExactly(HostStatus.UNCHANGED, HostStatus.CHANGED, HostStatus.ROLLED_BACK);
  }

  @Test
  void aFailedRollbackIsReportedAsFailed() {
    RolloutReport report =
        rollout(
                1,
                RolloutPolicy.defaults(),
                host ->
                    HostOutcome.changed(
                        "set x",
                        () -> {
                          throw new IOException("connection dropped");
                        }))
            .healthCheck(batch -> false)
            .build()
            .run();
    HostResult host = report.hosts().get(0);
    assertThat(host.status()).isEqualTo(HostStatus.FAILED);
    assertThat(host.summary()).isEqualTo("rollback failed: connection dropped (after: set x)");
  }

  @Test
  void anInterruptLetsRunningHostsFinishRollsBackTheBatchAndSkipsTheRest() throws Exception {
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<RolloutReport> report = new AtomicReference<>();
    AtomicReference<Boolean> flagAfter = new AtomicReference<>();
    Rollout rollout =
        rollout(
                9,
                batchesOf(3).maxParallel(1).build(),
                host -> {
                  if (host.name().equals("h04")) {
                    started.countDown();
                    release.await();
                  }
                  return HostOutcome.changed("set x", () -> rolledBack.add(host.name()));
                })
            .build();
    Thread runner =
        new Thread(
            () -> {
              report.set(rollout.run());
              flagAfter.set(Thread.currentThread().isInterrupted());
            });
    runner.start();
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    runner.interrupt();
    Thread.sleep(50);
    release.countDown();
    runner.join(30_000);

    RolloutReport result = report.get();
    assertThat(result.interrupted()).isTrue();
    assertThat(flagAfter.get()).isTrue();
    assertThat(result.stopReason()).hasValue("batch 2: interrupted");
    assertThat(rolledBack).containsExactlyInAnyOrder("h03", "h04");
    assertThat(result.hosts())
        .extracting(HostResult::status)
        .containsExactly(
            HostStatus.CHANGED,
            HostStatus.CHANGED,
            HostStatus.CHANGED,
            HostStatus.ROLLED_BACK,
            HostStatus.ROLLED_BACK,
            HostStatus.SKIPPED,
            HostStatus.SKIPPED,
            HostStatus.SKIPPED,
            HostStatus.SKIPPED);
  }

  @Test
  void anInterruptCanAlsoInterruptTheRunningHosts() throws Exception {
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<RolloutReport> report = new AtomicReference<>();
    Rollout rollout =
        rollout(
                4,
                batchesOf(4).maxParallel(1).interruptRunningHosts(true).build(),
                host -> {
                  if (host.name().equals("h01")) {
                    started.countDown();
                    Thread.sleep(60_000);
                  }
                  return HostOutcome.changed("set x", () -> rolledBack.add(host.name()));
                })
            .build();
    Thread runner = new Thread(() -> report.set(rollout.run()));
    runner.start();
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    runner.interrupt();
    runner.join(30_000);
    RolloutReport result = report.get();
    assertThat(result.hosts())
        .extracting(HostResult::status)
        .containsExactly(
            HostStatus.ROLLED_BACK, HostStatus.FAILED, HostStatus.SKIPPED, HostStatus.SKIPPED);
    assertThat(result.host("h01").get().summary()).isEqualTo("interrupted");
    assertThat(rolledBack).containsExactly("h00");
  }

  @Test
  void observeRunsEveryHostAndNeverStopsOrRollsBack() {
    RolloutReport report =
        Rollout.builder()
            .hosts(hosts(10))
            .observe()
            .task(
                host -> {
                  if (host.name().equals("h01")) {
                    host.executor().execute("true");
                  }
                  return host.name().compareTo("h05") < 0
                      ? HostOutcome.changed("net.core.somaxconn differs: 4096, want 32768")
                      : HostOutcome.unchanged("as desired");
                })
            .build()
            .run();
    assertThat(report.stopReason()).isEmpty();
    assertThat(report.summary())
        .isEqualTo(
            "5 hosts unchanged: as desired, "
                + "4 hosts changed: net.core.somaxconn differs: 4096, want 32768, "
                + "1 host unreachable");
  }

  @Test
  void reportGroupsIdenticalOutcomesAndRendersTableAndJson() {
    RolloutReport report =
        RolloutReport.of(
            List.of(
                HostResult.of(
                    "a", HostStatus.UNCHANGED, "already up to date", Duration.ofMillis(3)),
                HostResult.of("b", HostStatus.CHANGED, "set k 1 -> 2", Duration.ofMillis(12)),
                HostResult.of(
                    "c", HostStatus.UNCHANGED, "already up to date", Duration.ofMillis(4)),
                HostResult.of("d", HostStatus.UNREACHABLE, "no route \"d\"", Duration.ofMillis(1))),
            Duration.ofMillis(20),
            null,
            false);
    assertThat(report.summary())
        .isEqualTo(
            "2 hosts unchanged: already up to date, 1 host changed: set k 1 -> 2,"
                + " 1 host unreachable");
    assertThat(report.groups())
        .containsExactly(
            Map.entry("unchanged: already up to date", List.of("a", "c")),
            Map.entry("changed: set k 1 -> 2", List.of("b")),
            Map.entry("unreachable", List.of("d")));
    String nl = System.lineSeparator();
    assertThat(report.renderTable())
        .isEqualTo(
            "HOST  STATUS        DURATION  SUMMARY"
                + nl
                + "a     UNCHANGED         3 ms  already up to date"
                + nl
                + "b     CHANGED          12 ms  set k 1 -> 2"
                + nl
                + "c     UNCHANGED         4 ms  already up to date"
                + nl
                + "d     UNREACHABLE       1 ms  no route \"d\""
                + nl
                + report.summary()
                + nl);
    assertThat(report.toJson())
        .isEqualTo(
            "{\"success\":false,\"interrupted\":false,\"stopReason\":null,\"durationMillis\":20,"
                + "\"counts\":{\"CHANGED\":1,\"UNCHANGED\":2,\"FAILED\":0,\"UNREACHABLE\":1,"
                + "\"ROLLED_BACK\":0,\"SKIPPED\":0},"
                + "\"groups\":[{\"label\":\"unchanged: already up to date\",\"count\":2,"
                + "\"hosts\":[\"a\",\"c\"]},{\"label\":\"changed: set k 1 -> 2\",\"count\":1,"
                + "\"hosts\":[\"b\"]},{\"label\":\"unreachable\",\"count\":1,\"hosts\":[\"d\"]}],"
                + "\"hosts\":[{\"name\":\"a\",\"status\":\"UNCHANGED\","
                + "\"summary\":\"already up to date\",\"durationMillis\":3},"
                + "{\"name\":\"b\",\"status\":\"CHANGED\",\"summary\":\"set k 1 -> 2\","
                + "\"durationMillis\":12},{\"name\":\"c\",\"status\":\"UNCHANGED\","
                + "\"summary\":\"already up to date\",\"durationMillis\":4},"
                + "{\"name\":\"d\",\"status\":\"UNREACHABLE\",\"summary\":\"no route \\\"d\\\"\","
                + "\"durationMillis\":1}]}");
  }

  static Stream<Arguments> badValues() {
    List<FleetHost> twice = List.of(FleetHost.of("a", NOWHERE), FleetHost.of("a", NOWHERE));
    return Stream.of(
        bad("batch 0", () -> batchesOf(0).build()),
        bad("max parallel 0", () -> RolloutPolicy.builder().maxParallel(0).build()),
        bad("canary -1", () -> RolloutPolicy.builder().canary(-1).build()),
        bad(
            "health check timeout PT0S",
            () -> RolloutPolicy.builder().healthCheckTimeout(Duration.ZERO).build()),
        bad("'ten'", () -> HostCount.parse("ten")),
        bad("101", () -> HostCount.parse("101%")),
        bad("host name 'bad name'", () -> FleetHost.of("bad name", NOWHERE)),
        bad("'a' appears twice", () -> Rollout.builder().hosts(twice)));
  }

  private static Arguments bad(String named, ThrowingCallable construction) {
    return Arguments.of(named, construction);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badValues")
  void policyAndBuilderRejectBadValuesNamingThem(String named, ThrowingCallable construction) {
    assertThatThrownBy(construction)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(named);
  }

  @Test
  void hostCountsParseAndARolloutNeedsATask() {
    assertThat(HostCount.parse("5")).isEqualTo(HostCount.of(5));
    assertThat(HostCount.parse("10%").toString()).isEqualTo("10%");
    assertThatThrownBy(() -> Rollout.builder().hosts(hosts(1)).build())
        .isInstanceOf(IllegalStateException.class);
  }
}
