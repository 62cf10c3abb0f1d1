package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.ExecutionListener;
import dev.opskit.core.StepRecord;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The read-back after an apply, on the real kernel with both backends and both families: it lists
 * only the tables the apply wrote ({@code iptables -t TABLE -S}, in the write's own call), not a
 * foreign nat table such as kube-proxy's, and what it lists verifies the rules exactly as the
 * kernel prints them.
 */
@Privileged(
    tools = {
      "ip",
      "iptables",
      "ip6tables",
      "iptables-legacy",
      "ip6tables-legacy",
      "ipset",
      "flock"
    })
class ReadBackIT {
  private final List<StepRecord> steps = new CopyOnWriteArrayList<>();
  private TestNetworks net;
  private String node;

  @BeforeEach
  void createNode() {
    net = TestNetworks.create();
    node = net.namespace("readback");
  }

  @AfterEach
  void deleteNode() {
    net.close();
  }

  private static NodePortAllowlist allowlist(NodePortAllowlist.Mode mode) {
    return NodePortAllowlist.builder()
        .name("rb")
        .mode(mode)
        .addPorts(PortRange.of(30001), PortRange.of(30100, 30200))
        .addAllowedCidrs("198.18.0.0/24", "198.18.3.3", "2001:db8::/64", "2001:db8:1::7")
        .build();
  }

  /** The listings the apply's write call ran, as {@code FAMILY TABLE}. */
  private List<String> listingsOfTheWriteCall(IptablesBackend backend) {
    List<StepRecord> writeCall =
        steps.stream()
            .filter(s -> s.argv().get(0).endsWith("-restore"))
            .map(StepRecord::batch)
            .distinct()
            .flatMap(batch -> steps.stream().filter(s -> s.batch().equals(batch)))
            .toList();
    assertThat(writeCall).noneMatch(s -> s.argv().get(0).endsWith("-save"));
    return writeCall.stream()
        .filter(s -> s.argv().contains("-S"))
        .map(
            s -> {
              assertThat(s.argv().get(0)).endsWith("tables-" + backend.name().toLowerCase());
              assertThat(s.isSuccess()).isTrue();
              return s.argv().get(0).substring(0, 3) + " " + s.argv().get(3);
            })
        .toList();
  }

  private String natRules(String suffix) {
    return net.exec(node, "iptables" + suffix + "-save", "-t", "nat")
        .stdoutUtf8()
        .lines()
        .filter(line -> !line.startsWith("#"))
        .toList()
        .toString();
  }

  @ParameterizedTest
  @EnumSource(IptablesBackend.class)
  void listsOnlyTheTablesTheApplyWroteAndLeavesAForeignNatTableUnread(IptablesBackend backend)
      throws Exception {
    String suffix = "-" + backend.name().toLowerCase();
    for (String program : List.of("iptables", "ip6tables")) {
      net.exec(node, program + suffix, "-w", "-t", "nat", "-N", "KUBE-SERVICES");
      net.exec(
          node, program + suffix, "-w", "-t", "nat", "-A", "PREROUTING", "-j", "KUBE-SERVICES");
    }
    String nat = natRules(suffix);
    ExecutionListener audit =
        new ExecutionListener() {
          @Override
          public void stepFinished(StepRecord step) {
            steps.add(step);
          }
        };
    IptablesApplier applier =
        TestAppliers.builder(net.executor(node).withListener(audit)).backend(backend).build();

    IptablesApplyResult raw = applier.apply(allowlist(NodePortAllowlist.Mode.RAW_PREROUTING));
    assertThat(raw.verified()).isTrue();
    assertThat(listingsOfTheWriteCall(backend)).containsExactlyInAnyOrder("ipt raw", "ip6 raw");

    // moving the chains from raw to filter: both tables are read back, in both families
    steps.clear();
    IptablesApplyResult moved = applier.apply(allowlist(NodePortAllowlist.Mode.CONNTRACK));
    assertThat(moved.verified()).isTrue();
    assertThat(listingsOfTheWriteCall(backend))
        .containsExactlyInAnyOrder("ipt raw", "ipt filter", "ip6 raw", "ip6 filter");
    assertThat(net.exec(node, "iptables" + suffix + "-save", "-t", "raw").stdoutUtf8())
        .doesNotContain("OPSKIT");
    assertThat(applier.apply(allowlist(NodePortAllowlist.Mode.CONNTRACK)).changed()).isFalse();

    steps.clear();
    IptablesApplyResult removed = applier.remove("rb");
    assertThat(removed.verified()).isTrue();
    assertThat(listingsOfTheWriteCall(backend))
        .containsExactlyInAnyOrder("ipt filter", "ip6 filter");
    assertThat(natRules(suffix)).isEqualTo(nat).contains("-A PREROUTING -j KUBE-SERVICES");
  }
}
