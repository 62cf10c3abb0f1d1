package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecutionListener;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Apply, re-apply, remove, rollback and atomicity against the real kernel in a namespace. */
@Privileged(tools = {"ip", "iptables", "ip6tables"})
class IptablesApplierIT {
  private TestNetworks net;
  private String node;
  private CommandExecutor executor;
  private IptablesApplier applier;

  @BeforeEach
  void createNode() {
    net = TestNetworks.create();
    node = net.namespace("node");
    executor = net.executor(node);
    applier = TestAppliers.create(executor);
    // foreign rules: an admin's INPUT rule, Calico's chain and jump, kube-proxy's nat chain
    ipt(
        "-t",
        "filter",
        "-A",
        "INPUT",
        "-s",
        "198.18.9.0/24",
        "-p",
        "tcp",
        "--dport",
        "22",
        "-j",
        "ACCEPT");
    ipt("-t", "filter", "-N", "cali-INPUT");
    ipt(
        "-t",
        "filter",
        "-A",
        "cali-INPUT",
        "-m",
        "comment",
        "--comment",
        "cali:x",
        "-j",
        "MARK",
        "--set-xmark",
        "0x10000/0x10000");
    ipt("-t", "filter", "-I", "INPUT", "1", "-j", "cali-INPUT");
    ipt(
        "-t",
        "filter",
        "-A",
        "FORWARD",
        "-m",
        "conntrack",
        "--ctstate",
        "RELATED,ESTABLISHED",
        "-j",
        "ACCEPT");
    ipt("-t", "raw", "-A", "PREROUTING", "-p", "udp", "--dport", "4789", "-j", "NOTRACK");
    ipt("-t", "nat", "-N", "KUBE-NODEPORTS");
    ipt(
        "-t",
        "nat",
        "-A",
        "KUBE-NODEPORTS",
        "-p",
        "tcp",
        "--dport",
        "30001",
        "-j",
        "DNAT",
        "--to-destination",
        "198.18.2.2:8080");
    ipt(
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-m",
        "addrtype",
        "--dst-type",
        "LOCAL",
        "-j",
        "KUBE-NODEPORTS");
    net.exec(node, "ip6tables", "-w", "-A", "INPUT", "-s", "fd00:198:18::9", "-j", "ACCEPT");
    net.exec(node, "ip6tables", "-w", "-t", "raw", "-A", "PREROUTING", "-j", "ACCEPT");
  }

  @AfterEach
  void deleteNode() {
    net.close();
  }

  private void ipt(String... args) {
    String[] argv = new String[args.length + 2];
    argv[0] = "iptables";
    argv[1] = "-w";
    System.arraycopy(args, 0, argv, 2, args.length);
    net.exec(node, argv);
  }

  /** iptables-save without comments and counters; tables with nothing in them are left out. */
  private String state(String program) {
    String saved = net.exec(node, program).stdoutUtf8();
    StringBuilder out = new StringBuilder();
    for (String table : saved.split("(?m)^COMMIT$")) {
      List<String> lines =
          table
              .lines()
              .filter(l -> !l.startsWith("#") && !l.isBlank())
              .map(l -> l.replaceAll("\\[[0-9]+:[0-9]+\\]", "[0:0]"))
              .collect(Collectors.toList());
      boolean empty = lines.stream().noneMatch(l -> l.startsWith("-A") || l.matches(":\\S+ - .*"));
      if (!lines.isEmpty() && !empty) {
        out.append(String.join("\n", lines)).append("\nCOMMIT\n");
      }
    }
    return out.toString();
  }

  private static NodePortAllowlist allowlist(NodePortAllowlist.Mode mode, String... cidrs) {
    return NodePortAllowlist.builder()
        .name("web")
        .mode(mode)
        .addPorts(PortRange.of(30001), PortRange.of(30100, 30110))
        .addAllowedCidrs(cidrs)
        .build();
  }

  @Test
  void largeRuleListsOfBothFamiliesApplyInOneCallAndVerify() throws Exception {
    // each family's restore input is far above what one argument of the call may carry
    List<String> cidrs = new ArrayList<>(IpsetAllowlistIT.cidrs(1_500));
    for (int i = 1; i <= 1_500; i++) {
      cidrs.add("fd00:198:18::" + Integer.toHexString(i) + "/128");
    }
    NodePortAllowlist large =
        allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, cidrs.toArray(String[]::new));
    AtomicInteger calls = new AtomicInteger();
    IptablesApplier counting =
        TestAppliers.create(
            executor.withListener(
                new ExecutionListener() {
                  @Override
                  public void started(Command command) {
                    calls.incrementAndGet();
                  }
                }));

    IptablesApplyResult applied = counting.apply(large);

    // the read, then one call: both restores' inputs on stdin, staged, then the read-back
    assertThat(calls).hasValue(2);
    assertThat(applied.verified()).isTrue();
    assertThat(applied.commands())
        .containsExactly("iptables-restore --noflush -w", "ip6tables-restore --noflush -w");
    assertThat(net.exec(node, "iptables-save", "-t", "raw").stdoutUtf8().lines())
        .filteredOn(l -> l.startsWith("-A OPSKIT-web -s "))
        .hasSize(1_500);
    assertThat(net.exec(node, "ip6tables-save", "-t", "raw").stdoutUtf8().lines())
        .filteredOn(l -> l.startsWith("-A OPSKIT-web -s "))
        .hasSize(1_500);
    assertThat(applier.apply(large).changed()).isFalse();
  }

  @Test
  void detectsTheNftBackend() throws Exception {
    assertThat(applier.backend()).isEqualTo(IptablesBackend.NFT);
  }

  @Test
  void secondApplyIsANoOpAndSaysSo() throws Exception {
    for (NodePortAllowlist.Mode mode : NodePortAllowlist.Mode.values()) {
      NodePortAllowlist list = allowlist(mode, "198.18.1.0/24", "198.19.0.7", "fd00:198:18::/64");
      IptablesApplyResult first = applier.apply(list);
      assertThat(first.changed()).as(mode.name()).isTrue();
      assertThat(first.commands()).isNotEmpty().allMatch(c -> c.contains("restore --noflush -w"));
      String v4 = state("iptables-save");
      String v6 = state("ip6tables-save");

      IptablesApplyResult second = applier.apply(list);
      assertThat(second.changed()).as(mode.name()).isFalse();
      assertThat(second.commands()).isEmpty();
      assertThat(second.plans()).allMatch(IptablesPlan::isEmpty);
      assertThat(second.summary()).contains("no changes");
      assertThat(state("iptables-save")).isEqualTo(v4);
      assertThat(state("ip6tables-save")).isEqualTo(v6);
    }
  }

  @Test
  void withoutVerificationTheKernelHoldsTheSameRulesAndReapplyIsStillANoOp() throws Exception {
    IptablesApplier unverified = TestAppliers.builder(executor).verifyAfterApply(false).build();
    for (NodePortAllowlist.Mode mode : NodePortAllowlist.Mode.values()) {
      NodePortAllowlist list = allowlist(mode, "198.18.1.0/24", "198.19.0.7", "fd00:198:18::/64");
      IptablesApplyResult fast = unverified.apply(list);
      assertThat(fast.changed()).as(mode.name()).isTrue();
      assertThat(fast.verified()).as(mode.name()).isFalse();
      String v4 = state("iptables-save");
      String v6 = state("ip6tables-save");
      applier.remove(list);

      IptablesApplyResult checked = applier.apply(list);
      assertThat(checked.verified()).as(mode.name()).isTrue();
      assertThat(state("iptables-save")).as(mode.name()).isEqualTo(v4);
      assertThat(state("ip6tables-save")).as(mode.name()).isEqualTo(v6);

      IptablesApplyResult again = unverified.apply(list);
      assertThat(again.changed()).as(mode.name()).isFalse();
      assertThat(again.commands()).isEmpty();
      assertThat(again.summary()).contains("no changes");
      assertThat(state("iptables-save")).isEqualTo(v4);
      assertThat(state("ip6tables-save")).isEqualTo(v6);
      applier.remove(list);
    }
  }

  @Test
  void removalRestoresThePreviousStateAndForeignRulesAreUntouched() throws Exception {
    String v4Before = state("iptables-save");
    String v6Before = state("ip6tables-save");
    String filterBefore = net.exec(node, "iptables-save", "-t", "filter").stdoutUtf8();

    applier.apply(allowlist(NodePortAllowlist.Mode.CONNTRACK, "198.18.1.0/24"));
    String filterDuring = state("iptables-save");
    // every foreign rule is still there, in the same order, after opskit's jumps
    List<String> foreign =
        filterBefore.lines().filter(l -> l.startsWith("-A") || l.startsWith(":cali")).toList();
    List<String> duringLines =
        filterDuring.lines().filter(foreign::contains).collect(Collectors.toList());
    assertThat(duringLines).containsAll(foreign);
    assertThat(filterDuring)
        .contains(
            "-A INPUT -p tcp -m conntrack --ctstate DNAT --ctorigdstport 30001 --ctdir ORIGINAL -j OPSKIT-web\n")
        .contains(
            "-A cali-INPUT -m comment --comment \"cali:x\" -j MARK --set-xmark 0x10000/0x10000")
        .contains(
            "-A KUBE-NODEPORTS -p tcp -m tcp --dport 30001 -j DNAT --to-destination 198.18.2.2:8080");

    // switching mode moves the chain from filter to raw and leaves filter as it was
    applier.apply(allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, "198.18.1.0/24"));
    assertThat(net.exec(node, "iptables-save", "-t", "filter").stdoutUtf8())
        .doesNotContain("OPSKIT");

    IptablesApplyResult removed = applier.remove("web");
    assertThat(removed.changed()).isTrue();
    assertThat(state("iptables-save")).isEqualTo(v4Before);
    assertThat(state("ip6tables-save")).isEqualTo(v6Before);
    assertThat(applier.remove("web").changed()).isFalse();
  }

  @Test
  void failedCheckRollsBackToThePreviousAllowlist() throws Exception {
    applier.apply(allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, "198.18.1.0/24"));
    String before = state("iptables-save");

    IptablesApplyResult failed =
        applier.applyWithCheck(
            allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, "198.18.5.0/24"),
            () -> false,
            Duration.ofSeconds(5));
    assertThat(failed.rolledBack()).isTrue();
    assertThat(failed.checkFailure()).contains("check returned false");
    assertThat(state("iptables-save")).isEqualTo(before);

    IptablesApplyResult timedOut =
        applier.applyWithCheck(
            allowlist(NodePortAllowlist.Mode.CONNTRACK, "198.18.6.0/24"),
            () -> {
              Thread.sleep(30_000);
              return true;
            },
            Duration.ofMillis(300));
    assertThat(timedOut.rolledBack()).isTrue();
    assertThat(timedOut.checkFailure().orElseThrow()).contains("timed out");
    assertThat(state("iptables-save")).isEqualTo(before);

    IptablesApplyResult passed =
        applier.applyWithCheck(
            allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, "198.18.7.0/24"),
            () -> true,
            Duration.ofSeconds(5));
    assertThat(passed.rolledBack()).isFalse();
    assertThat(state("iptables-save")).contains("-A OPSKIT-web -s 198.18.7.0/24 -j RETURN");

    applier.rollback(passed.snapshot());
    assertThat(state("iptables-save")).isEqualTo(before);
  }

  @Test
  void commentsAndLogPrefixesReadBackAsWritten() throws Exception {
    List<Rule> rules = new ArrayList<>();
    for (String comment : List.of("hello", "a b", "it's", "q\"x", "back\\slash", "", "$(x) `y`")) {
      rules.add(Rule.of(List.of(Match.comment(comment)), Target.returnToCaller()));
    }
    rules.add(Rule.of(Target.log("it's \"x\" ", 4)));
    IptablesRuleSet commented =
        IptablesRuleSet.builder()
            .owner("notes")
            .addTables(Table.of("filter", Chain.of("OPSKIT-notes", rules)))
            .build();

    IptablesApplyResult applied = applier.apply(commented);

    assertThat(applied.verified()).isTrue();
    assertThat(applier.observe(IpFamily.IPV4).table("filter").orElseThrow().chain("OPSKIT-notes"))
        .hasValueSatisfying(chain -> assertThat(chain.rules()).isEqualTo(rules));
    assertThat(applier.apply(commented).changed()).isFalse();
  }

  @Test
  void aSetWithOneInvalidRuleChangesNothing() throws Exception {
    applier.apply(allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, "198.18.1.0/24"));
    String before = state("iptables-save");
    Rule jump =
        Rule.of(
            List.of(Match.protocol("tcp"), Match.destinationPort("tcp", PortRange.of(30001))),
            Target.jump("OPSKIT-web"));
    IptablesRuleSet broken =
        IptablesRuleSet.builder()
            .owner("web")
            .addTables(
                Table.of(
                    "raw",
                    Chain.of("PREROUTING", jump),
                    Chain.of(
                        "OPSKIT-web",
                        Rule.of(List.of(Match.source("198.18.3.0/24")), Target.returnToCaller()),
                        Rule.of(List.of(Match.other("-m", "nosuchmatch")), Target.drop()),
                        Rule.of(Target.drop()))))
            .build();
    assertThatThrownBy(() -> applier.apply(broken))
        .isInstanceOfSatisfying(
            IptablesApplyException.class,
            e -> {
              assertThat(e.result()).isPresent();
              assertThat(e.result().get().exitCode()).isPresent();
              assertThat(e.result().get().isSuccess()).isFalse();
              assertThat(e.rolledBack()).isTrue();
            });
    assertThat(state("iptables-save")).isEqualTo(before);
  }

  @Test
  void ruleSetsThatWouldEditForeignChainsAreRejected() {
    assertThatThrownBy(
            () ->
                IptablesRuleSet.builder()
                    .owner("web")
                    .addTables(Table.of("filter", Chain.of("cali-INPUT", Rule.of(Target.drop()))))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cali-INPUT");
  }

  @Test
  void legacyBackendWorksAndIsNotMixed() throws Exception {
    IptablesApplier legacy = TestAppliers.builder(executor).backend(IptablesBackend.LEGACY).build();
    NodePortAllowlist list = allowlist(NodePortAllowlist.Mode.RAW_PREROUTING, "198.18.1.0/24");
    IptablesApplyResult result = legacy.apply(list);
    assertThat(result.commands())
        .allMatch(
            c ->
                c.startsWith("ip6tables-legacy-restore")
                    || c.startsWith("iptables-legacy-restore"));
    assertThat(net.exec(node, "iptables-legacy-save", "-t", "raw").stdoutUtf8())
        .contains("-A OPSKIT-web -s 198.18.1.0/24 -j RETURN");
    assertThat(net.exec(node, "iptables-nft-save").stdoutUtf8()).doesNotContain("OPSKIT");
    assertThat(legacy.apply(list).changed()).isFalse();
    legacy.remove("web");
    assertThat(net.exec(node, "iptables-legacy-save").stdoutUtf8()).doesNotContain("OPSKIT");
  }
}
