package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent applies on one host (a namespace), each through its own applier as two operators'
 * tools would: the host lock serialises them, and an apply whose read went stale re-reads instead
 * of losing the other's update or rolling back to a state from before both.
 */
@Privileged(tools = {"ip", "iptables", "ip6tables", "flock"})
class IptablesConcurrencyIT {
  private static final int ROUNDS = 4;

  @TempDir Path state;
  private TestNetworks net;
  private String node;
  private CommandExecutor executor;

  @BeforeEach
  void createNode() {
    net = TestNetworks.create();
    node = net.namespace("race");
    executor = net.executor(node);
  }

  @AfterEach
  void deleteNode() {
    net.close();
  }

  private IptablesApplier applier() {
    return IptablesApplier.builder(executor).stateDirectory(state.toString()).build();
  }

  /** Runs both at once (released together) and returns their results. */
  private static <T> List<T> together(Callable<T> a, Callable<T> b) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch start = new CountDownLatch(1);
      Future<T> first =
          threads.submit(
              () -> {
                start.await();
                return a.call();
              });
      Future<T> second =
          threads.submit(
              () -> {
                start.await();
                return b.call();
              });
      start.countDown();
      return List.of(first.get(120, TimeUnit.SECONDS), second.get(120, TimeUnit.SECONDS));
    } finally {
      threads.shutdownNow();
    }
  }

  private boolean holds(NodePortAllowlist list) {
    for (IpFamily family : IpFamily.values()) {
      String saved = net.exec(node, family.command() + "-save").stdoutUtf8();
      if (!IptablesPlan.of(IptablesRuleSet.parse(family, saved), list.ruleSet(family)).isEmpty()) {
        return false;
      }
    }
    return true;
  }

  @Test
  void twoConcurrentAppliesOfTheSameAllowlistBothSucceedWithoutRollback() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      NodePortAllowlist list = ApplyInAnotherJvm.allowlist(round);
      IptablesApplier a = applier();
      IptablesApplier b = applier();

      List<IptablesApplyResult> results = together(() -> a.apply(list), () -> b.apply(list));

      assertThat(results).allMatch(IptablesApplyResult::verified).noneMatch(r -> r.rolledBack());
      // one wrote; the other, serialised after it, found nothing left to do
      assertThat(results).filteredOn(IptablesApplyResult::changed).hasSize(1);
      assertThat(holds(list)).as("round %d", round).isTrue();
    }
  }

  @Test
  void concurrentAppliesOfDifferentAllowlistsEndInOneOfThemWhole() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      NodePortAllowlist first = ApplyInAnotherJvm.allowlist(2 * round);
      NodePortAllowlist second = ApplyInAnotherJvm.allowlist(2 * round + 1);
      IptablesApplier a = applier();
      IptablesApplier b = applier();

      List<IptablesApplyResult> results = together(() -> a.apply(first), () -> b.apply(second));

      assertThat(results).allMatch(IptablesApplyResult::verified).allMatch(r -> r.changed());
      // the later one planned from the earlier one's result: its snapshot is that result
      assertThat(holds(first) || holds(second)).as("round %d", round).isTrue();
      IptablesApplyResult later =
          results.get(0).generation().getAsLong() > results.get(1).generation().getAsLong()
              ? results.get(0)
              : results.get(1);
      NodePortAllowlist earlier = later == results.get(0) ? second : first;
      NodePortAllowlist winner = later == results.get(0) ? first : second;
      assertThat(holds(winner)).isTrue();
      IptablesRuleSet before = later.snapshot().ruleSet(IpFamily.IPV6).orElseThrow();
      assertThat(IptablesPlan.of(before, earlier.ruleSet(IpFamily.IPV6)).isEmpty()).isTrue();
    }
  }

  @Test
  void aFailedCheckDoesNotRollBackAnotherApplyThatCameInBetween() throws Exception {
    NodePortAllowlist mine = ApplyInAnotherJvm.allowlist(0);
    NodePortAllowlist theirs = ApplyInAnotherJvm.allowlist(1);
    IptablesApplier other = applier();

    IptablesApplyResult result =
        applier()
            .applyWithCheck(
                mine,
                () -> {
                  // while this apply's check runs, another operator applies theirs
                  other.apply(theirs);
                  return false;
                },
                Duration.ofSeconds(60));

    assertThat(result.rolledBack()).isFalse();
    assertThat(result.checkFailure()).hasValue("check returned false");
    assertThat(result.warnings()).anyMatch(w -> w.startsWith("not rolled back"));
    assertThat(result.summary()).contains("not rolled back");
    // rolling back to the snapshot from before both would have lost their update
    assertThat(holds(theirs)).isTrue();
  }

  @Test
  void aHeldLockMakesTheApplyFailClearlyAfterABoundedWait() throws Exception {
    NodePortAllowlist list = ApplyInAnotherJvm.allowlist(0);
    applier().observe(IpFamily.IPV4); // creates the lock file
    Path lock;
    try (Stream<Path> files = Files.list(state)) {
      lock = files.filter(f -> f.toString().endsWith(".lock")).findFirst().orElseThrow();
    }
    Process holder =
        new ProcessBuilder("flock", "-o", lock.toString(), "sleep", "30")
            .redirectErrorStream(true)
            .start();
    try {
      Thread.sleep(300);
      IptablesApplier impatient =
          IptablesApplier.builder(executor)
              .stateDirectory(state.toString())
              .lockWait(Duration.ofMillis(500))
              .build();
      long start = System.nanoTime();
      assertThatThrownBy(() -> impatient.apply(list))
          .isInstanceOfSatisfying(
              HostLockedException.class,
              e -> {
                assertThat(e.lockFile()).isEqualTo(lock.toString());
                assertThat(e.getMessage())
                    .contains("another opskit apply holds the lock " + lock)
                    .contains("nothing was changed");
              });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    } finally {
      holder.destroyForcibly().waitFor();
    }
    assertThat(holds(list)).isFalse();
    assertThat(applier().apply(list).changed()).isTrue();
  }
}
