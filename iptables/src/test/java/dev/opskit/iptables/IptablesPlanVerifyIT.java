package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The applier's plan and verify against the real kernel in a network namespace: a plan says what an
 * apply would change and writes nothing, verify is empty exactly when the host holds the allowlist,
 * and rolling an apply's result back restores the state before it.
 */
@Privileged(tools = {"ip", "iptables", "ipset", "flock"})
class IptablesPlanVerifyIT {
  private static final NodePortAllowlist LISTED = allowlist(false, "198.18.0.0/24");
  private static final NodePortAllowlist IN_IPSET = allowlist(true, "198.18.0.0/24", "198.18.2.7");

  private TestNetworks net;
  private String node;
  private IptablesApplier applier;

  private static NodePortAllowlist allowlist(boolean ipset, String... cidrs) {
    return NodePortAllowlist.builder()
        .name("planned")
        .addPorts(PortRange.of(30001))
        .addAllowedCidrs(cidrs)
        .useIpset(ipset)
        .build();
  }

  @BeforeEach
  void createNode() {
    net = TestNetworks.create();
    node = net.namespace("plan");
    CommandExecutor executor = net.executor(node);
    applier = TestAppliers.create(executor);
  }

  @AfterEach
  void deleteNode() {
    net.close();
  }

  private String hostState() {
    return net.exec(node, "iptables-save").stdoutUtf8().replaceAll("(?m)^#.*\n", "")
        + net.exec(node, "ipset", "list", "-n").stdoutUtf8();
  }

  @Test
  void planSaysWhatApplyWouldChangeAndWritesNothing() throws Exception {
    String before = hostState();

    IptablesApplyPlan plan = applier.plan(LISTED);

    assertThat(plan.isEmpty()).isFalse();
    assertThat(plan.summary()).startsWith("IPV4 planned: ").contains("rule change(s)");
    assertThat(plan.summary()).doesNotContain("\n");
    assertThat(plan.render()).contains("OPSKIT-planned");
    assertThat(hostState()).isEqualTo(before);

    IptablesApplyResult applied = applier.apply(LISTED);
    assertThat(applied.plans()).isEqualTo(plan.plans());
    assertThat(applier.verify(LISTED).isEmpty()).isTrue();
    assertThat(applier.verify(LISTED).summary()).isEqualTo("up to date");
  }

  @Test
  void planCoversIpsetsAndVerifyShowsWhatIsStillToDo() throws Exception {
    IptablesApplyPlan first = applier.plan(IN_IPSET);
    assertThat(first.ipsetChanges())
        .containsExactly(
            "create ipset opskit-planned-v4 with 2 entries",
            "create ipset opskit-planned-v6 with 0 entries");

    applier.apply(IN_IPSET);
    assertThat(applier.verify(IN_IPSET).isEmpty()).isTrue();

    net.exec(node, "ipset", "del", "opskit-planned-v4", "198.18.2.7");
    IptablesApplyPlan drift = applier.verify(IN_IPSET);
    assertThat(drift.isEmpty()).isFalse();
    assertThat(drift.ipsetChanges())
        .containsExactly("fill ipset opskit-planned-v4: +1 -0 entries (2 in all)");
    assertThat(drift.plans()).allMatch(IptablesPlan::isEmpty);

    IptablesApplyPlan toList = applier.plan(LISTED);
    assertThat(toList.ipsetChanges())
        .containsExactly("destroy ipset opskit-planned-v4", "destroy ipset opskit-planned-v6");
  }

  @Test
  void rollingBackAnApplyResultRestoresTheStateBeforeIt() throws Exception {
    applier.apply(LISTED);
    String before = hostState();

    IptablesApplyResult changed = applier.apply(IN_IPSET);
    assertThat(changed.changed()).isTrue();
    applier.rollBack(changed);

    assertThat(applier.verify(LISTED).isEmpty()).isTrue();
    assertThat(hostState()).isEqualTo(before);
  }

  @Test
  void planOfRuleSetsIsEmptyOnceApplied() throws Exception {
    IptablesRuleSet set = LISTED.ruleSet(IpFamily.IPV4);
    assertThat(applier.plan(set).isEmpty()).isFalse();
    applier.apply(set);
    assertThat(applier.verify(List.of(set)).isEmpty()).isTrue();
    assertThat(applier.observe(LISTED).ruleSet(IpFamily.IPV4).orElseThrow().ownedPart("planned"))
        .isEqualTo(set);
  }
}
