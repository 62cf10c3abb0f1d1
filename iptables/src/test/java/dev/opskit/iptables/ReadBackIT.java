package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.core.ExecutionListener;
import dev.opskit.core.StepRecord;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The read-back after an apply, on the real kernel with both backends and both families: beside
 * many rules of others (kube-proxy's nat table) it lists only the tables the apply wrote ({@code
 * iptables -t TABLE -S}, in the write's own call), with few it saves every table at once; either
 * way it verifies the rules exactly as the kernel prints them and leaves the others' rules alone.
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

  /** The reads the apply's write call ran: {@code FAMILY TABLE} per listing, or a save. */
  private List<String> readsOfTheWriteCall(IptablesBackend backend) {
    List<StepRecord> writeCall =
        steps.stream()
            .filter(s -> s.argv().get(0).endsWith("-restore"))
            .map(StepRecord::batch)
            .distinct()
            .flatMap(batch -> steps.stream().filter(s -> s.batch().equals(batch)))
            .toList();
    return writeCall.stream()
        .filter(s -> s.argv().contains("-S") || s.argv().get(0).endsWith("-save"))
        .map(
            s -> {
              assertThat(s.argv().get(0)).contains("tables-" + backend.name().toLowerCase());
              assertThat(s.isSuccess()).isTrue();
              String family = s.argv().get(0).substring(0, 3);
              return s.argv().contains("-S") ? family + " " + s.argv().get(3) : family + " save";
            })
        .toList();
  }

  /** 1,000 rules of a KUBE-SVC chain in nat, as kube-proxy writes for its services. */
  private static String foreignNat(boolean ipv6) {
    StringBuilder nat = new StringBuilder("*nat\n:KUBE-SVC-RB - [0:0]\n");
    for (int i = 0; i < 1_000; i++) {
      String address =
          ipv6
              ? "2001:db8:96::" + Integer.toHexString(i + 1) + "/128"
              : "198.19." + (i / 250) + "." + (i % 250 + 1) + "/32";
      nat.append("-A KUBE-SVC-RB -d ")
          .append(address)
          .append(" -p tcp -m tcp --dport 80 -j RETURN\n");
    }
    return nat.append("COMMIT\n").toString();
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
  void listsOnlyTheTablesTheApplyWroteBesideManyForeignRules(
      IptablesBackend backend, @TempDir Path files) throws Exception {
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

    // with few rules elsewhere, one save per family is cheaper than a listing per table
    IptablesApplyResult raw = applier.apply(allowlist(NodePortAllowlist.Mode.RAW_PREROUTING));
    assertThat(raw.verified()).isTrue();
    assertThat(readsOfTheWriteCall(backend)).containsExactlyInAnyOrder("ipt save", "ip6 save");

    // kube-proxy's services: from now on only the tables written are listed
    for (String program : List.of("iptables", "ip6tables")) {
      Path input = files.resolve(program);
      Files.writeString(input, foreignNat(program.equals("ip6tables")));
      net.exec(node, program + suffix + "-restore", "--noflush", input.toString());
    }
    nat = natRules(suffix);
    assertThat(nat).contains("-A KUBE-SVC-RB");
    steps.clear();
    IptablesApplyResult wider =
        applier.apply(
            NodePortAllowlist.builder()
                .from(allowlist(NodePortAllowlist.Mode.RAW_PREROUTING))
                .addAllowedCidrs("198.18.4.0/24")
                .build());
    assertThat(wider.verified()).isTrue();
    assertThat(readsOfTheWriteCall(backend)).containsExactlyInAnyOrder("ipt raw", "ip6 raw");

    // moving the chains from raw to filter: both tables are read back, in both families
    steps.clear();
    IptablesApplyResult moved = applier.apply(allowlist(NodePortAllowlist.Mode.CONNTRACK));
    assertThat(moved.verified()).isTrue();
    assertThat(readsOfTheWriteCall(backend))
        .containsExactlyInAnyOrder("ipt raw", "ipt filter", "ip6 raw", "ip6 filter");
    assertThat(net.exec(node, "iptables" + suffix + "-save", "-t", "raw").stdoutUtf8())
        .doesNotContain("OPSKIT");
    assertThat(applier.apply(allowlist(NodePortAllowlist.Mode.CONNTRACK)).changed()).isFalse();

    steps.clear();
    IptablesApplyResult removed = applier.remove("rb");
    assertThat(removed.verified()).isTrue();
    assertThat(readsOfTheWriteCall(backend)).containsExactlyInAnyOrder("ipt filter", "ip6 filter");
    assertThat(natRules(suffix)).isEqualTo(nat).contains("-A PREROUTING -j KUBE-SERVICES");
  }
}
