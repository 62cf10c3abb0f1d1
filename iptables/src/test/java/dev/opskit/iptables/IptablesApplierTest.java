package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.ExecResult;
import dev.opskit.core.FakeCommandExecutor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class IptablesApplierTest {
  private static final String EMPTY_RAW =
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";

  private static NodePortAllowlist sshAllowlist(boolean allowLockout) {
    return NodePortAllowlist.builder()
        .name("ssh")
        .mode(NodePortAllowlist.Mode.INPUT)
        .addPorts(PortRange.of(22))
        .addAllowedCidrs("198.18.1.0/24")
        .allowSelfLockout(allowLockout)
        .allowConnectionPort(true)
        .build();
  }

  /**
   * A host whose programs print an empty raw table (and {@code SSH_CONNECTION}, when given), read
   * through the applier's batched read; restores succeed but change nothing.
   */
  private static FakeCommandExecutor host(String sshConnection) {
    FakeCommandExecutor programs = FakeCommandExecutor.create();
    programs.onArgv("iptables", "--version").replyStdout("iptables v1.8.9 (nf_tables)\n");
    if (sshConnection == null) {
      programs.onArgv("printenv", "SSH_CONNECTION").replyExit(1);
    } else {
      programs.onArgv("printenv", "SSH_CONNECTION").replyStdout(sshConnection + "\n");
    }
    programs.onArgv("ipset", "list", "-n").replyStdout("");
    programs.onArgvStartingWith("ipset", "save").replyExit(1, "", "The set does not exist\n");
    programs.onArgv("iptables-save").replyStdout(EMPTY_RAW);
    programs.onArgv("ip6tables-save").replyStdout(EMPTY_RAW);
    programs.onArgvStartingWith("iptables-restore").replyExit(0);
    programs.onArgvStartingWith("ip6tables-restore").replyExit(0);
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    BatchShell.install(fake, programs);
    return fake;
  }

  /** A raw PREROUTING allowlist for IPv4 only. */
  private static NodePortAllowlist webAllowlist() {
    return NodePortAllowlist.builder()
        .name("web")
        .addPorts(PortRange.of(30001))
        .addAllowedCidrs("198.18.1.0/24", "198.18.2.7/32")
        .ipv6(false)
        .build();
  }

  /**
   * An IPv4 host that really keeps state: {@code iptables-save} prints the empty raw table until a
   * restore succeeds, then the table holding {@code applied}'s rules.
   */
  private static FakeCommandExecutor statefulHost(IptablesRuleSet applied, int restoreExit) {
    String after =
        applied
            .render()
            .replace("*raw\n", "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    AtomicReference<String> state = new AtomicReference<>(EMPTY_RAW);
    FakeCommandExecutor programs = FakeCommandExecutor.create();
    programs.onArgv("iptables", "--version").replyStdout("iptables v1.8.9 (nf_tables)\n");
    programs.onArgv("printenv", "SSH_CONNECTION").replyExit(1);
    programs.onArgv("ipset", "list", "-n").replyStdout("");
    programs.onArgvStartingWith("ipset", "save").replyExit(1, "", "The set does not exist\n");
    programs
        .onArgv("iptables-save")
        .reply(c -> ExecResult.of(c, 0, state.get(), "", Duration.ZERO));
    programs
        .onArgvStartingWith("iptables-restore")
        .reply(
            c -> {
              if (restoreExit == 0) {
                state.set(after);
              }
              return ExecResult.of(
                  c, restoreExit, "", restoreExit == 0 ? "" : "bad rule\n", Duration.ZERO);
            });
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    BatchShell.install(fake, programs);
    return fake;
  }

  /** Each call the host got: a batched one as the programs of its steps, in brackets. */
  private static List<String> calls(FakeCommandExecutor fake) {
    return fake.argvs().stream()
        .map(
            a ->
                BatchShell.isBatch(a)
                    ? BatchShell.steps(a).stream().map(s -> s.get(0)).toList().toString()
                    : a.get(0))
        .toList();
  }

  /** Every command the host ran, the steps of a batched call each on their own. */
  private static List<List<String>> ran(FakeCommandExecutor fake) {
    return fake.argvs().stream()
        .flatMap(a -> BatchShell.isBatch(a) ? BatchShell.steps(a).stream() : Stream.of(a))
        .toList();
  }

  @Test
  void readsEverythingBeforeTheRestoreInOneBatchedCall() throws Exception {
    FakeCommandExecutor fake = host("198.18.1.9 51234 198.18.0.1 22");
    assertThatThrownBy(() -> IptablesApplier.on(fake).apply(sshAllowlist(false)))
        .isInstanceOf(IptablesApplyException.class);
    List<String> first = fake.argvs().get(0);
    assertThat(BatchShell.steps(first))
        .containsExactly(
            List.of("printenv", "SSH_CONNECTION"),
            List.of("iptables", "--version"),
            List.of("ipset", "list", "-n"),
            List.of("iptables-save"),
            List.of("ip6tables-save"));
    // the script is constant: names, programs and the frame marker are positional arguments
    assertThat(first.get(2)).doesNotContain("opskit-ssh", "iptables-save", first.get(4));
    assertThat(first.get(3)).isEqualTo("sh");
    // the restores and the read-back share the second call
    assertThat(BatchShell.steps(fake.argvs().get(1)))
        .containsExactly(
            List.of("iptables-restore", "--noflush", "-w"),
            List.of("ip6tables-restore", "--noflush", "-w"),
            List.of("iptables-save"),
            List.of("ip6tables-save"));
  }

  @Test
  void anIpsetLeftFromAnEarlierApplyIsSavedByASecondReadAndDestroyed() throws Exception {
    NodePortAllowlist list = webAllowlist();
    FakeCommandExecutor programs = FakeCommandExecutor.create();
    programs.onArgv("printenv", "SSH_CONNECTION").replyExit(1);
    programs.onArgv("ipset", "list", "-n").replyStdout("other\nopskit-web-v4\n");
    programs
        .onArgv("ipset", "save", "opskit-web-v4")
        .replyStdout(
            "create opskit-web-v4 hash:net family inet\nadd opskit-web-v4 198.18.5.0/24\n");
    programs.onArgv("iptables-nft-save").replyStdout(EMPTY_RAW);
    programs.onArgvStartingWith("iptables-nft-restore").replyExit(0);
    programs.onArgv("ipset", "restore").replyExit(0);
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    BatchShell.install(fake, programs);
    IptablesApplier applier =
        IptablesApplier.builder(fake).backend(IptablesBackend.NFT).verifyAfterApply(false).build();
    IptablesApplyResult result = applier.apply(list);
    assertThat(calls(fake))
        .containsExactly(
            "[printenv, ipset, iptables-nft-save]", "[ipset]", "[iptables-nft-restore, ipset]");
    assertThat(BatchShell.steps(fake.argvs().get(1)))
        .containsExactly(List.of("ipset", "save", "opskit-web-v4"));
    assertThat(BatchShell.parse(fake.commands().get(2)).get(1))
        .isEqualTo(new BatchShell.Step(List.of("ipset", "restore"), "destroy opskit-web-v4\n"));
    assertThat(result.snapshot().ipsetEntries())
        .containsEntry("opskit-web-v4", List.of("198.18.5.0/24"));
  }

  @Test
  void verificationReadsTheRulesBackOnceAfterTheRestore() throws Exception {
    NodePortAllowlist list = webAllowlist();
    FakeCommandExecutor fake = statefulHost(list.ruleSet(IpFamily.IPV4), 0);
    IptablesApplyResult result = IptablesApplier.on(fake).apply(list);
    assertThat(result.changed()).isTrue();
    assertThat(result.verified()).isTrue();
    // one call reads, one call restores and reads back
    assertThat(BatchShell.steps(fake.argvs().get(1)))
        .containsExactly(List.of("iptables-restore", "--noflush", "-w"), List.of("iptables-save"));
    assertThat(fake.argvs()).hasSize(2);
  }

  /**
   * An IPv4 host whose ipset {@code opskit-web-v4} shows {@code liveEntries} once an {@code ipset
   * restore} ran, and whose {@code iptables-save} shows {@code applied} once a restore ran.
   */
  private static FakeCommandExecutor ipsetHost(IptablesRuleSet applied, String... liveEntries) {
    FakeCommandExecutor programs = FakeCommandExecutor.create();
    AtomicReference<String> rules = new AtomicReference<>(EMPTY_RAW);
    AtomicReference<String> set = new AtomicReference<>();
    programs.onArgv("printenv", "SSH_CONNECTION").replyExit(1);
    programs
        .onArgv("ipset", "list", "-n")
        .reply(
            c ->
                ExecResult.of(c, 0, set.get() == null ? "" : "opskit-web-v4\n", "", Duration.ZERO));
    programs
        .onArgv("ipset", "save", "opskit-web-v4")
        .reply(
            c ->
                set.get() == null
                    ? ExecResult.of(c, 1, "", "The set does not exist\n", Duration.ZERO)
                    : ExecResult.of(c, 0, set.get(), "", Duration.ZERO));
    programs
        .onArgv("ipset", "restore")
        .reply(
            c -> {
              StringBuilder saved =
                  new StringBuilder("create opskit-web-v4 hash:net family inet hashsize 1024\n");
              for (String entry : liveEntries) {
                saved.append("add opskit-web-v4 ").append(entry).append('\n');
              }
              set.set(saved.toString());
              return ExecResult.of(c, 0, "", "", Duration.ZERO);
            });
    programs
        .onArgv("iptables-nft-save")
        .reply(c -> ExecResult.of(c, 0, rules.get(), "", Duration.ZERO));
    String after =
        applied
            .render()
            .replace("*raw\n", "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    programs
        .onArgvStartingWith("iptables-nft-restore")
        .reply(
            c -> {
              rules.set(after);
              return ExecResult.of(c, 0, "", "", Duration.ZERO);
            });
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    BatchShell.install(fake, programs);
    return fake;
  }

  @Test
  void anIpsetAllowlistIsWrittenAndReadBackInOneCall() throws Exception {
    NodePortAllowlist list =
        NodePortAllowlist.builder().from(webAllowlist()).useIpset(true).build();
    FakeCommandExecutor fake =
        ipsetHost(list.ruleSet(IpFamily.IPV4), "198.18.1.0/24", "198.18.2.7");
    IptablesApplier applier = IptablesApplier.builder(fake).backend(IptablesBackend.NFT).build();

    IptablesApplyResult result = applier.apply(list);

    assertThat(result.verified()).isTrue();
    assertThat(calls(fake))
        .containsExactly(
            "[printenv, ipset, iptables-nft-save, ipset]",
            "[ipset, iptables-nft-restore, iptables-nft-save, ipset]");
    assertThat(BatchShell.steps(fake.argvs().get(1)).get(3))
        .containsExactly("ipset", "save", "opskit-web-v4");
    assertThat(applier.apply(list).changed()).isFalse();
  }

  @Test
  void anIpsetThatDoesNotHoldTheEntriesAfterwardsFailsVerification() {
    NodePortAllowlist list =
        NodePortAllowlist.builder().from(webAllowlist()).useIpset(true).build();
    FakeCommandExecutor fake =
        ipsetHost(list.ruleSet(IpFamily.IPV4), "198.18.1.0/24", "198.18.9.9");
    IptablesApplier applier = IptablesApplier.builder(fake).backend(IptablesBackend.NFT).build();

    assertThatThrownBy(() -> applier.apply(list))
        .isInstanceOfSatisfying(
            IptablesApplyException.class,
            e -> {
              assertThat(e.getMessage())
                  .contains(
                      "ipset opskit-web-v4 lacks 1 entries [198.18.2.7/32]"
                          + " and holds 1 others [198.18.9.9/32]");
              assertThat(e.rolledBack()).isTrue();
            });
  }

  @Test
  void withoutVerificationNothingRunsAfterTheRestore() throws Exception {
    NodePortAllowlist list = webAllowlist();
    FakeCommandExecutor fake = statefulHost(list.ruleSet(IpFamily.IPV4), 0);
    IptablesApplier applier = IptablesApplier.builder(fake).verifyAfterApply(false).build();
    IptablesApplyResult result = applier.apply(list);
    assertThat(result.changed()).isTrue();
    assertThat(result.verified()).isFalse();
    assertThat(result.summary()).contains("not read back");
    assertThat(result.commands()).containsExactly("iptables-restore --noflush -w");
    assertThat(calls(fake))
        .containsExactly("[printenv, iptables, ipset, iptables-save]", "[iptables-restore]");

    fake.clearCommands();
    IptablesApplyResult again = applier.apply(list);
    assertThat(again.changed()).isFalse();
    assertThat(again.verified()).isTrue();
    assertThat(again.commands()).isEmpty();
    assertThat(calls(fake)).containsExactly("[printenv, ipset, iptables-save]");
  }

  @Test
  void withoutVerificationAFailedRestoreStillRollsBack() {
    NodePortAllowlist list = webAllowlist();
    FakeCommandExecutor fake = statefulHost(list.ruleSet(IpFamily.IPV4), 2);
    IptablesApplier applier = IptablesApplier.builder(fake).verifyAfterApply(false).build();
    assertThatThrownBy(() -> applier.apply(list))
        .isInstanceOfSatisfying(
            IptablesApplyException.class,
            e -> assertThat(e.getMessage()).contains("bad rule", "previous state restored"));
    // the rollback reads the state again and finds nothing of its owner left to undo
    assertThat(calls(fake))
        .containsExactly(
            "[printenv, iptables, ipset, iptables-save]", "[iptables-restore]", "[iptables-save]");
  }

  @Test
  void refusesToCutOffItsOwnSshConnection() {
    FakeCommandExecutor fake = host("198.18.9.9 51234 198.18.0.1 22");
    assertThatThrownBy(() -> IptablesApplier.on(fake).apply(sshAllowlist(false)))
        .isInstanceOfSatisfying(
            SelfLockoutException.class,
            e -> {
              assertThat(e.clientAddress()).isEqualTo("198.18.9.9");
              assertThat(e.serverPort()).isEqualTo(22);
            });
    assertThat(ran(fake)).isNotEmpty().noneMatch(argv -> argv.get(0).endsWith("-restore"));
  }

  @Test
  void allowsItWhenTheClientIsAllowedOrLockoutIsExplicit() throws Exception {
    FakeCommandExecutor allowedClient = host("198.18.1.9 51234 198.18.0.1 22");
    assertThatNoLockout(allowedClient, sshAllowlist(false));
    FakeCommandExecutor explicit = host("198.18.9.9 51234 198.18.0.1 22");
    assertThatNoLockout(explicit, sshAllowlist(true));
    FakeCommandExecutor noSsh = host(null);
    assertThatNoLockout(noSsh, sshAllowlist(false));
  }

  @Test
  void protectedConnectionCanBeStatedWhenSudoHidesTheEnvironment() {
    FakeCommandExecutor fake = host(null);
    IptablesApplier applier =
        IptablesApplier.builder(fake).protectConnection("198.18.9.9", 22).build();
    assertThatThrownBy(() -> applier.apply(sshAllowlist(false)))
        .isInstanceOf(SelfLockoutException.class);
  }

  private static void assertThatNoLockout(FakeCommandExecutor fake, NodePortAllowlist list)
      throws Exception {
    // the fake host never shows the rules as applied, so verification must fail loudly
    assertThatThrownBy(() -> IptablesApplier.on(fake).apply(list))
        .isInstanceOf(IptablesApplyException.class)
        .hasMessageContaining("differs from the desired one");
    assertThat(ran(fake))
        .contains(List.of("iptables-restore", "--noflush", "-w"))
        .contains(List.of("ip6tables-restore", "--noflush", "-w"));
  }

  @Test
  void aRuleSetWithoutOwnerIsRefusedBeforeAnythingRuns() {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    IptablesRuleSet unowned = IptablesRuleSet.parse(IpFamily.IPV4, EMPTY_RAW);
    assertThatThrownBy(() -> IptablesApplier.on(fake).apply(unowned))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has no owner");
    assertThat(fake.argvs()).isEmpty();
  }

  @Test
  void fixedBackendUsesItsOwnPrograms() throws Exception {
    FakeCommandExecutor programs = FakeCommandExecutor.create();
    programs.onArgv("iptables-legacy-save").replyStdout(EMPTY_RAW);
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    BatchShell.install(fake, programs);
    IptablesApplier applier = IptablesApplier.builder(fake).backend(IptablesBackend.LEGACY).build();
    assertThat(applier.observe(IpFamily.IPV4).table("raw")).isPresent();
    assertThat(programs.argvs()).containsExactly(List.of("iptables-legacy-save"));
  }

  @Test
  void backendComesFromTheVersionString() {
    assertThat(IptablesBackend.fromVersion("iptables v1.8.9 (nf_tables)"))
        .isEqualTo(IptablesBackend.NFT);
    assertThat(IptablesBackend.fromVersion("iptables v1.8.7 (legacy)"))
        .isEqualTo(IptablesBackend.LEGACY);
    assertThat(IptablesBackend.fromVersion("iptables v1.6.1")).isEqualTo(IptablesBackend.LEGACY);
  }
}
