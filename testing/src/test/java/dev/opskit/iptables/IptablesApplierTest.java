package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.testing.FakeHost;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

  /** A host with {@code SSH_CONNECTION} set, when given. */
  private static FakeHost host(String sshConnection) {
    FakeHost host = FakeHost.create();
    return sshConnection == null ? host : host.withSshConnection(sshConnection);
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

  /** Each call the host got: the programs of its steps, in brackets. */
  private static List<String> calls(FakeHost host) {
    return host.calls().stream().map(c -> c.programs().toString()).toList();
  }

  /** Every program the host ran, the steps of a batched call each on their own. */
  private static List<List<String>> ran(FakeHost host) {
    return host.steps().stream().map(Command::argv).toList();
  }

  private static String stdin(Command command) {
    return new String(command.stdin(), StandardCharsets.UTF_8);
  }

  @Test
  void readsEverythingBeforeTheRestoreInOneBatchedCall() throws Exception {
    FakeHost host = host("198.18.1.9 51234 198.18.0.1 22");
    assertThat(IptablesApplier.on(host).apply(sshAllowlist(false)).changed()).isTrue();
    FakeHost.Call first = host.calls().get(0);
    assertThat(first.argvs())
        .containsExactly(
            List.of("printenv", "SSH_CONNECTION"),
            List.of("iptables", "--version"),
            List.of("ipset", "list", "-n"),
            List.of("iptables-save"),
            List.of("ip6tables-save"));
    // the script is constant: names, programs and the frame marker are positional arguments
    List<String> argv = first.command().argv();
    assertThat(argv.get(2)).doesNotContain("opskit-ssh", "iptables-save", argv.get(4));
    assertThat(argv.get(3)).isEqualTo("sh");
    // the restores and the read-back share the second call
    assertThat(host.calls().get(1).argvs())
        .containsExactly(
            List.of("iptables-restore", "--noflush", "-w"),
            List.of("ip6tables-restore", "--noflush", "-w"),
            List.of("iptables-save"),
            List.of("ip6tables-save"));
  }

  @Test
  void anIpsetLeftFromAnEarlierApplyIsSavedByASecondReadAndDestroyed() throws Exception {
    NodePortAllowlist list = webAllowlist();
    FakeHost host =
        FakeHost.create()
            .withIpset("other", IpFamily.IPV4)
            .withIpset("opskit-web-v4", IpFamily.IPV4, "198.18.5.0/24");
    IptablesApplier applier =
        IptablesApplier.builder(host).backend(IptablesBackend.NFT).verifyAfterApply(false).build();
    IptablesApplyResult result = applier.apply(list);
    assertThat(calls(host))
        .containsExactly(
            "[printenv, ipset, iptables-nft-save]", "[ipset]", "[iptables-nft-restore, ipset]");
    assertThat(host.calls().get(1).argvs())
        .containsExactly(List.of("ipset", "save", "opskit-web-v4"));
    Command destroy = host.calls().get(2).steps().get(1);
    assertThat(destroy.argv()).containsExactly("ipset", "restore");
    assertThat(stdin(destroy)).isEqualTo("destroy opskit-web-v4\n");
    assertThat(result.snapshot().ipsetEntries())
        .containsEntry("opskit-web-v4", List.of("198.18.5.0/24"));
    assertThat(host.ipsets()).containsOnlyKeys("other");
  }

  @Test
  void verificationReadsTheRulesBackOnceAfterTheRestore() throws Exception {
    NodePortAllowlist list = webAllowlist();
    FakeHost host = FakeHost.create();
    IptablesApplyResult result = IptablesApplier.on(host).apply(list);
    assertThat(result.changed()).isTrue();
    assertThat(result.verified()).isTrue();
    // one call reads, one call restores and reads back
    assertThat(host.calls().get(1).argvs())
        .containsExactly(List.of("iptables-restore", "--noflush", "-w"), List.of("iptables-save"));
    assertThat(host.calls()).hasSize(2);
  }

  /** A nat table of {@code count} rules of someone else's, as kube-proxy keeps. */
  private static String foreignNat(int count) {
    StringBuilder nat = new StringBuilder("*nat\n:KUBE-SERVICES - [0:0]\n");
    for (int i = 0; i < count; i++) {
      nat.append("-A KUBE-SERVICES -d 10.96.0.").append(i % 250 + 1).append("/32 -j RETURN\n");
    }
    return nat.append("COMMIT\n").toString();
  }

  @Test
  void withManyRulesInOtherTablesTheReadBackListsOnlyTheTablesItWrote() throws Exception {
    FakeHost few = FakeHost.create().withIptables(IpFamily.IPV4, foreignNat(999));
    IptablesApplier.on(few).apply(webAllowlist());
    assertThat(few.calls().get(1).argvs()).contains(List.of("iptables-save"));

    FakeHost many = FakeHost.create().withIptables(IpFamily.IPV4, foreignNat(1_000));
    assertThat(IptablesApplier.on(many).apply(webAllowlist()).verified()).isTrue();
    assertThat(many.calls().get(1).argvs())
        .containsExactly(
            List.of("iptables-restore", "--noflush", "-w"),
            List.of("iptables", "-w", "-t", "raw", "-S"));
    assertThat(many.iptablesSave(IpFamily.IPV4)).contains("-A KUBE-SERVICES");
  }

  @Test
  void theReadBackListsEveryTableTheApplyChangedAndADifferenceInAnyOfThemRollsBack()
      throws Exception {
    FakeHost host = FakeHost.create().withIptables(IpFamily.IPV4, foreignNat(1_000));
    IptablesApplier applier = IptablesApplier.on(host);
    applier.apply(webAllowlist());
    String rawMode = host.iptablesSave(IpFamily.IPV4);
    assertThat(rawMode).contains("*raw", "OPSKIT-web").doesNotContain("*filter");
    String rawTable = rawMode.substring(rawMode.indexOf("*raw"));
    NodePortAllowlist conntrack =
        NodePortAllowlist.builder()
            .from(webAllowlist())
            .mode(NodePortAllowlist.Mode.CONNTRACK)
            .build();
    // the switch moves the chain from raw to filter; something puts the raw chain back at once
    host.afterNext(
        argv -> argv.get(0).equals("iptables-restore"),
        () ->
            host.withIptables(
                IpFamily.IPV4, rawTable.substring(0, rawTable.indexOf("COMMIT\n") + 7)));
    host.clearCalls();

    assertThatThrownBy(() -> applier.apply(conntrack))
        .isInstanceOfSatisfying(
            IptablesApplyException.class,
            e -> {
              assertThat(e.getMessage()).contains("raw: delete chain OPSKIT-web");
              assertThat(e.rolledBack()).isTrue();
            });
    assertThat(host.calls().get(1).argvs())
        .contains(
            List.of("iptables", "-w", "-t", "filter", "-S"),
            List.of("iptables", "-w", "-t", "raw", "-S"))
        .doesNotContain(List.of("iptables-save"));
    assertThat(host.iptablesSave(IpFamily.IPV4)).contains("-A OPSKIT-web -s 198.18.1.0/24");
    assertThat(applier.verify(webAllowlist()).isEmpty()).isTrue();
  }

  @Test
  void aTableThatCannotBeListedAfterTheRestoreFailsVerificationAndRollsBack() {
    FakeHost host =
        FakeHost.create()
            .withIptables(IpFamily.IPV4, foreignNat(1_000))
            .failWhen(argv -> argv.contains("-S"), 4, "table gone");
    assertThatThrownBy(() -> IptablesApplier.on(host).apply(webAllowlist()))
        .isInstanceOfSatisfying(
            IptablesApplyException.class,
            e -> {
              assertThat(e.getMessage()).contains("cannot list IPV4 table raw: table gone");
              assertThat(e.rolledBack()).isTrue();
            });
    assertThat(host.iptablesSave(IpFamily.IPV4)).doesNotContain("OPSKIT-web");
  }

  private static NodePortAllowlist ipsetAllowlist() {
    return NodePortAllowlist.builder().from(webAllowlist()).useIpset(true).build();
  }

  @Test
  void anIpsetAllowlistIsWrittenAndReadBackInOneCall() throws Exception {
    NodePortAllowlist list = ipsetAllowlist();
    FakeHost host = FakeHost.create();
    IptablesApplier applier = IptablesApplier.builder(host).backend(IptablesBackend.NFT).build();

    IptablesApplyResult result = applier.apply(list);

    assertThat(result.verified()).isTrue();
    assertThat(calls(host))
        .containsExactly(
            "[printenv, ipset, iptables-nft-save, ipset]",
            "[ipset, iptables-nft-restore, iptables-nft-save, ipset]");
    assertThat(host.calls().get(1).argvs().get(3))
        .containsExactly("ipset", "save", "opskit-web-v4");
    assertThat(host.ipsets())
        .containsEntry("opskit-web-v4", List.of("198.18.1.0/24", "198.18.2.7"));
    assertThat(applier.apply(list).changed()).isFalse();
  }

  @Test
  void anIpsetThatDoesNotHoldTheEntriesAfterwardsFailsVerification() {
    NodePortAllowlist list = ipsetAllowlist();
    FakeHost host = FakeHost.create();
    // something else refills the set right after the apply's restore, before its read-back
    host.afterNext(
        argv -> argv.equals(List.of("ipset", "restore")),
        () -> host.withIpset("opskit-web-v4", IpFamily.IPV4, "198.18.1.0/24", "198.18.9.9"));
    IptablesApplier applier = IptablesApplier.builder(host).backend(IptablesBackend.NFT).build();

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
    assertThat(host.ipsets()).isEmpty();
    assertThat(host.iptablesSave(IpFamily.IPV4)).doesNotContain("OPSKIT-web");
  }

  @Test
  void withoutVerificationNothingRunsAfterTheRestore() throws Exception {
    NodePortAllowlist list = webAllowlist();
    FakeHost host = FakeHost.create();
    IptablesApplier applier = IptablesApplier.builder(host).verifyAfterApply(false).build();
    IptablesApplyResult result = applier.apply(list);
    assertThat(result.changed()).isTrue();
    assertThat(result.verified()).isFalse();
    assertThat(result.summary()).contains("not read back");
    assertThat(result.commands()).containsExactly("iptables-restore --noflush -w");
    assertThat(calls(host))
        .containsExactly("[printenv, iptables, ipset, iptables-save]", "[iptables-restore]");

    host.clearCalls();
    IptablesApplyResult again = applier.apply(list);
    assertThat(again.changed()).isFalse();
    assertThat(again.verified()).isTrue();
    assertThat(again.commands()).isEmpty();
    assertThat(calls(host)).containsExactly("[printenv, ipset, iptables-save]");
  }

  @Test
  void withoutVerificationAFailedRestoreStillRollsBack() {
    NodePortAllowlist list = webAllowlist();
    FakeHost host = FakeHost.create().failNext("iptables-restore", 2, "bad rule");
    IptablesApplier applier = IptablesApplier.builder(host).verifyAfterApply(false).build();
    assertThatThrownBy(() -> applier.apply(list))
        .isInstanceOfSatisfying(
            IptablesApplyException.class,
            e -> assertThat(e.getMessage()).contains("bad rule", "previous state restored"));
    // the rollback reads the state again and finds nothing of its owner left to undo
    assertThat(calls(host))
        .containsExactly(
            "[printenv, iptables, ipset, iptables-save]", "[iptables-restore]", "[iptables-save]");
    assertThat(host.iptablesSave(IpFamily.IPV4)).doesNotContain("OPSKIT-web");
  }

  @Test
  void refusesToCutOffItsOwnSshConnection() {
    FakeHost host = host("198.18.9.9 51234 198.18.0.1 22");
    assertThatThrownBy(() -> IptablesApplier.on(host).apply(sshAllowlist(false)))
        .isInstanceOfSatisfying(
            SelfLockoutException.class,
            e -> {
              assertThat(e.clientAddress()).isEqualTo("198.18.9.9");
              assertThat(e.serverPort()).isEqualTo(22);
            });
    assertThat(ran(host)).isNotEmpty().noneMatch(argv -> argv.get(0).endsWith("-restore"));
  }

  @Test
  void allowsItWhenTheClientIsAllowedOrLockoutIsExplicit() throws Exception {
    assertThatNoLockout(host("198.18.1.9 51234 198.18.0.1 22"), sshAllowlist(false));
    assertThatNoLockout(host("198.18.9.9 51234 198.18.0.1 22"), sshAllowlist(true));
    assertThatNoLockout(host(null), sshAllowlist(false));
  }

  @Test
  void protectedConnectionCanBeStatedWhenSudoHidesTheEnvironment() {
    FakeHost host = host(null);
    IptablesApplier applier =
        IptablesApplier.builder(host).protectConnection("198.18.9.9", 22).build();
    assertThatThrownBy(() -> applier.apply(sshAllowlist(false)))
        .isInstanceOf(SelfLockoutException.class);
    assertThat(ran(host)).noneMatch(argv -> argv.get(0).endsWith("-restore"));
  }

  private static void assertThatNoLockout(FakeHost host, NodePortAllowlist list) throws Exception {
    IptablesApplyResult result = IptablesApplier.on(host).apply(list);
    assertThat(result.changed()).isTrue();
    assertThat(ran(host))
        .contains(List.of("iptables-restore", "--noflush", "-w"))
        .contains(List.of("ip6tables-restore", "--noflush", "-w"));
    assertThat(host.iptablesSave(IpFamily.IPV6)).contains(":OPSKIT-ssh - [0:0]");
  }

  @Test
  void aRuleSetWithoutOwnerIsRefusedBeforeAnythingRuns() {
    FakeHost host = FakeHost.create();
    IptablesRuleSet unowned = IptablesRuleSet.parse(IpFamily.IPV4, EMPTY_RAW);
    assertThatThrownBy(() -> IptablesApplier.on(host).apply(unowned))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has no owner");
    assertThat(host.calls()).isEmpty();
  }

  @Test
  void fixedBackendUsesItsOwnPrograms() throws Exception {
    FakeHost host =
        FakeHost.create().withIptables(IptablesBackend.LEGACY, IpFamily.IPV4, EMPTY_RAW);
    IptablesApplier applier = IptablesApplier.builder(host).backend(IptablesBackend.LEGACY).build();
    assertThat(applier.observe(IpFamily.IPV4).table("raw")).isPresent();
    assertThat(ran(host)).containsExactly(List.of("iptables-legacy-save"));
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
