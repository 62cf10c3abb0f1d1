package dev.opskit.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.iptables.HostLockedException;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesApplyException;
import dev.opskit.iptables.IptablesApplyResult;
import dev.opskit.iptables.IptablesBackend;
import dev.opskit.iptables.IptablesPersistence;
import dev.opskit.iptables.IptablesPlan;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import dev.opskit.sysctl.LimitsApplier;
import dev.opskit.sysctl.LimitsProfile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** What FakeHost promises: the appliers' guarantees hold on it, and faults reach them. */
class FakeHostTest {
  private static final List<String> RESTORE_V4 = List.of("iptables-restore", "--noflush", "-w");
  private static final String JOURNAL = "/run/opskit/iptables-4026531840.journal";

  private static NodePortAllowlist allowlist(String name, int port) {
    return NodePortAllowlist.builder()
        .name(name)
        .addPorts(PortRange.of(port))
        .addAllowedCidrs("198.18.1.0/24", "2001:db8::/64")
        .build();
  }

  @Test
  void anIpv6RestoreThatFailsMidBatchLeavesNoIpv4RulesBehind() {
    FakeHost host =
        FakeHost.create().failNext("ip6tables-restore", 1, "ip6tables-restore: line 3 failed");

    assertThatThrownBy(() -> IptablesApplier.on(host).apply(allowlist("web", 30080)))
        .isInstanceOfSatisfying(
            IptablesApplyException.class,
            e -> {
              assertThat(e.getMessage()).contains("line 3 failed", "previous state restored");
              assertThat(e.rolledBack()).isTrue();
            });
    assertThat(host.iptablesSave(IpFamily.IPV4)).doesNotContain("OPSKIT-web");
    assertThat(host.iptablesSave(IpFamily.IPV6)).doesNotContain("OPSKIT-web");
    // the failed batch left its journal; the rollback, a write of its own, cleared it
    assertThat(host.file(JOURNAL).orElse("")).isEmpty();
  }

  @Test
  void anIpsetAllowlistWhoseRulesFailLeavesNoSetBehind() {
    NodePortAllowlist list =
        NodePortAllowlist.builder().from(allowlist("web", 30080)).useIpset(true).build();
    FakeHost host = FakeHost.create().failNext("ip6tables-restore", 1, "line 2 failed");

    assertThatThrownBy(() -> IptablesApplier.on(host).apply(list))
        .isInstanceOf(IptablesApplyException.class);
    assertThat(host.ipsets()).isEmpty();
    assertThat(host.iptablesSave(IpFamily.IPV4)).doesNotContain("match-set");
  }

  /** A host where an apply of {@code list} stopped after its IPv4 write, leaving its journal. */
  private static FakeHost interrupted(FakeHost host, NodePortAllowlist list) {
    host.afterNext(
        RESTORE_V4::equals,
        () -> {
          throw new IllegalStateException("the client died");
        });
    assertThatThrownBy(() -> IptablesApplier.on(host).apply(list))
        .hasMessageContaining("the client died");
    assertThat(host.file(JOURNAL).orElse("")).isNotEmpty();
    return host;
  }

  @Test
  void aJournalWhoseWritesReachedNothingOnThisHostIsDropped() throws Exception {
    String journal = interrupted(FakeHost.create(), allowlist("web", 30080)).file(JOURNAL).get();
    FakeHost other = FakeHost.create().withFile(JOURNAL, journal);

    IptablesApplyResult result = IptablesApplier.on(other).apply(allowlist("api", 30443));

    assertThat(result.recovery())
        .hasValueSatisfying(
            r -> assertThat(r).contains("dropped the journal", "none of its writes had reached"));
    assertThat(other.iptablesSave(IpFamily.IPV4)).contains("OPSKIT-api").doesNotContain("web");
    assertThat(other.iptablesSave(IpFamily.IPV6)).doesNotContain("web");
    assertThat(other.file(JOURNAL).orElse("")).isEmpty();
  }

  @Test
  void aJournalThatTheHostContradictsIsDroppedWithoutActingOnIt() throws Exception {
    FakeHost first = FakeHost.create();
    IptablesApplier.on(first).apply(allowlist("web", 30080));
    String journal = interrupted(first, allowlist("web", 30081)).file(JOURNAL).get();
    FakeHost other = FakeHost.create().withFile(JOURNAL, journal);

    IptablesApplyResult result = IptablesApplier.on(other).apply(allowlist("api", 30443));

    assertThat(result.recovery())
        .hasValueSatisfying(
            r ->
                assertThat(r).contains("dropped the journal", "rules of web", "neither the state"));
    assertThat(other.iptablesSave(IpFamily.IPV4)).doesNotContain("web");
    assertThat(other.iptablesSave(IpFamily.IPV6)).doesNotContain("web");
    assertThat(other.file(JOURNAL).orElse("")).isEmpty();
  }

  @Test
  void aJournalMatchingNoIpsetOfTheHostIsDropped() throws Exception {
    NodePortAllowlist list =
        NodePortAllowlist.builder().from(allowlist("web", 30080)).useIpset(true).build();
    FakeHost first = FakeHost.create().withIpset("opskit-web-v4", IpFamily.IPV4, "198.18.7.7/32");
    String journal = interrupted(first, list).file(JOURNAL).get();
    FakeHost other =
        FakeHost.create()
            .withIpset("opskit-web-v4", IpFamily.IPV4, "198.18.9.9")
            .withFile(JOURNAL, journal);

    IptablesApplyResult result = IptablesApplier.on(other).apply(allowlist("api", 30443));

    assertThat(result.recovery())
        .hasValueSatisfying(r -> assertThat(r).contains("ipset opskit-web-v4"));
    assertThat(other.ipsets()).containsEntry("opskit-web-v4", List.of("198.18.9.9"));
    assertThat(other.ipsets()).doesNotContainKey("opskit-web-v6");
  }

  @Test
  void theNextCallFinishesAnApplyInterruptedBetweenItsWrites() throws Exception {
    FakeHost host = interrupted(FakeHost.create(), allowlist("web", 30080));
    assertThat(host.iptablesSave(IpFamily.IPV4)).contains("-j OPSKIT-web");
    assertThat(host.iptablesSave(IpFamily.IPV6)).doesNotContain("OPSKIT-web");

    IptablesApplyResult next = IptablesApplier.on(host).apply(allowlist("web", 30080));

    assertThat(next.recovery()).hasValueSatisfying(r -> assertThat(r).startsWith("finished"));
    assertThat(host.iptablesSave(IpFamily.IPV6)).contains("-j OPSKIT-web");
    assertThat(host.file(JOURNAL).orElse("")).isEmpty();
  }

  @Test
  void anApplyWhoseReadAnotherApplyOvertookReadsAgainAndKeepsBoth() throws Exception {
    FakeHost host = FakeHost.create();
    IptablesApplier first = IptablesApplier.on(host);
    IptablesApplier second = IptablesApplier.on(host);
    host.beforeNext(RESTORE_V4::equals, () -> second.apply(allowlist("api", 30443)));

    IptablesApplyResult result = first.apply(allowlist("web", 30080));

    assertThat(host.iptablesSave(IpFamily.IPV4)).contains("-j OPSKIT-web", "-j OPSKIT-api");
    assertThat(result.generation()).hasValue(2);
    // the write planned from the overtaken read ran nothing
    assertThat(host.calls()).anyMatch(call -> call.write() && call.steps().isEmpty());
  }

  @Test
  void manyAppliersOnOneHostAtOnceLoseNothing() throws Exception {
    FakeHost host = FakeHost.create();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<IptablesApplyResult>> results = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        NodePortAllowlist list = allowlist("team" + i, 30100 + i);
        results.add(pool.submit(() -> IptablesApplier.on(host).apply(list)));
      }
      for (Future<IptablesApplyResult> result : results) {
        assertThat(result.get().changed()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
    for (int i = 0; i < 4; i++) {
      assertThat(host.iptablesSave(IpFamily.IPV6)).contains("-j OPSKIT-team" + i);
    }
  }

  @Test
  void aHeldLockMakesAnApplyGiveUpAfterItsWait() throws Exception {
    FakeHost host = FakeHost.create();
    IptablesApplier applier = IptablesApplier.builder(host).lockWait(Duration.ofMillis(50)).build();
    FakeHost.HeldLock held = host.holdLock(IptablesApplier.DEFAULT_STATE_DIRECTORY);
    assertThatThrownBy(() -> applier.apply(allowlist("web", 30080)))
        .isInstanceOfSatisfying(
            HostLockedException.class,
            e -> assertThat(e.lockFile()).isEqualTo("/run/opskit/iptables-4026531840.lock"));
    held.close();
    assertThat(applier.apply(allowlist("web", 30080)).changed()).isTrue();
  }

  @Test
  void theDetectedBackendIsTheOnlyOneWritten() throws Exception {
    FakeHost host = FakeHost.create().withIptablesBackend(IptablesBackend.LEGACY);

    IptablesApplier applier = IptablesApplier.on(host);
    applier.apply(allowlist("web", 30080));

    assertThat(applier.backend()).isEqualTo(IptablesBackend.LEGACY);
    assertThat(host.iptablesSave(IptablesBackend.LEGACY, IpFamily.IPV4)).contains("OPSKIT-web");
    assertThat(host.iptablesSave(IptablesBackend.NFT, IpFamily.IPV4)).isEmpty();
  }

  @Test
  void persistedRulesRestoreOnAFreshlyBootedHost() throws Exception {
    NodePortAllowlist list = allowlist("web", 30080);
    IptablesPersistence persistence = IptablesPersistence.of(list);
    FakeHost node = FakeHost.create();
    persistence.install(node);
    String rules = persistence.rulesPath(IpFamily.IPV4);

    FakeHost booted = FakeHost.create().withFile(rules, node.file(rules).orElseThrow());
    booted.execute(Command.of("iptables-restore", "--noflush", "-w", "10", rules)).requireSuccess();

    assertThat(node.files())
        .containsKey(persistence.unitDirectory() + "/" + persistence.unitName());
    IptablesPlan left =
        IptablesPlan.of(
            IptablesApplier.on(booted).observe(IpFamily.IPV4), list.ruleSet(IpFamily.IPV4));
    assertThat(left.isEmpty()).isTrue();
  }

  @Test
  void aSetThatARuleMatchesCannotBeDestroyed() throws Exception {
    FakeHost host = FakeHost.create().withIpset("allowed", IpFamily.IPV4, "198.18.1.0/24");
    host.execute(
            Command.of(
                "iptables",
                "-w",
                "-t",
                "raw",
                "-A",
                "PREROUTING",
                "-m",
                "set",
                "--match-set",
                "allowed",
                "src",
                "-j",
                "ACCEPT"))
        .requireSuccess();

    ExecResult destroy = host.execute(Command.of("ipset", "destroy", "allowed"));

    assertThat(destroy.exitCode()).hasValue(1);
    assertThat(destroy.stderrUtf8()).contains("in use by a kernel component");
    assertThat(host.ipsets()).containsEntry("allowed", List.of("198.18.1.0/24"));
  }

  @Test
  void limitsFilesAndDropInsAreWrittenAndReloadedOnce() throws Exception {
    FakeHost host = FakeHost.create();
    LimitsApplier node = LimitsApplier.on(host).withDaemonReload(true);

    node.apply(LimitsProfile.kubernetesNode());

    assertThat(host.files()).containsAllEntriesOf(node.files(LimitsProfile.kubernetesNode()));
    assertThat(host.daemonReloads()).isEqualTo(1);
    assertThat(node.apply(LimitsProfile.kubernetesNode()).changed()).isFalse();
    assertThat(host.daemonReloads()).isEqualTo(1);
  }

  @Test
  void aCommandItDoesNotKnowFailsLoudlyNamingIt() {
    FakeHost host = FakeHost.create();
    assertThatThrownBy(() -> host.execute(Command.of("tc", "qdisc", "show")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("[tc, qdisc, show]");
  }
}
